import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sealChain, verifyChain, writeEntries } from '@audit-trail/core'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'
import { entryRow } from './entry-row.js'

// S1: everything an application role could try against the log, as a real role made an app
// role by audit_trail.grant_app_role. On a server the test logs in as that role; PGlite has a
// single built-in user behind its socket, so there the connection switches with SET ROLE (the
// privilege checks are the same).
let db: TestDatabase
let app: pg.Client
const role = `audit_app_${randomBytes(3).toString('hex')}`

async function counts(): Promise<string> {
  const rows = await db.query(
    `SELECT (SELECT count(*) FROM audit_trail.activity_log) AS log, (SELECT count(*) FROM audit_trail.activity_log_archive) AS archive,
            (SELECT count(*) FROM audit_trail.activity_log_chain) AS chain`,
  )
  return JSON.stringify(rows)
}

beforeAll(async () => {
  db = await createTestDatabase()
  await db.query(`CREATE ROLE ${role} LOGIN`)
  await db.query(`SELECT audit_trail.grant_app_role($1)`, [role])
  // Entries in the log, some archived, all sealed: every table the attacks target has rows.
  await db.query(
    `INSERT INTO audit_trail.activity_log (created_at, actor_type, actor_id, action, resource_type, resource_id, source)
     SELECT now() - make_interval(days => 30), 'user', 'u1', 'updated', 'item', i::text, 'orm' FROM generate_series(1, 5) i`,
  )
  await db.query(`SELECT audit_trail.archive_entries(10)`)
  await writeEntries(db.pool, [entryRow({ actor_id: 'u2' })])
  await sealChain(db.pool)
  if (db.embedded) {
    app = new pg.Client({ connectionString: db.url })
    await app.connect()
    await app.query(`SET ROLE ${role}`)
  } else {
    const url = new URL(db.url)
    url.username = role
    app = new pg.Client({ connectionString: url.toString() })
    await app.connect()
  }
})
afterAll(async () => {
  await app?.end()
  await db?.query(`DROP OWNED BY ${role}`).catch(() => undefined)
  await db?.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined)
  await db?.drop()
})

describe('S1 as the application role', () => {
  it('is that role, and can INSERT and SELECT the log and seal the chain', async () => {
    expect((await app.query(`SELECT current_user AS u`)).rows).toEqual([{ u: role }])
    await writeEntries(app, [entryRow({ actor_id: 'app' })])
    expect((await app.query(`SELECT count(*)::int AS n FROM audit_trail.activity_log WHERE actor_id = 'app'`)).rows).toEqual([{ n: 1 }])
    await sealChain(app)
  })

  const denied: ReadonlyArray<readonly [string, string]> = [
    ['UPDATE the log', `UPDATE audit_trail.activity_log SET actor_id = 'someone else'`],
    ['DELETE from the log', `DELETE FROM audit_trail.activity_log`],
    ['TRUNCATE the log', `TRUNCATE audit_trail.activity_log`],
    ['ALTER the log (add a column)', `ALTER TABLE audit_trail.activity_log ADD COLUMN x int`],
    ['ALTER the log (owner)', `ALTER TABLE audit_trail.activity_log OWNER TO CURRENT_USER`],
    ['DROP the log', `DROP TABLE audit_trail.activity_log`],
    ['DROP the schema', `DROP SCHEMA audit_trail CASCADE`],
    ['DISABLE one append-only trigger', `ALTER TABLE audit_trail.activity_log DISABLE TRIGGER activity_log_reject_update`],
    ['DISABLE TRIGGER ALL', `ALTER TABLE audit_trail.activity_log DISABLE TRIGGER ALL`],
    ['SET session_replication_role = replica', `SET session_replication_role = replica`],
    ['call archive_entries', `SELECT audit_trail.archive_entries(0)`],
    ['UPDATE the archive', `UPDATE audit_trail.activity_log_archive SET actor_id = 'x'`],
    ['DELETE from the archive', `DELETE FROM audit_trail.activity_log_archive`],
    ['TRUNCATE the archive', `TRUNCATE audit_trail.activity_log_archive`],
    ['INSERT into the archive', `INSERT INTO audit_trail.activity_log_archive (id, created_at, actor_type, action, source) VALUES (999999, now(), 'user', 'login', 'manual')`],
    ['DELETE from the chain', `DELETE FROM audit_trail.activity_log_chain`],
    ['UPDATE the chain', `UPDATE audit_trail.activity_log_chain SET hash = hash`],
    ['TRUNCATE the chain', `TRUNCATE audit_trail.activity_log_chain`],
    ['INSERT a forged link', `INSERT INTO audit_trail.activity_log_chain SELECT entry_id + 1000000, hash FROM audit_trail.activity_log_chain LIMIT 1`],
    ['DISABLE the chain triggers', `ALTER TABLE audit_trail.activity_log_chain DISABLE TRIGGER ALL`],
    ['replace a function of the schema', `CREATE OR REPLACE FUNCTION audit_trail.entry_canonical(entry jsonb) RETURNS text LANGUAGE sql AS 'SELECT ''x'''`],
    ['create a table in the schema', `CREATE TABLE audit_trail.shadow (id int)`],
    ['grant itself more', `SELECT audit_trail.grant_app_role(CURRENT_USER::text)`],
  ]
  it.each(denied)('cannot %s: 42501 (insufficient privilege)', async (_what, sql) => {
    const before = await counts()
    const error = await app.query(sql).then(
      () => null,
      (e: pg.DatabaseError) => e,
    )
    expect(error?.code).toBe('42501')
    expect(await counts()).toBe(before)
  })

  it('leaves every entry in place and the chain verifying after all the attempts', async () => {
    const verified = await verifyChain(db.pool)
    expect(verified).toMatchObject({ ok: true, unsealed: 0 })
    const { n } = await db.one<{ n: number }>(`SELECT (SELECT count(*) FROM audit_trail.activity_log) + (SELECT count(*) FROM audit_trail.activity_log_archive) AS n`)
    expect(verified.checked).toBe(Number(n))
    expect(await db.query(`SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'audit_trail.activity_log'::regclass AND tgname LIKE '%reject%' ORDER BY tgname`)).toEqual(
      (await db.query(`SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_trail.activity_log'::regclass AND tgname LIKE '%reject%' ORDER BY tgname`)).map(
        (t) => ({ ...t, tgenabled: 'A' }),
      ),
    )
  })
})
