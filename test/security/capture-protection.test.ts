import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuditLog, enableCapture, sealChain, verifyLog, withAuditContextSql } from '@audit-trail/core'
import { connectAsRole, createAppRole, createTestDatabase, dropRole, type TestDatabase } from '../support/test-database.js'

// Capture cannot be switched off unseen, and sql/ never breaks an app's own migrations: as a
// real non-superuser role that owns its tables and runs its own DDL (on a server it logs in as
// that role; PGlite has one built-in user, so there the connection switches with SET ROLE).
let db: TestDatabase
let app: AppConnection
const role = `audit_owner_app_${randomBytes(3).toString('hex')}`

interface AppConnection {
  query(sql: string): Promise<unknown>
  end(): Promise<void>
}

/**
 * A connection acting as the application role. On a server it logs in as that role. PGlite
 * serves every connection from one session, so there the role is switched around each statement
 * (one simple-protocol message: nothing of another connection runs in between).
 */
async function connectAs(name: string): Promise<AppConnection> {
  if (db.embedded) {
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    return {
      query: (sql) =>
        client.query(`SET ROLE ${name}; ${sql}; RESET ROLE`).catch(async (error: unknown) => {
          await client.query('RESET ROLE')
          throw error
        }),
      end: () => client.end(),
    }
  }
  const client = await connectAsRole(db, name)
  return { query: (sql) => client.query(sql), end: () => client.end() }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Entry = Record<string, any>
async function captureChanges(since: number): Promise<Entry[]> {
  return db.query(
    `SELECT action, actor_type, actor_name, resource_type, description, metadata FROM audit_trail.activity_log
     WHERE id > $1 AND action = 'capture_changed' ORDER BY id`,
    [since],
  )
}
async function watermark(): Promise<number> {
  return (await db.one<{ max: number }>('SELECT coalesce(max(id), 0)::int AS max FROM audit_trail.activity_log')).max
}

beforeAll(async () => {
  db = await createTestDatabase()
  await createAppRole(db, role, { createInPublic: true })
  app = await connectAs(role)
})
afterAll(async () => {
  await app?.end()
  await dropRole(db, role)
  await db?.drop()
})

describe('the application role’s own migrations', () => {
  it('create, alter and drop tables and indexes, captured and not, all succeed', async () => {
    await app.query(`CREATE TABLE "Orders" (id serial PRIMARY KEY, total numeric, note text)`)
    await app.query(`CREATE TABLE scratch (id serial PRIMARY KEY, v text)`)
    await enableCapture(db.pool, 'public.Orders', { resourceType: 'order' })
    const since = await watermark()
    for (const sql of [
      `ALTER TABLE scratch ADD COLUMN w int`,
      `CREATE INDEX scratch_w ON scratch (w)`,
      `DROP INDEX scratch_w`,
      `ALTER TABLE scratch RENAME COLUMN v TO value`,
      `DROP TABLE scratch`,
      `ALTER TABLE "Orders" ADD COLUMN currency text DEFAULT 'EUR'`,
      `CREATE INDEX orders_currency ON "Orders" (currency)`,
      `DROP INDEX orders_currency`,
      `ALTER TABLE "Orders" RENAME COLUMN note TO comment`,
      `CREATE TABLE scratch2 (id int)`,
      `DROP TABLE scratch2`,
    ]) {
      await app.query(sql)
    }
    // Legitimate changes of a captured table are not "capture changes".
    expect(await captureChanges(since)).toEqual([])
    // ... and the captured shape follows them: the new column is recorded, the renamed one by its new name.
    await app.query(withAuditContextSql(`INSERT INTO "Orders" (total, comment) VALUES (12.50, 'hi')`))
    const [created] = await db.query<Entry>(`SELECT changes FROM audit_trail.activity_log WHERE id > $1 AND action = 'created'`, [since])
    expect(created!.changes).toEqual({
      id: { old: null, new: 1 },
      total: { old: null, new: { $decimal: '12.5' } },
      comment: { old: null, new: 'hi' },
      currency: { old: null, new: 'EUR' },
    })
    expect((await verifyLog(db.pool)).findings).toEqual([])
  })
})

describe('switching capture off is recorded and reported', () => {
  const cases: ReadonlyArray<readonly [string, string, RegExp, RegExp]> = [
    ['DROP TRIGGER', `DROP TRIGGER audit_trail_capture_delete ON t_drop_trigger`, /capture trigger audit_trail_capture_delete was dropped/,
      /audit_trail_capture_delete missing or disabled/],
    ['ALTER TABLE ... DISABLE TRIGGER', `ALTER TABLE t_disable DISABLE TRIGGER audit_trail_capture_update`,
      /audit_trail_capture_update missing or disabled/, /audit_trail_capture_update missing or disabled/],
    ['DISABLE TRIGGER ALL', `ALTER TABLE t_disable_all DISABLE TRIGGER ALL`, /audit_trail_capture_delete, audit_trail_capture_insert, audit_trail_capture_truncate, audit_trail_capture_update missing or disabled/,
      /missing or disabled/],
    ['dropping the primary key', `ALTER TABLE t_key DROP CONSTRAINT t_key_pkey`, /primary key changed from \(id\) to \(id, v\)/, /primary key is no longer \(id\), as when capture was enabled/],
    ['replacing a capture trigger', `CREATE OR REPLACE TRIGGER audit_trail_capture_insert AFTER INSERT ON t_replace FOR EACH STATEMENT EXECUTE FUNCTION suppress_redundant_updates_trigger()`,
      /audit_trail_capture_insert missing or disabled/, /audit_trail_capture_insert missing or disabled/],
  ]
  it.each(cases)('%s as the table’s owner: a capture_changed entry, and verify names the table', async (_what, sql, recorded, reported) => {
    const table = /\b(t_[a-z_]+)\b/.exec(sql.replace(/audit_trail_capture_[a-z]+/g, ''))![1]!
    await app.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, v text)`)
    await enableCapture(db.pool, table, { resourceType: table })
    const since = await watermark()
    await app.query(sql)
    const [entry, ...rest] = await captureChanges(since)
    expect(rest).toEqual([])
    expect(entry).toMatchObject({ action: 'capture_changed', actor_type: 'database', actor_name: db.embedded ? 'postgres' : role, resource_type: table })
    expect(entry!.description).toMatch(recorded)
    expect(entry!.metadata).toMatchObject({ session_user: db.embedded ? 'postgres' : role, command_tag: expect.any(String) })
    const verified = await verifyLog(db.pool)
    expect(verified.ok).toBe(false)
    expect(verified.findings.find((f) => f.table === `public.${table}`)?.problem, JSON.stringify(verified.findings)).toMatch(reported)
    await db.query(`DROP TABLE ${table}`)
  })

  it('DROP TABLE of a captured table: a capture_changed entry, and the table leaves the catalog', async () => {
    await app.query(`CREATE TABLE t_gone (id serial PRIMARY KEY)`)
    await enableCapture(db.pool, 't_gone', { resourceType: 'gone' })
    const since = await watermark()
    await app.query(`DROP TABLE t_gone`)
    expect(await captureChanges(since)).toMatchObject([{ resource_type: 'gone', description: 'the captured table was dropped', actor_name: db.embedded ? 'postgres' : role }])
    expect(await db.query(`SELECT 1 FROM audit_trail.capture_settings() WHERE table_name = 't_gone'`)).toEqual([])
  })

  it('disable_capture is recorded; enabling and changing options are not', async () => {
    await app.query(`CREATE TABLE t_options (id serial PRIMARY KEY, v text)`)
    const since = await watermark()
    await enableCapture(db.pool, 't_options', { resourceType: 'opt' })
    await enableCapture(db.pool, 't_options', { resourceType: 'opt' })
    await enableCapture(db.pool, 't_options', { resourceType: 'opt2' })
    await db.query(`SELECT audit_trail.disable_capture('t_options')`)
    // Enabling (or changing options) is not an entry: capture_catalog shows the options and enabled_at.
    expect((await captureChanges(since)).map((e) => [e.resource_type, e.description])).toEqual([['opt2', 'capture disabled']])
  })
})

describe('the append-only triggers', () => {
  it('verify reports a disabled append-only trigger of the log (a superuser did it)', async () => {
    await db.query(`ALTER TABLE audit_trail.activity_log DISABLE TRIGGER activity_log_reject_delete`)
    try {
      expect((await verifyLog(db.pool)).findings).toContainEqual({
        table: 'audit_trail.activity_log',
        problem: 'append-only trigger activity_log_reject_delete is missing or not ENABLE ALWAYS',
      })
    } finally {
      await db.query(`ALTER TABLE audit_trail.activity_log ENABLE ALWAYS TRIGGER activity_log_reject_delete`)
    }
    expect((await verifyLog(db.pool)).findings.filter((f) => f.table.startsWith('audit_trail.'))).toEqual([])
  })
})

describe('DDL while the log is written and sealed', () => {
  it('8 writers and the sealer, while the app role migrates other tables: no errors, the chain verifies', async () => {
    await app.query(`CREATE TABLE busy (id serial PRIMARY KEY, n int NOT NULL DEFAULT 0)`)
    await enableCapture(db.pool, 'busy', { resourceType: 'busy' })
    const writers = await Promise.all(Array.from({ length: 8 }, () => connectAs(role)))
    const log = createAuditLog({ pool: db.pool })
    const errors: unknown[] = []
    let running = true
    try {
      const writing = writers.map(async (client, w) => {
        for (let i = 0; i < (db.embedded ? 10 : 40); i++) {
          await client.query(withAuditContextSql(`INSERT INTO busy (n) VALUES (${w * 1000 + i})`)).catch((e: unknown) => errors.push(e))
        }
      })
      const sealing = (async () => {
        while (running) {
          await sealChain(db.pool).catch((e: unknown) => errors.push(e))
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
      })()
      const migrating = (async () => {
        for (let i = 0; i < (db.embedded ? 3 : 15); i++) {
          await app.query(`CREATE TABLE mig_${i} (id serial PRIMARY KEY, v text)`)
          await app.query(`ALTER TABLE mig_${i} ADD COLUMN w int`)
          await app.query(`CREATE INDEX ON mig_${i} (w)`)
          await app.query(`DROP TABLE mig_${i}`)
        }
      })().catch((e: unknown) => errors.push(e))
      await Promise.all([...writing, migrating])
      running = false
      await sealing
    } finally {
      running = false
      await Promise.all(writers.map((client) => client.end()))
    }
    expect(errors).toEqual([])
    const { n } = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail.activity_log WHERE resource_type = 'busy'`)
    expect(n).toBe(8 * (db.embedded ? 10 : 40))
    const verified = await log.verify()
    expect(verified).toMatchObject({ ok: true, unsealed: 0 })
    await log.close()
  })
})
