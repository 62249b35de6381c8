import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyMigrations, verifyLog } from '@audit-trail/core'
import { connectAsRole, createTestDatabase, type TestDatabase } from '../support/test-database.js'

// An install made with sql/ as it was before the hardening (commit 5bec3ea, kept as a fixture:
// the app role had INSERT, the DDL event trigger ran with the caller's rights), then upgraded by
// applying today's sql/: the attacks of issue 15 must fail there too.
const fixture = new URL('./fixtures/sql-5bec3ea/', import.meta.url)
let db: TestDatabase
let app: pg.Client
let migrationRows: string[] = []
const role = `audit_upgrade_app_${randomBytes(3).toString('hex')}`

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false })
  // As the previous release's runner did: every file applied, each recorded with its checksum.
  for (const file of readdirSync(fixture).sort()) {
    const sql = readFileSync(new URL(file, fixture), 'utf8')
    await db.query(sql)
    await db.query(`INSERT INTO audit_trail.schema_migrations (name, checksum) VALUES ($1, $2)`, [file, createHash('sha256').update(sql).digest('hex')])
  }
  await db.query(`CREATE ROLE ${role} LOGIN`)
  await db.query(`GRANT CREATE ON SCHEMA public TO ${role}`)
  await db.query(`SELECT audit_trail.grant_app_role($1)`, [role])
  await db.query(`CREATE TABLE items (id serial PRIMARY KEY, name text); ALTER TABLE items OWNER TO ${role}`)
  await db.query(`SELECT audit_trail.enable_capture('public.items')`)
  await db.query(`INSERT INTO items (name) VALUES ('before the upgrade')`)
  expect(await db.query(`SELECT has_table_privilege($1, 'audit_trail.activity_log', 'INSERT') AS insert`, [role])).toEqual([{ insert: true }])
  await applyMigrations(db.url)
  migrationRows = (await db.query<{ name: string }>(`SELECT name FROM audit_trail.schema_migrations ORDER BY name`)).map((r) => r.name)
  app = await connectAsRole(db, role)
})
afterAll(async () => {
  await app?.end()
  await db?.query(`DROP OWNED BY ${role}`).catch(() => undefined)
  await db?.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined)
  await db?.drop()
})

describe('an install upgraded from sql/ before the hardening', () => {
  it('was upgraded by the runner: 001 unchanged and skipped, the new numbered files applied, old entries still verify', async () => {
    expect(migrationRows).toEqual(
      expect.arrayContaining(['001_activity_log.sql', '002_capture_catalog.sql', '003_hash_chain.sql', '004_archive.sql', 'functions/02_capture.sql']),
    )
    const verified = await verifyLog(db.pool)
    expect(verified.firstBadId).toBeUndefined()
    expect(verified.checked).toBeGreaterThanOrEqual(1)
  })

  it('the app role lost INSERT on the log and got record_event', async () => {
    expect(
      await db.query(
        `SELECT has_table_privilege($1, 'audit_trail.activity_log', 'INSERT') AS insert,
                has_table_privilege($1, 'audit_trail.activity_log', 'SELECT') AS select,
                has_function_privilege($1, 'audit_trail.record_event(jsonb)', 'EXECUTE') AS record_event`,
        [role],
      ),
    ).toEqual([{ insert: false, select: true, record_event: true }])
  })

  it.each([
    ['a forged entry below the chain', `INSERT INTO audit_trail.activity_log (id, created_at, actor_type, actor_name, action, source) OVERRIDING SYSTEM VALUE VALUES (-1, '2019-01-01', 'user', 'The CEO', 'login', 'trigger')`],
    ['a pre-taken id', `INSERT INTO audit_trail.activity_log (id, actor_type, action, source) OVERRIDING SYSTEM VALUE SELECT max(id) + 1, 'user', 'login', 'manual' FROM audit_trail.activity_log`],
    ['a back-dated entry', `INSERT INTO audit_trail.activity_log (created_at, actor_type, action, source) VALUES ('2019-01-01', 'database', 'deleted', 'trigger')`],
  ])('%s is refused with 42501', async (_what, sql) => {
    await expect(app.query(sql)).rejects.toMatchObject({ code: '42501' })
  })

  it('the app role’s DDL works, capture keeps recording, dropping a capture trigger is recorded, and verify names it', async () => {
    await app.query(`ALTER TABLE items ADD COLUMN price int`)
    await app.query(`CREATE TABLE other (id int PRIMARY KEY)`)
    await app.query(`DROP TABLE other`)
    await app.query(`UPDATE items SET price = 3`)
    await app.query(`DROP TRIGGER audit_trail_capture_delete ON items`)
    const entries = await db.query<{ action: string; changes: unknown; description: string | null }>(
      `SELECT action, changes, description FROM audit_trail.activity_log WHERE resource_type = 'items' ORDER BY id`,
    )
    expect(entries.map((e) => e.action)).toEqual(['created', 'updated', 'capture_changed'])
    expect(entries[1]!.changes).toEqual({ price: { old: null, new: 3 } })
    expect(entries[2]!.description).toBe('capture trigger audit_trail_capture_delete was dropped')
    const verified = await verifyLog(db.pool)
    expect(verified.firstBadId).toBeUndefined()
    expect(verified.findings).toEqual([{ table: 'public.items', problem: 'capture trigger(s) audit_trail_capture_delete missing or disabled' }])
  })
})
