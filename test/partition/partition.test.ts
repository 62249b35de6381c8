import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyMigrations, archiveEntries, sealChain, verifyChain } from '@audit-trail/core'
import { createTestDatabase, dropRole, type TestDatabase } from '../support/test-database.js'

const PARTITION_SQL = readFileSync(new URL('../../sql/optional/partition_activity_log_by_month.sql', import.meta.url), 'utf8')
let db: TestDatabase
const appRole = `audit_app_${randomBytes(3).toString('hex')}`

/** `YYYY_MM` of the UTC month `offset` months from now. */
function monthSuffix(offset: number): string {
  const now = new Date()
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1))
  return `${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`
}

async function insertAt(createdAt: string): Promise<{ id: string; partition: string }> {
  return db.one(
    `INSERT INTO audit_trail.activity_log (created_at, actor_type, action, resource_type, resource_id, source)
     VALUES ($1::timestamptz, 'system', 'created', 'item', '1', 'orm') RETURNING id::text AS id, tableoid::regclass::text AS partition`,
    [createdAt],
  )
}

async function partitionsOf(table: string): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = $1::regclass ORDER BY 1`,
    [table],
  )
  return rows.map((r) => r.name)
}

beforeAll(async () => {
  db = await createTestDatabase()
  await db.query(`CREATE ROLE ${appRole} NOLOGIN`)
  await applyMigrations(db.url, { appRole })
  // Three months ago (ids 1..4), last month (5..7), now (8..9); sealed before the conversion.
  await db.query(
    `INSERT INTO audit_trail.activity_log (created_at, actor_type, action, resource_type, resource_id, source)
     SELECT date_trunc('month', now()) - make_interval(months => m) + interval '3 days' + make_interval(hours => i),
            'system', 'created', 'item', i::text, 'orm'
     FROM (VALUES (3, 4), (1, 3), (0, 2)) AS spec(m, n), generate_series(1, n) i
     ORDER BY m DESC, i`,
  )
  await sealChain(db.pool)
  await db.query(PARTITION_SQL)
})
afterAll(async () => {
  await dropRole(db, appRole)
  await db?.drop()
})

describe('partition_activity_log_by_month.sql', () => {
  it('turns the log and the archive into monthly partitioned tables with a default partition', async () => {
    const kinds = await db.query<{ relname: string; relkind: string }>(
      `SELECT relname, relkind::text FROM pg_class WHERE oid IN ('audit_trail.activity_log'::regclass, 'audit_trail.activity_log_archive'::regclass) ORDER BY 1`,
    )
    expect(kinds).toEqual([
      { relname: 'activity_log', relkind: 'p' },
      { relname: 'activity_log_archive', relkind: 'p' },
    ])
    const parts = await partitionsOf('audit_trail.activity_log')
    for (const offset of [-3, -2, -1, 0, 1, 2, 3]) expect(parts).toContain(`activity_log_${monthSuffix(offset)}`)
    expect(parts).toContain('activity_log_default')
    expect(await partitionsOf('audit_trail.activity_log_archive')).toEqual(
      expect.arrayContaining([`activity_log_archive_${monthSuffix(0)}`, 'activity_log_archive_default']),
    )
  })

  it('keeps every entry, id and link: the chain verifies unchanged', async () => {
    const { n } = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail.activity_log`)
    expect(n).toBe(9)
    expect(await verifyChain(db.pool)).toMatchObject({ ok: true, checked: 9 })
  })

  it('is left alone by the numbered migrations applied again, and by itself applied again', async () => {
    await applyMigrations(db.url, { appRole })
    await db.query(PARTITION_SQL)
    const { relkind } = await db.one<{ relkind: string }>(`SELECT relkind::text FROM pg_class WHERE oid = 'audit_trail.activity_log'::regclass`)
    expect(relkind).toBe('p')
    const indexes = await db.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = 'audit_trail' AND tablename = 'activity_log' ORDER BY 1`,
    )
    expect(indexes.map((i) => i.indexname)).toEqual([
      'activity_log_actor_idx',
      'activity_log_changed_fields_gin',
      'activity_log_created_at_brin',
      'activity_log_location_idx',
      'activity_log_pkey',
      'activity_log_request_idx',
      'activity_log_resource_idx',
      'activity_log_tenant_idx',
    ])
  })

  it('routes an insert to its month, and to the default partition when no month exists', async () => {
    const now = await insertAt(new Date().toISOString())
    expect(now.partition).toBe(`audit_trail.activity_log_${monthSuffix(0)}`)
    expect(Number(now.id)).toBe(10)
    const far = await insertAt('2100-01-15T00:00:00Z')
    expect(far.partition).toBe('audit_trail.activity_log_default')
  })

  it('refuses to create a month whose entries already sit in the default partition', async () => {
    await expect(
      db.query(`SELECT audit_trail.create_monthly_partitions('audit_trail.activity_log', 0, '2100-01-01')`),
    ).rejects.toMatchObject({ code: '55000' })
  })

  it('creates the next months ahead, idempotently', async () => {
    const { created } = await db.one<{ created: number }>(
      `SELECT audit_trail.create_monthly_partitions('audit_trail.activity_log', 5) AS created`,
    )
    expect(created).toBe(2)
    expect(await partitionsOf('audit_trail.activity_log')).toContain(`activity_log_${monthSuffix(5)}`)
    const again = await db.one<{ created: number }>(`SELECT audit_trail.create_monthly_partitions('audit_trail.activity_log', 5) AS created`)
    expect(again.created).toBe(0)
  })

  it.each([
    'UPDATE audit_trail.activity_log SET action = $$x$$',
    'DELETE FROM audit_trail.activity_log',
    'TRUNCATE audit_trail.activity_log',
    `UPDATE audit_trail.activity_log_${monthSuffix(0)} SET action = $$x$$`,
    `DELETE FROM audit_trail.activity_log_${monthSuffix(0)}`,
    `TRUNCATE audit_trail.activity_log_${monthSuffix(0)}`,
    'DELETE FROM audit_trail.activity_log_default',
  ])('stays append-only for the owner, partitions included: %s', async (sql) => {
    await expect(db.query(sql)).rejects.toMatchObject({ code: '42501' })
  })

  it('keeps the application role to SELECT and record_event', async () => {
    const client: pg.PoolClient = await db.pool.connect()
    try {
      await client.query(`SET ROLE ${appRole}`)
      await client.query(`SELECT audit_trail.record_event('{"action": "login", "actor_type": "user"}')`)
      await expect(client.query(`INSERT INTO audit_trail.activity_log (actor_type, action, source) VALUES ('user', 'login', 'manual')`)).rejects.toMatchObject({ code: '42501' })
      await expect(client.query('DELETE FROM audit_trail.activity_log')).rejects.toMatchObject({ code: '42501' })
      await expect(client.query(`SELECT * FROM audit_trail.activity_log_${monthSuffix(0)}`)).rejects.toMatchObject({ code: '42501' })
      await expect(client.query('SELECT audit_trail.archive_entries(0)')).rejects.toMatchObject({ code: '42501' })
    } finally {
      await client.query('RESET ROLE')
      client.release()
    }
  })

  it('seals and verifies new entries on the partitioned table', async () => {
    expect(await verifyChain(db.pool)).toMatchObject({ ok: true, checked: 12, unsealed: 0 })
  })

  it('archives whole old months by detaching them and attaching them to the archive', async () => {
    const twoMonthsAgo = `activity_log_${monthSuffix(-3)}`
    const { archived } = await archiveEntries(db.pool, { olderThanDays: 0 })
    // Months -3 and -1 are wholly in the past (month -2 is an empty partition, moved too); the current
    // month and the default partition's 2100 entry are not older than now.
    expect(archived).toBe(7)
    const logParts = await partitionsOf('audit_trail.activity_log')
    expect(logParts).not.toContain(twoMonthsAgo)
    expect(logParts).toContain(`activity_log_${monthSuffix(0)}`)
    expect(await partitionsOf('audit_trail.activity_log_archive')).toEqual(
      expect.arrayContaining([twoMonthsAgo, `activity_log_${monthSuffix(-1)}`]),
    )
    const { n } = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail.activity_log_archive`)
    expect(n).toBe(7)
    const entry = await db.one<{ metadata: Record<string, unknown> }>(
      `SELECT metadata FROM audit_trail.activity_log WHERE action = 'archived'`,
    )
    expect(entry.metadata).toMatchObject({ count: 7, first_id: '1', last_id: '7' })
    expect(await verifyChain(db.pool)).toMatchObject({ ok: true, checked: 13 })
  })

  it('keeps archived month partitions append-only', async () => {
    await expect(db.query(`DELETE FROM audit_trail.activity_log_${monthSuffix(-3)}`)).rejects.toMatchObject({ code: '42501' })
    await expect(db.query(`DELETE FROM audit_trail.activity_log_archive`)).rejects.toMatchObject({ code: '42501' })
  })
})
