import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { CSV_COLUMNS, InvalidArgumentError } from '@audit-trail/core'
import { seedEntries } from '../query/seed-entries.js'
import { useLogDatabase } from '../support/log-database.js'

const { db, log } = useLogDatabase()

/** A writable that keeps what it is given, optionally slowly, with a tiny buffer. */
function sink(options: { slow?: boolean } = {}) {
  const chunks: Buffer[] = []
  let received = 0
  const stream = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk)
      received += chunk.toString().split('\r\n').length - 1
      if (options.slow) setImmediate(done)
      else done()
    },
  })
  return { stream, text: () => Buffer.concat(chunks).toString('utf8'), lines: () => received }
}

const HEADER =
  'id,created_at,log_name,actor_type,actor_id,actor_name,actor_email,impersonator_id,impersonator_name,action,' +
  'resource_type,resource_id,resource_name,changes,changed_fields,description,ip_address,user_agent,location_id,' +
  'tenant_id,request_id,transaction_id,source,metadata'

async function txidOf(id: string): Promise<string> {
  return (await db.one<{ t: string }>('SELECT transaction_id::text AS t FROM audit_trail.activity_log WHERE id = $1', [id])).t
}

describe('exportCsv()', () => {
  it('header of the table columns, RFC 4180 quoting, UTC timestamps, JSON columns', async () => {
    const ids = await seedEntries(db, [
      {
        log_name: 'csv-basic', created_at: '2024-01-15T14:30:00.123456+02:00', actor_id: 'u1', actor_name: 'Jan "JJ" Manager',
        actor_email: 'jan@example.com', impersonator_id: 's1', impersonator_name: 'Support, Team', action: 'updated',
        resource_type: 'item', resource_id: '1', resource_name: 'Margherita Pizza',
        changes: { price: { old: { $decimal: '12.5' }, new: { $decimal: '13.5' } }, note: { old: 'a,b', new: 'line1\r\nline2' } },
        description: 'multi\nline', ip_address: '192.168.1.100', user_agent: 'UA', location_id: 'paris', tenant_id: 't1',
        request_id: 'r1', metadata: { k: 'v' },
      },
      { log_name: 'csv-basic', created_at: '2024-01-15T15:00:00Z', actor_type: 'system', action: 'login', description: 'cr\ronly', ip_address: '2001:db8::1' },
    ])
    const out = sink()
    const result = await log.exportCsv({ logName: 'csv-basic', order: 'asc' }, out.stream)
    expect(result).toEqual({ rows: 2 })
    const [tx0, tx1] = [await txidOf(ids[0]!), await txidOf(ids[1]!)]
    expect(out.text()).toBe(
      `${HEADER}\r\n` +
        `${ids[0]},2024-01-15T12:30:00.123Z,csv-basic,user,u1,"Jan ""JJ"" Manager",jan@example.com,s1,"Support, Team",updated,` +
        `item,1,Margherita Pizza,"{""note"": {""new"": ""line1\\r\\nline2"", ""old"": ""a,b""}, ""price"": {""new"": {""$decimal"": ""13.5""}, ""old"": {""$decimal"": ""12.5""}}}",` +
        `"[""note"",""price""]","multi\nline",192.168.1.100,UA,paris,t1,r1,${tx0},orm,"{""k"": ""v""}"\r\n` +
        `${ids[1]},2024-01-15T15:00:00.000Z,csv-basic,system,,,,,,login,,,,,,"cr\ronly",2001:db8::1,,,,,${tx1},orm,\r\n`,
    )
    expect(CSV_COLUMNS.join(',')).toBe(HEADER)
  })

  it("prefixes ' to every cell starting with =, +, -, @, tab or CR, in every column type", async () => {
    const [id] = await seedEntries(db, [
      {
        log_name: 'csv-formula', created_at: '2024-01-15T00:00:00Z', actor_id: '=1+1', actor_name: '+SUM(A1)', actor_email: '-2',
        impersonator_id: '@cmd', impersonator_name: '\tTab', action: 'updated', resource_type: '\rcr', resource_id: '-5',
        resource_name: '=HYPERLINK("http://x","y")', description: '@SUM(1)', user_agent: '+ua', location_id: '-loc', tenant_id: '=t',
        request_id: '@r', changes: { '=col': { old: '=old', new: '-1' } }, metadata: { '@k': '+v' },
      },
    ])
    const out = sink()
    await log.exportCsv({ logName: 'csv-formula' }, out.stream)
    const tx = await txidOf(id!)
    expect(out.text()).toBe(
      `${HEADER}\r\n` +
        `${id},2024-01-15T00:00:00.000Z,csv-formula,user,'=1+1,'+SUM(A1),'-2,'@cmd,'\tTab,updated,"'\rcr",'-5,` +
        `"'=HYPERLINK(""http://x"",""y"")",` +
        `"{""=col"": {""new"": ""-1"", ""old"": ""=old""}}","[""=col""]",'@SUM(1),,'+ua,'-loc,'=t,'@r,${tx},orm,"{""@k"": ""+v""}"\r\n`,
    )
  })

  it('filters like list(), newest first by default', async () => {
    const ids = await seedEntries(db, [
      { log_name: 'csv-filter', action: 'created', created_at: '2024-01-01T00:00:00Z' },
      { log_name: 'csv-filter', action: 'deleted', created_at: '2024-01-02T00:00:00Z' },
      { log_name: 'csv-filter', action: 'created', created_at: '2024-01-03T00:00:00Z' },
    ])
    const out = sink()
    expect(await log.exportCsv({ logName: 'csv-filter', action: 'created' }, out.stream)).toEqual({ rows: 2 })
    expect(out.text().split('\r\n').slice(1, -1).map((line) => line.split(',')[0])).toEqual([ids[2], ids[0]])
    const empty = sink()
    expect(await log.exportCsv({ logName: 'csv-filter', action: 'nothing' }, empty.stream)).toEqual({ rows: 0 })
    expect(empty.text()).toBe(`${HEADER}\r\n`)
  })

  it('respects backpressure: reads from the cursor only as fast as the writable drains', async () => {
    await db.query(
      `INSERT INTO audit_trail.activity_log (log_name, actor_type, action, source, resource_name)
       SELECT 'csv-big', 'user', 'updated', 'orm', 'row ' || g FROM generate_series(1, 5000) AS g`,
    )
    const out = sink({ slow: true })
    let maxAhead = 0
    const result = await log.exportCsv({ logName: 'csv-big' }, out.stream, {
      batchSize: 100,
      onProgress: (read) => {
        maxAhead = Math.max(maxAhead, read - out.lines())
      },
    })
    expect(result).toEqual({ rows: 5000 })
    expect(out.lines()).toBe(5001)
    // Fetched but not yet written: a couple of batches plus stream buffers, never the whole result.
    expect(maxAhead).toBeLessThan(600)
    expect(maxAhead).toBeGreaterThan(0)
  })

  it('end: false leaves the writable open', async () => {
    const out = sink()
    await log.exportCsv({ logName: 'csv-filter', action: 'deleted' }, out.stream, { end: false })
    expect(out.stream.writableEnded).toBe(false)
    out.stream.end('trailer')
    expect(out.text().endsWith('\r\ntrailer')).toBe(true)
  })

  it('rejects bad filters before writing anything', async () => {
    const out = sink()
    await expect(log.exportCsv({ from: 'never' }, out.stream)).rejects.toThrow(InvalidArgumentError)
    await expect(log.exportCsv({ limit: 5 } as never, out.stream)).rejects.toThrow(/unknown filter key "limit"/)
    await expect(log.exportCsv({ order: 'up' } as never, out.stream)).rejects.toThrow(/order must be 'asc' or 'desc'/)
    expect(out.text()).toBe('')
  })

  it('a failing writable rejects the export and gives the connection back', async () => {
    const failing = new Writable({
      write(_chunk, _encoding, done) {
        done(new Error('disk full'))
      },
    })
    await expect(log.exportCsv({ logName: 'csv-big' }, failing)).rejects.toThrow('disk full')
    expect(db.pool.totalCount - db.pool.idleCount).toBe(0)
    expect(await log.count({ logName: 'csv-big' })).toBe(5000)
  })
})
