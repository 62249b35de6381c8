import { randomBytes } from 'node:crypto'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyMigrations } from '@audit-trail/core'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
const appRole = `audit_app_${randomBytes(3).toString('hex')}`

beforeAll(async () => {
  db = await createTestDatabase()
  await db.query(`CREATE ROLE ${appRole} NOLOGIN`)
  await applyMigrations(db.url, { appRole })
  await db.query(
    `INSERT INTO audit_trail.activity_log (actor_type, action, source) VALUES ('system', 'created', 'orm')`,
  )
})
afterAll(async () => {
  await db?.query(`DROP OWNED BY ${appRole}`).catch(() => undefined)
  await db?.query(`DROP ROLE IF EXISTS ${appRole}`).catch(() => undefined)
  await db?.drop()
})

/** Runs `sql` as `role` (SET ROLE on one connection), then switches back. */
async function asRole<T>(role: string | null, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.pool.connect()
  try {
    if (role) await client.query(`SET ROLE ${role}`)
    return await fn(client)
  } finally {
    await client.query('RESET ROLE').catch(() => undefined)
    await client.query('RESET session_replication_role').catch(() => undefined)
    client.release()
  }
}

const forbidden = [
  'UPDATE audit_trail.activity_log SET action = $$deleted$$',
  'DELETE FROM audit_trail.activity_log',
  'TRUNCATE audit_trail.activity_log',
]

describe('append-only, as the application role', () => {
  it('can SELECT and write through record_event, not INSERT', async () => {
    await asRole(appRole, async (client) => {
      await client.query(`SELECT audit_trail.record_event($1::jsonb)`, [JSON.stringify({ action: 'login', actor_type: 'user', actor_id: 'u1' })])
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM audit_trail.activity_log`)
      expect(rows[0].n).toBeGreaterThanOrEqual(2)
      await expect(
        client.query(`INSERT INTO audit_trail.activity_log (actor_type, actor_id, action, source) VALUES ('user', 'u1', 'login', 'manual')`),
      ).rejects.toMatchObject({ code: '42501' })
    })
  })

  it.each([
    ...forbidden,
    'ALTER TABLE audit_trail.activity_log ADD COLUMN x int',
    'ALTER TABLE audit_trail.activity_log DISABLE TRIGGER activity_log_reject_update',
    'ALTER TABLE audit_trail.activity_log DISABLE TRIGGER ALL',
    'DROP TABLE audit_trail.activity_log',
    'SET session_replication_role = replica',
    "SELECT audit_trail.grant_app_role('postgres')",
  ])('is denied: %s', async (sql) => {
    await asRole(appRole, async (client) => {
      await expect(client.query(sql)).rejects.toMatchObject({ code: '42501' })
    })
  })
})

describe('append-only, as the owner', () => {
  it.each(forbidden)('is refused by the triggers: %s', async (sql) => {
    await asRole(null, async (client) => {
      const error = await client.query(sql).then(
        () => null,
        (e: pg.DatabaseError) => e,
      )
      expect(error?.code).toBe('42501')
      expect(error?.message).toMatch(/^(UPDATE|DELETE|TRUNCATE) on audit_trail\.activity_log is not allowed: the activity log is append-only$/)
      expect(error?.hint).toContain('Entries can only be added')
    })
  })

  it('refuses an UPDATE that matches no row too', async () => {
    await expect(db.query('UPDATE audit_trail.activity_log SET action = $$x$$ WHERE id < 0')).rejects.toMatchObject({
      code: '42501',
    })
  })

  it('still refuses under session_replication_role = replica', async () => {
    await asRole(null, async (client) => {
      await client.query('SET session_replication_role = replica')
      await expect(client.query('DELETE FROM audit_trail.activity_log')).rejects.toMatchObject({ code: '42501' })
    })
  })

  it('keeps every row after all the attempts', async () => {
    const { n } = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail.activity_log`)
    expect(n).toBe(2)
  })
})

describe('grant_app_role', () => {
  it('rejects a role that does not exist with a clear error', async () => {
    await expect(db.query(`SELECT audit_trail.grant_app_role('no_such_role_xyz')`)).rejects.toMatchObject({
      code: '42704',
      message: 'audit_trail.grant_app_role: role "no_such_role_xyz" does not exist',
    })
  })

  it('refuses the owning role', async () => {
    const { owner } = await db.one<{ owner: string }>(
      `SELECT tableowner AS owner FROM pg_tables WHERE schemaname = 'audit_trail' AND tablename = 'activity_log'`,
    )
    await expect(db.query(`SELECT audit_trail.grant_app_role($1)`, [owner])).rejects.toMatchObject({ code: '42501' })
  })

  it('quotes the role name rather than interpolating it', async () => {
    const weird = `app"; DROP TABLE audit_trail.activity_log; --${randomBytes(2).toString('hex')}`
    await db.query(`CREATE ROLE "${weird.replace(/"/g, '""')}" NOLOGIN`)
    try {
      await db.query(`SELECT audit_trail.grant_app_role($1)`, [weird])
      const { privileges } = await db.one<{ privileges: string }>(
        `SELECT string_agg(privilege_type, ',' ORDER BY privilege_type) AS privileges
         FROM information_schema.role_table_grants WHERE grantee = $1 AND table_name = 'activity_log'`,
        [weird],
      )
      expect(privileges).toBe('SELECT')
    } finally {
      await db.query(`DROP OWNED BY "${weird.replace(/"/g, '""')}"`)
      await db.query(`DROP ROLE "${weird.replace(/"/g, '""')}"`)
    }
  })
})
