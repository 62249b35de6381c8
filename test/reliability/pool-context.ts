import { describe, expect, it } from 'vitest'
import pg from 'pg'
import { runWithAuditContext } from '@audit-trail/core'
import { BUSINESS_OPTIONS } from '../support/business-schema.js'
import { useOrmDatabase } from '../support/orm-database.js'
import { ALL_WRITE_PATHS, runSeed, seededRandom, withSeed } from './reliability-fixtures.js'

const IN_FLIGHT = 200
const ACTORS = 37

/**
 * R4: requests with random actors through an ORM pool of 2 connections, `REQUESTS` per ORM
 * (the normal suite runs 1,000, `npm run test:stress` the full 10,000).
 */
export function definePoolContextSuite(REQUESTS: number): void {
describe.each(ALL_WRITE_PATHS)('R4 pool of 2 and context: $name', (driver) => {
  const { db, orm } = useOrmDatabase(driver, { poolSize: 2 })
  const seed = runSeed()

  it(`${REQUESTS} requests with random actors, ${IN_FLIGHT} at a time through 2 connections: zero misattributed entries`, async () => {
    await withSeed(seed, async () => {
      const random = seededRandom(seed)
      let expected = 0
      const request = async (i: number) => {
        const actor = random.int(ACTORS)
        const updates = random.chance(0.25)
        expected += updates ? 2 : 1
        await runWithAuditContext({ actor: { id: `a${actor}`, name: `Actor ${actor}` }, requestId: `r${i}`, tenantId: `t${actor % 3}` }, async () => {
          const id = await orm.session.createClient({ name: `r${i} a${actor}` })
          if (updates) await orm.session.updateClient(id, { email: `a${actor}@r${i}.test` })
        })
      }
      for (let start = 0; start < REQUESTS; start += IN_FLIGHT) {
        await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, REQUESTS - start) }, (_, k) => request(start + k)))
      }
      const entries = await db.query<{ action: string; actor_id: string; actor_name: string; request_id: string; tenant_id: string; name: string; email: string | null }>(
        `SELECT action, actor_id, actor_name, request_id, tenant_id, resource_name AS name, changes->'email_address'->>'new' AS email
         FROM audit_trail.activity_log WHERE resource_type = 'client'`,
      )
      expect(entries).toHaveLength(expected)
      const wrong = entries.filter((e) => {
        const [request, actor] = e.name.split(' ') as [string, string]
        const n = Number(actor.slice(1))
        if (e.actor_id !== actor || e.actor_name !== `Actor ${n}` || e.request_id !== request || e.tenant_id !== `t${n % 3}`) return true
        return e.action === 'updated' && e.email !== `${actor}@${request}.test`
      })
      expect(wrong).toEqual([])
    })
  })

  // A second connection must hold a row lock while the requests run: PGlite runs one
  // transaction at a time, so this case exists on a real server only.
  if (process.env.DATABASE_URL) {
    it('lock timeouts surface as errors and leave neither the change nor an entry', async () => {
      const locked = await runWithAuditContext({ actor: { id: 'setup' } }, () => orm.session.createClient({ name: 'locked' }))
      const { max } = await db.one<{ max: number }>(`SELECT max(id)::int AS max FROM audit_trail.activity_log`)
      await db.query(`ALTER ROLE CURRENT_USER IN DATABASE ${await currentDatabase()} SET lock_timeout = '200ms'`)
      const timed = await driver.open({ url: db.url, options: BUSINESS_OPTIONS, poolSize: 2 })
      const blocker = new pg.Client({ connectionString: db.url })
      await blocker.connect()
      try {
        await blocker.query('BEGIN')
        await blocker.query(`SELECT id FROM clients WHERE id = $1 FOR UPDATE`, [locked])
        const results = await Promise.allSettled(
          Array.from({ length: 100 }, (_, i) =>
            runWithAuditContext({ actor: { id: `t${i}` } }, async () => {
              if (i % 10 === 0) await timed.session.updateClient(locked, { email: `t${i}@x.test` })
              else await timed.session.createClient({ name: `ok ${i}` })
            }),
          ),
        )
        await blocker.query('ROLLBACK')
        const failedIdx = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []))
        expect(failedIdx).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90])
        for (const i of failedIdx) expect(String((results[i] as PromiseRejectedResult).reason)).toMatch(/lock timeout/)
        const entries = await db.query<{ actor_id: string }>(`SELECT actor_id FROM audit_trail.activity_log WHERE id > $1 ORDER BY actor_id`, [max])
        expect(entries.map((e) => e.actor_id).sort()).toEqual(
          Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 10 !== 0).map((i) => `t${i}`).sort(),
        )
        expect(await db.query(`SELECT email_address FROM clients WHERE id = $1`, [locked])).toEqual([{ email_address: null }])
      } finally {
        await blocker.end()
        await timed.close()
        await db.query(`ALTER ROLE CURRENT_USER IN DATABASE ${await currentDatabase()} RESET lock_timeout`)
      }
    })
  }

  async function currentDatabase(): Promise<string> {
    const { name } = await db.one<{ name: string }>(`SELECT current_database() AS name`)
    return name
  }
})
}
