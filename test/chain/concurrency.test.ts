import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sealChain, verifyChain, writeEntries } from '@audit-trail/core'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'
import { sampleEntry } from './chain-fixtures.js'

let db: TestDatabase
let pool: pg.Pool
const WRITERS = 8
const PER_WRITER = 1000

beforeAll(async () => {
  db = await createTestDatabase()
  // Writers, the sealer and the verifier each hold a connection at the same time. PGlite has
  // one backend behind its socket: queries from two connections at once clobber each other's
  // unnamed prepared statement, and it runs one transaction at a time anyway, so there the
  // same workload interleaves transaction by transaction over one connection.
  pool = new pg.Pool({ connectionString: db.url, max: db.embedded ? 1 : WRITERS + 4 })
  await db.query(`CREATE TABLE public.items (id serial PRIMARY KEY, name text NOT NULL, price numeric)`)
  await db.query(`SELECT audit_trail.enable_capture('public.items', resource_type => 'item', name_column => 'name')`)
})
afterAll(async () => {
  await pool?.end()
  await db?.drop()
})

/** Batch sizes cycling through single rows and multi-row statements. */
const SIZES = [1, 7, 1, 50, 3, 1, 120, 1, 13]

async function inTransaction(level: string, fn: (client: pg.PoolClient) => Promise<void>, rollback = false): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query(`BEGIN ISOLATION LEVEL ${level}`)
    // Take the snapshot now, as an application reading before it writes would (not a read of
    // the log: two SERIALIZABLE transactions scanning and inserting into one table conflict
    // with or without a chain).
    await client.query('SELECT count(*) FROM public.items')
    await fn(client)
    await client.query(rollback ? 'ROLLBACK' : 'COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  } finally {
    client.release()
  }
}

/** Writes `total` committed entries by one of four paths; also some rolled-back ones (gaps in ids). */
async function writer(index: number, total: number): Promise<void> {
  let written = 0
  let round = 0
  while (written < total) {
    const size = Math.min(SIZES[(index + round) % SIZES.length]!, total - written)
    const rows = Array.from({ length: size }, (_, k) => sampleEntry(index * 100_000 + written + k))
    const kind = index % 4
    const rollback = round % 11 === 5
    if (kind === 0) {
      // ORM path: one INSERT ... SELECT FROM json_to_recordset for the whole batch, autocommit.
      if (rollback) await inTransaction('READ COMMITTED', (c) => writeEntries(c, rows), true)
      else await writeEntries(pool, rows)
    } else if (kind === 1) {
      // Capture triggers: one INSERT into the log per captured row.
      await inTransaction(
        'READ COMMITTED',
        (c) => c.query(`INSERT INTO public.items (name, price) SELECT 'item ' || i, i FROM generate_series(1, $1::int) i`, [size]).then(() => undefined),
        rollback,
      )
    } else if (kind === 2) {
      // REPEATABLE READ: the snapshot is older than entries and links committed meanwhile.
      await inTransaction(
        'REPEATABLE READ',
        async (c) => {
          await writeEntries(c, rows.slice(0, 1))
          if (size > 1) await writeEntries(c, rows.slice(1))
        },
        rollback,
      )
    } else {
      // SERIALIZABLE with manual single-row inserts.
      await inTransaction(
        'SERIALIZABLE',
        async (c) => {
          for (const row of rows) {
            await c.query(`INSERT INTO audit_trail.activity_log (actor_type, actor_id, action, source, metadata) VALUES ('user', $1, 'login', 'manual', $2)`, [
              row.actor_id,
              JSON.stringify(row.metadata),
            ])
          }
        },
        rollback,
      )
    }
    if (!rollback) written += size
    round++
  }
}

describe('hash chain under concurrent writers', () => {
  it(`stays one unbroken chain with ${WRITERS} writers x ${PER_WRITER} entries, sealed and verified while they write`, async () => {
    let writing = true
    let seals = 0
    let verifies = 0
    const writers = Promise.all(Array.from({ length: WRITERS }, (_, i) => writer(i, PER_WRITER))).finally(() => {
      writing = false
    })
    const sealer = (async () => {
      while (writing) {
        await sealChain(pool)
        seals++
      }
    })()
    const verifier = (async () => {
      while (writing) {
        const result = await verifyChain(pool, { seal: false })
        expect(result, JSON.stringify(result)).toMatchObject({ ok: true })
        verifies++
      }
    })()
    await Promise.all([writers, sealer, verifier])
    await sealChain(pool)

    const result = await verifyChain(pool)
    const { entries, links, distinct_links } = await db.one<{ entries: number; links: number; distinct_links: number }>(
      `SELECT (SELECT count(*)::int FROM audit_trail.activity_log) AS entries,
              (SELECT count(*)::int FROM audit_trail.activity_log_chain) AS links,
              (SELECT count(DISTINCT entry_id)::int FROM audit_trail.activity_log_chain) AS distinct_links`,
    )
    expect(entries).toBe(WRITERS * PER_WRITER)
    expect({ links, distinct_links }).toEqual({ links: entries, distinct_links: entries })
    expect(result).toMatchObject({ ok: true, checked: entries, unsealed: 0 })
    expect(seals).toBeGreaterThan(1)
    expect(verifies).toBeGreaterThan(0)
  })

  // Only on a real server: PGlite runs one transaction at a time, so the situation this test
  // builds (a transaction left open while others commit) cannot happen there. The CI run on
  // PostgreSQL covers it; on PGlite it is not defined at all rather than reported as skipped.
  if (process.env.DATABASE_URL)
  it('does not seal past an entry whose transaction is still open', async () => {
    const slow = await pool.connect()
    try {
      await slow.query('BEGIN ISOLATION LEVEL REPEATABLE READ')
      await writeEntries(slow, [sampleEntry(1)])
      const { rows } = await slow.query<{ id: string }>('SELECT max(id)::text AS id FROM audit_trail.activity_log')
      const openId = BigInt(rows[0]!.id)
      await writeEntries(pool, [sampleEntry(2), sampleEntry(3)])
      await pool.query(`SELECT audit_trail.seal_chain('50 milliseconds')`)
      const { tail } = await db.one<{ tail: string }>(`SELECT max(entry_id)::text AS tail FROM audit_trail.activity_log_chain`)
      expect(BigInt(tail)).toBeLessThan(openId)
      expect(await verifyChain(pool, { seal: false })).toMatchObject({ ok: true, unsealed: 2 })

      await slow.query('COMMIT')
      // The horizon stored while the transaction was open is sealed now, in id order.
      await pool.query(`SELECT audit_trail.seal_chain('0 seconds')`)
      expect(await verifyChain(pool)).toMatchObject({ ok: true, unsealed: 0 })
      const { unlinked } = await db.one<{ unlinked: number }>(
        `SELECT count(*)::int AS unlinked FROM audit_trail.activity_log e
         WHERE NOT EXISTS (SELECT 1 FROM audit_trail.activity_log_chain c WHERE c.entry_id = e.id)`,
      )
      expect(unlinked).toBe(0)
    } finally {
      await slow.query('ROLLBACK').catch(() => undefined)
      slow.release()
    }
  })
})
