import { describe, expect, it } from 'vitest'
import { useOrmDatabase } from '../support/orm-database.js'
import { loggedHistories, runAtomicityFuzz } from './atomicity-fuzz.js'
import { replayedState, sortedState, tableState } from './log-invariant.js'
import { ALL_WRITE_PATHS, runSeed, withSeed } from './reliability-fixtures.js'

// 1,000 transactions per write path, on the server and on PGlite alike (about 5 s per path).
const TRANSACTIONS = 1000

describe.each(ALL_WRITE_PATHS)('R1 atomicity fuzz: $name', (driver) => {
  const { db, orm } = useOrmDatabase(driver, { poolSize: 2 })
  const seed = runSeed()

  it(`${TRANSACTIONS} random transactions, ~30% failing at random points: an entry exists iff its change committed`, async () => {
    await withSeed(seed, async () => {
      const report = await runAtomicityFuzz({ db, session: orm.session, count: TRANSACTIONS, seed })
      expect(report.committed + report.failed).toBe(TRANSACTIONS)
      expect(report.failed).toBeGreaterThan(TRANSACTIONS * 0.2)
      expect(report.failed).toBeLessThan(TRANSACTIONS * 0.4)

      // The business tables hold exactly the committed rows...
      const clients = await db.query<{ name: string; email: string | null }>(`SELECT name, email_address AS email FROM clients ORDER BY name`)
      expect(clients.map((c) => [c.name, c.email])).toEqual([...report.clients].sort(([a], [b]) => a.localeCompare(b)))
      const items = await db.query<{ name: string; cents: number }>(`SELECT name, (price * 100)::int AS cents FROM items ORDER BY name`)
      expect(items.map((i) => [i.name, i.cents])).toEqual([...report.items].sort(([a], [b]) => a.localeCompare(b)))

      // ...every record's history in the log is exactly its committed changes, in order...
      const logged = await loggedHistories(db)
      expect([...logged].sort(([a], [b]) => a.localeCompare(b))).toEqual([...report.expected].sort(([a], [b]) => a.localeCompare(b)))

      // ...and replaying the log (old values checked against the previous entry) gives the tables.
      expect(sortedState(await replayedState(db))).toEqual(sortedState(await tableState(db)))

      // Nothing the failed transactions tried (names x…) reached the log.
      const { n } = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail.activity_log WHERE resource_name LIKE 'x%'`)
      expect(n).toBe(0)
    })
  })
})
