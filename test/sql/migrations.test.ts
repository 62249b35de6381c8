import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MigrationError, applyMigrations, readMigrations, sqlDirectory } from '@audit-trail/core'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false })
})
afterAll(async () => {
  await db?.drop()
})

/** Everything the migrations define, as text, to compare before and after a second apply. */
async function catalogSnapshot(): Promise<string> {
  const parts = await Promise.all([
    db.query(`SELECT table_name, column_name, data_type, column_default, is_nullable, is_identity, identity_generation
              FROM information_schema.columns WHERE table_schema = 'audit_trail' ORDER BY 1, ordinal_position`),
    db.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'audit_trail' ORDER BY 1`),
    db.query(`SELECT tgname, tgenabled, tgtype, pg_get_triggerdef(t.oid) AS def FROM pg_trigger t
              JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'audit_trail' AND NOT t.tgisinternal ORDER BY 1`),
    db.query(`SELECT p.proname, pg_get_functiondef(p.oid) AS def, p.proacl::text AS acl FROM pg_proc p
              JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'audit_trail' ORDER BY 1`),
    db.query(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
              WHERE connamespace = 'audit_trail'::regnamespace ORDER BY 1`),
    db.query(`SELECT relname, relacl::text AS acl FROM pg_class WHERE relnamespace = 'audit_trail'::regnamespace ORDER BY 1`),
    db.query(`SELECT name, checksum, applied_at FROM audit_trail.schema_migrations ORDER BY name`),
  ])
  return JSON.stringify(parts)
}

describe('sql/ migrations', () => {
  it('are numbered files applied in order', () => {
    const names = readMigrations().map((file) => file.name)
    expect(readMigrations().map((file) => `${file.kind} ${file.name}`)).toEqual([
      'numbered 001_activity_log.sql',
      'numbered 002_capture_catalog.sql',
      'numbered 003_hash_chain.sql',
      'numbered 004_archive.sql',
      'numbered 005_entry_context.sql',
      'repeatable functions/01_append_only.sql',
      'repeatable functions/02_capture.sql',
      'repeatable functions/03_hash_chain.sql',
      'repeatable functions/04_archive.sql',
      'repeatable functions/05_protection_checks.sql',
    ])
    expect(names.filter((name) => !name.startsWith('functions/'))).toEqual([...names.filter((name) => !name.startsWith('functions/'))].sort())
  })

  it('create the activity log exactly as SPEC.md lists it', async () => {
    const { applied } = await applyMigrations(db.url)
    expect(applied).toEqual(readMigrations().map((file) => file.name))
    const columns = await db.query<{ column_name: string; data_type: string; is_nullable: string; column_default: string | null }>(
      `SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
       WHERE table_schema = 'audit_trail' AND table_name = 'activity_log' ORDER BY ordinal_position`,
    )
    const byName = Object.fromEntries(columns.map((c) => [c.column_name, c]))
    const expected: Record<string, string> = {
      id: 'bigint',
      created_at: 'timestamp with time zone',
      log_name: 'text',
      actor_type: 'text',
      actor_id: 'text',
      actor_name: 'text',
      actor_email: 'text',
      impersonator_id: 'text',
      impersonator_name: 'text',
      action: 'text',
      resource_type: 'text',
      resource_id: 'text',
      resource_name: 'text',
      changes: 'jsonb',
      changed_fields: 'ARRAY',
      description: 'text',
      ip_address: 'inet',
      user_agent: 'text',
      location_id: 'text',
      tenant_id: 'text',
      request_id: 'text',
      transaction_id: 'bigint',
      source: 'text',
      metadata: 'jsonb',
    }
    for (const [name, type] of Object.entries(expected)) expect(byName[name]?.data_type, name).toBe(type)
    for (const name of ['id', 'created_at', 'log_name', 'actor_type', 'action', 'source']) {
      expect(byName[name]?.is_nullable, name).toBe('NO')
    }
    expect(byName.log_name?.column_default).toBe("'backoffice'::text")
    expect(byName.transaction_id?.column_default).toBe('txid_current()')
  })

  it('defaults transaction_id to the writing transaction and created_at to its start', async () => {
    const client = await db.pool.connect()
    try {
      await client.query('BEGIN')
      const [{ txid, now }] = (await client.query('SELECT txid_current() AS txid, now() AS now')).rows
      const { rows } = await client.query(
        `INSERT INTO audit_trail.activity_log (actor_type, action, source) VALUES ('system', 'login', 'manual')
         RETURNING transaction_id, created_at`,
      )
      await client.query('COMMIT')
      expect(rows[0].transaction_id).toBe(txid)
      expect(rows[0].created_at).toEqual(now)
    } finally {
      client.release()
    }
  })

  it('have the indexes the query API relies on', async () => {
    const rows = await db.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'audit_trail' AND tablename = 'activity_log'`,
    )
    const defs = Object.fromEntries(rows.map((r) => [r.indexname, r.indexdef]))
    expect(defs.activity_log_resource_idx).toContain('(resource_type, resource_id, id)')
    expect(defs.activity_log_actor_idx).toContain('(actor_id, id)')
    expect(defs.activity_log_created_at_brin).toContain('USING brin (created_at)')
    expect(defs.activity_log_changed_fields_gin).toContain('USING gin (changed_fields)')
    expect(defs.activity_log_location_idx).toContain('(location_id, id)')
    expect(defs.activity_log_tenant_idx).toContain('(tenant_id, id)')
  })

  it('applied a second time change nothing: numbered files are skipped, repeatable ones re-applied as they are', async () => {
    const before = await catalogSnapshot()
    const { applied } = await applyMigrations(db.url)
    expect(applied).toEqual(readMigrations().filter((file) => file.kind === 'repeatable').map((file) => file.name))
    expect(await catalogSnapshot()).toBe(before)
  })

  it('refuses a numbered file edited after it was applied, naming it, and applies nothing', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'audit-trail-sql-'))
    cpSync(sqlDirectory(), copy, { recursive: true })
    writeFileSync(join(copy, '003_hash_chain.sql'), `${readFileSync(join(copy, '003_hash_chain.sql'), 'utf8')}\n-- edited\n`)
    writeFileSync(join(copy, 'functions', '05_protection_checks.sql'), `${readFileSync(join(copy, 'functions', '05_protection_checks.sql'), 'utf8')}\nCREATE TABLE audit_trail.should_not_exist (id int);\n`)
    const error = await applyMigrations(db.url, { directory: copy }).then(() => null, (e: unknown) => e)
    expect(error).toBeInstanceOf(MigrationError)
    expect((error as Error).message).toMatch(/^audit-trail: migration 003_hash_chain\.sql was changed after it was applied/)
    expect(await db.query(`SELECT to_regclass('audit_trail.should_not_exist') AS t`)).toEqual([{ t: null }])
  })

  it('reject values outside the allowed sets with a check violation', async () => {
    await expect(
      db.query(`INSERT INTO audit_trail.activity_log (actor_type, action, source) VALUES ('robot', 'login', 'manual')`),
    ).rejects.toMatchObject({ code: '23514' })
    await expect(
      db.query(`INSERT INTO audit_trail.activity_log (actor_type, action, source) VALUES ('user', 'Drop Table', 'manual')`),
    ).rejects.toMatchObject({ code: '23514' })
  })
})
