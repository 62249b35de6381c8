import type { TestDatabase } from '../support/test-database.js'

/** An activity_log row for tests: any column, with defaults for the NOT NULL ones. */
export type SeedEntry = Partial<{
  created_at: string
  log_name: string
  actor_type: 'user' | 'system' | 'database'
  actor_id: string | null
  actor_name: string | null
  actor_email: string | null
  impersonator_id: string | null
  impersonator_name: string | null
  action: string
  resource_type: string | null
  resource_id: string | null
  resource_name: string | null
  changes: Record<string, { old: unknown; new: unknown }> | null
  description: string | null
  ip_address: string | null
  user_agent: string | null
  location_id: string | null
  tenant_id: string | null
  request_id: string | null
  source: 'orm' | 'trigger' | 'manual'
  metadata: Record<string, unknown> | null
}>

/**
 * Inserts entries as given (created_at included, so tests control time) in one statement and
 * returns their ids in order. changed_fields is derived from changes, as the writer does.
 */
export async function seedEntries(db: TestDatabase, entries: readonly SeedEntry[]): Promise<string[]> {
  const rows = entries.map((entry) => ({
    log_name: 'backoffice',
    actor_type: 'user',
    action: 'updated',
    source: 'orm',
    ...entry,
    created_at: entry.created_at ?? new Date().toISOString(),
    changed_fields: entry.changes ? Object.keys(entry.changes).sort() : null,
  }))
  const result = await db.query<{ id: string }>(
    `INSERT INTO audit_trail.activity_log (created_at, log_name, actor_type, actor_id, actor_name, actor_email,
       impersonator_id, impersonator_name, action, resource_type, resource_id, resource_name, changes, changed_fields,
       description, ip_address, user_agent, location_id, tenant_id, request_id, source, metadata)
     SELECT created_at, log_name, actor_type, actor_id, actor_name, actor_email, impersonator_id, impersonator_name,
       action, resource_type, resource_id, resource_name, changes, changed_fields, description, ip_address, user_agent,
       location_id, tenant_id, request_id, source, metadata
       FROM jsonb_to_recordset($1::jsonb) AS e(created_at timestamptz, log_name text, actor_type text,
         actor_id text, actor_name text, actor_email text, impersonator_id text, impersonator_name text, action text,
         resource_type text, resource_id text, resource_name text, changes jsonb, changed_fields text[], description text,
         ip_address inet, user_agent text, location_id text, tenant_id text, request_id text, source text, metadata jsonb)
     RETURNING id::text AS id`,
    [JSON.stringify(rows)],
  )
  // jsonb_to_recordset yields the array in order, so ids follow it.
  return result.map((row) => row.id).sort((a, b) => Number(BigInt(a) - BigInt(b)))
}
