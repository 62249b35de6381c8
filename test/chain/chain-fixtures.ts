import type pg from 'pg'
import { writeEntries, type ActivityLogRow } from '@audit-trail/core'

/** One ORM-shaped entry with most columns set, so that edits to any column are visible. */
export function sampleEntry(n: number, overrides: Partial<ActivityLogRow> = {}): ActivityLogRow {
  return {
    log_name: 'backoffice',
    actor_type: 'user',
    actor_id: `u${n % 3}`,
    actor_name: `User ${n % 3}`,
    actor_email: `u${n % 3}@example.com`,
    impersonator_id: null,
    impersonator_name: null,
    action: 'updated',
    resource_type: 'item',
    resource_id: String(n),
    resource_name: `Item ${n}`,
    changes: { price: { old: { $decimal: '12.50' }, new: { $decimal: String(13 + n) } }, note: { old: null, new: 'x' } },
    changed_fields: ['note', 'price'],
    description: null,
    ip_address: '192.168.1.100',
    user_agent: 'vitest',
    location_id: 'loc-1',
    tenant_id: null,
    request_id: `req-${n}`,
    source: 'orm',
    metadata: { n },
    ...overrides,
  }
}

/** Inserts `count` entries through the ORM writer, `perStatement` rows per INSERT. */
export async function writeSample(client: pg.Pool | pg.PoolClient, from: number, count: number, perStatement = 1): Promise<void> {
  for (let i = 0; i < count; i += perStatement) {
    const rows = []
    for (let k = i; k < Math.min(count, i + perStatement); k++) rows.push(sampleEntry(from + k))
    await writeEntries(client, rows)
  }
}

/** Runs `fn` on one connection inside a transaction that is always rolled back. */
export async function inRolledBackTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    return await fn(client)
  } finally {
    await client.query('ROLLBACK').catch(() => undefined)
    client.release()
  }
}

/** Disables the append-only triggers inside the caller's transaction (owner-level tampering). */
export async function disableAppendOnly(client: pg.PoolClient, table = 'audit_trail.activity_log'): Promise<void> {
  await client.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`)
}

/**
 * Owner-level tampering that stays: runs `sql` with the append-only triggers of the log off and
 * commits, then switches them back on with ENABLE TRIGGER USER (as an attacker would: not as
 * ENABLE ALWAYS, which `verify` reports).
 */
export async function tamperCommitted(pool: pg.Pool, sql: string): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await disableAppendOnly(client)
    await client.query(sql)
    await client.query('ALTER TABLE audit_trail.activity_log ENABLE TRIGGER USER')
    await client.query('COMMIT')
  } finally {
    client.release()
  }
}
