import { beforeAll, describe, expect, it } from 'vitest'
import { InvalidArgumentError, writeEntries, type AuditFilter } from '@audit-trail/core'
import { useLogDatabase } from '../support/log-database.js'
import { runCli } from '../support/run-cli.js'
import { entryRow } from './entry-row.js'

// S2: SQL injection payloads in every query API filter and every CLI filter flag. Each payload
// is also stored as the value of every filtered column of one entry, so a filter must find
// exactly that entry (the payload taken literally) and nothing else may change.
const PAYLOADS = [
  `' OR '1'='1`,
  `'; DROP TABLE audit_trail.activity_log; --`,
  `1; DELETE FROM canary`,
  `%' OR 1=1 --`,
  `" OR ""="`,
  `\\'; SELECT pg_sleep(5); --`,
  `') OR ('a'='a`,
  `' UNION SELECT * FROM pg_authid --`,
  `'||(SELECT current_user)||'`,
  `$1`,
  `_%`,
  `x' AND 1=CAST((SELECT version()) AS int) --`,
]

const { db, log } = useLogDatabase()
let ids: string[]

beforeAll(async () => {
  await db.query(`CREATE TABLE canary (x int); INSERT INTO canary VALUES (1)`)
  await writeEntries(
    db.pool,
    PAYLOADS.map((p) =>
      entryRow({
      actor_type: 'user',
      actor_id: p,
      actor_name: `name ${p}`,
      action: 'updated', // the action column only takes lowercase verbs (a CHECK constraint): the filter must find nothing
      resource_type: p,
      resource_id: p,
      resource_name: `res ${p}`,
      location_id: p,
      tenant_id: p,
      log_name: p,
      request_id: p,
      changes: { [p]: { old: null, new: 1 } },
      changed_fields: [p],
      source: 'manual',
    })),
  )
  // ids[i]: the entry holding PAYLOADS[i] (one multi-row insert does not promise id order).
  const rows = await db.query<{ id: string; actor_id: string }>(`SELECT id::text AS id, actor_id FROM audit_trail.activity_log`)
  ids = PAYLOADS.map((p) => rows.find((r) => r.actor_id === p)!.id)
})

async function intact(): Promise<void> {
  expect(await db.query(`SELECT x FROM canary`)).toEqual([{ x: 1 }])
  expect((await db.query<{ id: string }>(`SELECT id::text AS id FROM audit_trail.activity_log t ORDER BY t.id`)).map((r) => r.id)).toEqual([...ids].sort((a, b) => Number(a) - Number(b)))
}

const KEYS = ['actorId', 'action', 'resourceType', 'resourceId', 'locationId', 'tenantId', 'logName', 'requestId', 'field'] as const

describe('S2 query API filters', () => {
  it.each(KEYS)('%s with each payload finds exactly the entry holding it', async (key) => {
    for (const [i, p] of PAYLOADS.entries()) {
      const filter = { [key]: p } as AuditFilter
      const { entries } = await log.list(filter)
      const expected = key === 'action' ? [] : [ids[i]]
      expect(entries.map((e) => e.id)).toEqual(expected)
      expect(await log.count(filter)).toBe(expected.length)
    }
    // All payloads at once, as an array.
    if (key !== 'field') expect(await log.count({ [key]: PAYLOADS } as AuditFilter)).toBe(key === 'action' ? 0 : PAYLOADS.length)
    await intact()
  })

  it('search takes each payload literally (% and _ included)', async () => {
    for (const p of PAYLOADS) {
      const expected = PAYLOADS.flatMap((q, i) => (`res ${q}`.toLowerCase().includes(p.toLowerCase()) || `name ${q}`.toLowerCase().includes(p.toLowerCase()) ? [ids[i]] : []))
      const { entries } = await log.list({ search: p })
      expect(entries.map((e) => e.id).sort()).toEqual(expected.sort())
    }
    await intact()
  })

  it.each(['from', 'to', 'cursor'] as const)('%s rejects each payload with InvalidArgumentError', async (key) => {
    for (const p of PAYLOADS) {
      await expect(log.list({ [key]: p } as AuditFilter)).rejects.toBeInstanceOf(InvalidArgumentError)
    }
    await intact()
  })

  it('history() and stateAt() take payloads as values', async () => {
    for (const [i, p] of PAYLOADS.entries()) {
      expect((await log.history(p, p)).map((e) => e.id)).toEqual([ids[i]])
      expect(await log.stateAt(p, p, new Date())).toEqual({ [p]: 1 })
    }
    await intact()
  })
})

const cli = (args: string[]) => runCli(args, { DATABASE_URL: db.url })
/** The ids in a CSV export (first column), in file order. */
const csvIds = (csv: string) => csv.split('\r\n').slice(1).filter(Boolean).map((line) => line.split(',')[0])

describe('S2 CLI flags', () => {
  const FLAGS = ['--actor', '--action', '--type', '--id', '--location', '--tenant', '--log', '--request'] as const
  it.each(FLAGS)('export %s with every payload (repeated flag) exports exactly those entries', async (flag) => {
    const result = await cli(['export', ...PAYLOADS.flatMap((p) => [flag, p])])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(csvIds(result.stdout).sort()).toEqual(flag === '--action' ? [] : [...ids].sort())
    const one = await cli(['export', flag, PAYLOADS[1]!])
    expect(csvIds(one.stdout)).toEqual(flag === '--action' ? [] : [ids[1]])
    await intact()
  })

  it.each(['--field', '--search'] as const)('export %s with payloads takes them literally', async (flag) => {
    for (const i of [0, 1, 3]) {
      const result = await cli(['export', flag, PAYLOADS[i]!])
      expect(result.code).toBe(0)
      const expected = flag === '--field' ? [ids[i]] : PAYLOADS.flatMap((q, k) => (`res ${q}`.includes(PAYLOADS[i]!) ? [ids[k]] : []))
      expect(csvIds(result.stdout).sort()).toEqual(expected.sort())
    }
    await intact()
  })

  it('tail --type with a payload shows only that entry', async () => {
    const result = await cli(['tail', '--type', PAYLOADS[1]!])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Showing 1 of 1 entry')
    await intact()
  })

  it.each(['--from', '--to'] as const)('%s rejects a payload as a bad command line (exit 2, one line)', async (flag) => {
    const result = await cli(['export', flag, PAYLOADS[0]!])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    await intact()
  })
})
