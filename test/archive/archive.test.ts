import { randomBytes } from 'node:crypto'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyMigrations, ArchivePermissionError, archiveEntries, InvalidArgumentError, verifyChain } from '@audit-trail/core'
import { disableAppendOnly, inRolledBackTransaction } from '../chain/chain-fixtures.js'
import { createTestDatabase, dropRole, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
const appRole = `audit_app_${randomBytes(3).toString('hex')}`

/** Entries `daysAgo` old, through plain INSERTs (created_at is normally now()). */
async function seed(daysAgo: number, count: number): Promise<void> {
  await db.query(
    `INSERT INTO audit_trail.activity_log (created_at, actor_type, actor_id, action, resource_type, resource_id, source)
     SELECT now() - make_interval(days => $1), 'user', 'u1', 'updated', 'item', i::text, 'orm' FROM generate_series(1, $2::int) i`,
    [daysAgo, count],
  )
}

async function ids(table: string): Promise<number[]> {
  const rows = await db.query<{ id: string }>(`SELECT id::text AS id FROM audit_trail.${table} t ORDER BY t.id`)
  return rows.map((r) => Number(r.id))
}

async function asRole<T>(role: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.pool.connect()
  try {
    await client.query(`SET ROLE ${role}`)
    return await fn(client)
  } finally {
    await client.query('RESET ROLE').catch(() => undefined)
    client.release()
  }
}

beforeAll(async () => {
  db = await createTestDatabase()
  await db.query(`CREATE ROLE ${appRole} NOLOGIN`)
  await applyMigrations(db.url, { appRole })
  await seed(40, 5) // ids 1..5
  await seed(10, 3) // ids 6..8
  await seed(0, 2) // ids 9..10
})
afterAll(async () => {
  await dropRole(db, appRole)
  await db?.drop()
})

describe('archiveEntries as the application role', () => {
  it('is denied with 42501 when calling the SQL function, and nothing moves', async () => {
    await asRole(appRole, async (client) => {
      await expect(client.query('SELECT audit_trail.archive_entries(0)')).rejects.toMatchObject({ code: '42501' })
    })
    expect(await ids('activity_log')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(await ids('activity_log_archive')).toEqual([])
  })

  it('is denied through archiveEntries with ArchivePermissionError (cause 42501)', async () => {
    await asRole(appRole, async (client) => {
      const error = await archiveEntries(client, { olderThanDays: 0 }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ArchivePermissionError)
      expect((error as ArchivePermissionError).cause).toMatchObject({ code: '42501' })
    })
    expect(await ids('activity_log_archive')).toEqual([])
  })

  it('is denied even with EXECUTE granted by mistake (the function checks the caller)', async () => {
    await db.query(`GRANT EXECUTE ON FUNCTION audit_trail.archive_entries(integer) TO ${appRole}`)
    try {
      await asRole(appRole, async (client) => {
        await expect(client.query('SELECT audit_trail.archive_entries(0)')).rejects.toMatchObject({
          code: '42501',
          message: expect.stringContaining('only the role owning audit_trail.activity_log can archive'),
        })
      })
    } finally {
      await db.query(`REVOKE EXECUTE ON FUNCTION audit_trail.archive_entries(integer) FROM ${appRole}`)
    }
    expect(await ids('activity_log')).toHaveLength(10)
  })

  it('cannot DELETE by setting the archival flag itself', async () => {
    await asRole(appRole, async (client) => {
      await client.query(`SELECT set_config('audit_trail.archiving', 'audit_trail.activity_log', false)`)
      await expect(client.query('DELETE FROM audit_trail.activity_log WHERE id = 1')).rejects.toMatchObject({ code: '42501' })
      await client.query(`SELECT set_config('audit_trail.archiving', '', false)`)
    })
    expect(await ids('activity_log')).toHaveLength(10)
  })

  it('can read the archive and the chain, and verify', async () => {
    await asRole(appRole, async (client) => {
      await client.query('SELECT * FROM audit_trail.activity_log_archive')
      expect(await verifyChain(client)).toMatchObject({ ok: true, checked: 10 })
    })
  })
})

describe('archiveEntries as the owner', () => {
  it('rejects olderThanDays that is not an integer >= 0 before touching the database', async () => {
    for (const value of [-1, 1.5, Number.NaN, '3', undefined, null, 2 ** 31]) {
      await expect(archiveEntries(db.pool, { olderThanDays: value as number })).rejects.toBeInstanceOf(InvalidArgumentError)
    }
  })

  it('moves exactly the entries older than the cutoff and records an archived entry', async () => {
    expect(await archiveEntries(db.pool, { olderThanDays: 30 })).toEqual({ archived: 5 })
    expect(await ids('activity_log_archive')).toEqual([1, 2, 3, 4, 5])
    expect(await ids('activity_log')).toEqual([6, 7, 8, 9, 10, 11])
    const entry = await db.one<Record<string, unknown>>(`SELECT * FROM audit_trail.activity_log WHERE id = 11`)
    expect(entry).toMatchObject({
      action: 'archived',
      actor_type: 'database',
      resource_type: 'activity_log',
      source: 'manual',
      description: 'Archived 5 entries (ids 1 to 5) older than 30 days',
    })
    expect(entry.metadata).toMatchObject({ count: 5, first_id: '1', last_id: '5', older_than_days: 30 })
    const archivedRange = await db.one<{ from: string; to: string }>(
      `SELECT audit_trail.format_utc(min(created_at)) AS from, audit_trail.format_utc(max(created_at)) AS to FROM audit_trail.activity_log_archive`,
    )
    expect(entry.metadata).toMatchObject(archivedRange)
  })

  it('keeps the archived rows identical, column for column', async () => {
    const { differing } = await db.one<{ differing: number }>(
      `SELECT count(*)::int AS differing FROM audit_trail.activity_log_archive a
       WHERE a.created_at >= now() - interval '30 days' OR a.action <> 'updated' OR a.actor_id <> 'u1'`,
    )
    expect(differing).toBe(0)
  })

  it('leaves the chain verifiable across the log and the archive', async () => {
    expect(await verifyChain(db.pool)).toMatchObject({ ok: true, checked: 11, unsealed: 0 })
  })

  it('moves nothing and records nothing when nothing is old enough', async () => {
    expect(await archiveEntries(db.pool, { olderThanDays: 30 })).toEqual({ archived: 0 })
    expect(await ids('activity_log')).toEqual([6, 7, 8, 9, 10, 11])
  })

  it('with 0 moves everything before now, its own earlier entry included', async () => {
    expect(await archiveEntries(db.pool, { olderThanDays: 0 })).toEqual({ archived: 6 })
    expect(await ids('activity_log')).toEqual([12])
    expect(await verifyChain(db.pool)).toMatchObject({ ok: true, checked: 12 })
  })

  it('detects a change made to an archived entry', async () => {
    await inRolledBackTransaction(db.pool, async (client) => {
      await disableAppendOnly(client, 'audit_trail.activity_log_archive')
      await client.query(`UPDATE audit_trail.activity_log_archive SET actor_id = 'u2' WHERE id = 3`)
      expect(await verifyChain(client)).toMatchObject({ ok: false, firstBadId: '3' })
    })
  })

  it.each([
    'UPDATE audit_trail.activity_log_archive SET actor_id = $$x$$',
    'DELETE FROM audit_trail.activity_log_archive',
    'TRUNCATE audit_trail.activity_log_archive',
    'UPDATE audit_trail.activity_log_chain SET hash = hash',
    'DELETE FROM audit_trail.activity_log_chain',
    'TRUNCATE audit_trail.activity_log_chain',
  ])('keeps the archive and the chain append-only for the owner too: %s', async (sql) => {
    await expect(db.query(sql)).rejects.toMatchObject({ code: '42501' })
  })

  it('does not leave the archival exemption set after the function returns', async () => {
    const client = await db.pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('SELECT audit_trail.archive_entries(0)')
      await expect(client.query('DELETE FROM audit_trail.activity_log')).rejects.toMatchObject({ code: '42501' })
    } finally {
      await client.query('ROLLBACK')
      client.release()
    }
  })
})
