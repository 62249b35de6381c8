import { randomBytes } from 'node:crypto'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuditLog, sealChain, verifyChain, writeEntries } from '@audit-trail/core'
import { connectAsRole, createAppRole, createTestDatabase, dropRole, type TestDatabase } from '../support/test-database.js'
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
  await createAppRole(db, role)
  // Entries in the log, some archived, all sealed: every table the attacks target has rows.
  await db.query(
    `INSERT INTO audit_trail.activity_log (created_at, actor_type, actor_id, action, resource_type, resource_id, source)
     SELECT now() - make_interval(days => 30), 'user', 'u1', 'updated', 'item', i::text, 'orm' FROM generate_series(1, 5) i`,
  )
  await db.query(`SELECT audit_trail.archive_entries(10)`)
  await writeEntries(db.pool, [entryRow({ actor_id: 'u2' })])
  await sealChain(db.pool)
  await db.query(`DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO ${role}', current_database()); END $$`)
  app = await connectAsRole(db, role)
})
afterAll(async () => {
  await app?.end()
  await dropRole(db, role)
  await db?.drop()
})

describe('S1 as the application role', () => {
  it('is that role, and can read the log, record events through record_event and seal the chain', async () => {
    expect((await app.query(`SELECT current_user AS u`)).rows).toEqual([{ u: role }])
    const log = createAuditLog({ pool: app as unknown as pg.Pool })
    const entry = await log.record({ action: 'login', description: 'as the app role' })
    expect(entry).toMatchObject({ action: 'login', source: 'manual', actor: { type: 'system' } })
    expect((await app.query(`SELECT count(*)::int AS n FROM audit_trail.activity_log WHERE description = 'as the app role'`)).rows).toEqual([{ n: 1 }])
    await sealChain(app)
  })

  // The attacks of issue 15: forged, back-dated and pre-taken entries need INSERT, which the
  // application role no longer has; record_event assigns id, created_at, transaction_id, source.
  const forged: ReadonlyArray<readonly [string, string]> = [
    ['INSERT an entry', `INSERT INTO audit_trail.activity_log (actor_type, action, source) VALUES ('user', 'login', 'manual')`],
    ['INSERT a back-dated, signed entry with id 0 (OVERRIDING SYSTEM VALUE)',
      `INSERT INTO audit_trail.activity_log (id, created_at, actor_type, actor_name, action, source) OVERRIDING SYSTEM VALUE
       VALUES (0, '2019-01-01', 'user', 'The CEO', 'deleted', 'trigger')`],
    ['pre-take the next identity values', `INSERT INTO audit_trail.activity_log (id, actor_type, action, source) OVERRIDING SYSTEM VALUE
       SELECT max(id) + g, 'user', 'login', 'manual' FROM audit_trail.activity_log, generate_series(1, 5) g GROUP BY g`],
    ['INSERT ... SELECT a copy', `INSERT INTO audit_trail.activity_log (actor_type, action, source) SELECT actor_type, action, source FROM audit_trail.activity_log`],
    ['COPY into the log', `COPY audit_trail.activity_log (actor_type, action, source) FROM STDIN`],
  ]
  it.each(forged)('cannot %s: 42501', async (_what, sql) => {
    const before = await counts()
    const error = await app.query(sql).then(() => null, (e: pg.DatabaseError) => e)
    expect(error?.code).toBe('42501')
    expect(await counts()).toBe(before)
  })

  const crafted: ReadonlyArray<readonly [string, unknown, string]> = [
    ['an id', { action: 'login', id: -1 }, '"id" is assigned by the server'],
    ['a created_at in the past', { action: 'login', created_at: '2019-01-01T00:00:00Z' }, '"created_at" is assigned by the server'],
    ['a transaction_id', { action: 'login', transaction_id: '1' }, '"transaction_id" is assigned by the server'],
    ['a source', { action: 'login', source: 'trigger' }, '"source" is assigned by the server'],
    ['actor type database', { action: 'login', actor_type: 'database', actor_name: 'postgres' }, 'actor_type must be user or system'],
    ['an unknown column', { action: 'login', hash: 'x' }, 'unknown key "hash"'],
    ['a non-object', [1, 2], 'event must be a JSON object'],
    ['changes of the wrong shape', { action: 'login', changes: { email: 'x' } }, 'changes must be'],
  ]
  it.each(crafted)('record_event refuses %s: 22023, nothing written', async (_what, event, message) => {
    const before = await counts()
    const error = await app.query('SELECT audit_trail.record_event($1::jsonb)', [JSON.stringify(event)]).then(() => null, (e: pg.DatabaseError) => e)
    expect(error).toMatchObject({ code: '22023' })
    expect(error?.message).toContain(message)
    expect(await counts()).toBe(before)
  })

  it('record_event assigns id, created_at, transaction_id and source itself', async () => {
    const id = (await app.query(`SELECT audit_trail.record_event($1::jsonb)::text AS id`, [
      JSON.stringify({ action: 'pdf_downloaded', actor_type: 'user', actor_id: 'u9', changes: { b: { old: 1, new: 2 }, a: { old: null, new: 1 } } }),
    ])).rows[0].id as string
    const { rows: written } = await app.query(
      `SELECT source, changed_fields, actor_id, created_at > now() - interval '1 minute' AS recent, transaction_id IS NOT NULL AS tx
       FROM audit_trail.activity_log WHERE id = $1`,
      [id],
    )
    expect(written).toEqual([{ source: 'manual', changed_fields: ['a', 'b'], actor_id: 'u9', recent: true, tx: true }])
  })

  it('a SECURITY DEFINER function of the schema cannot be hijacked through search_path', async () => {
    await app.query(`CREATE SCHEMA ${role}_evil`)
    await app.query(`SET search_path = ${role}_evil, public`)
    try {
      // Functions sql/ calls unqualified resolve in pg_catalog first: shadowing them does nothing.
      await app.query(`CREATE FUNCTION ${role}_evil.jsonb_typeof(jsonb) RETURNS text LANGUAGE sql AS $$ SELECT 'object' $$`)
      const error = await app.query('SELECT audit_trail.record_event($1::jsonb)', [JSON.stringify([1])]).then(() => null, (e: pg.DatabaseError) => e)
      expect(error).toMatchObject({ code: '22023' })
      const rows = await db.query(`SELECT proname, proconfig FROM pg_proc WHERE pronamespace = 'audit_trail'::regnamespace AND prosecdef ORDER BY 1`)
      for (const fn of rows as Array<{ proname: string; proconfig: string[] | null }>) {
        expect(fn.proconfig, fn.proname).toContain('search_path=pg_catalog, pg_temp')
      }
    } finally {
      await app.query('RESET search_path')
    }
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
