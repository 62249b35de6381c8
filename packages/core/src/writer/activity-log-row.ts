import type { Changes } from '../diff/changes.js'
import type { EncodedValue } from '../diff/encode-value.js'

/** `actor_type` of an entry: a user of the app, the app itself (no actor in context), or a database role outside the app. */
export type ActorType = 'user' | 'system' | 'database'
/** `source` of an entry: an app write carrying its context (`orm`), any other write (`trigger`), or `record()` (`manual`). */
export type EntrySource = 'orm' | 'trigger' | 'manual'

/**
 * One row to insert into `audit_trail.activity_log` with `writeEntries` (id, created_at and
 * transaction_id come from the server).
 */
export interface ActivityLogRow {
  log_name: string
  actor_type: ActorType
  actor_id: string | null
  actor_name: string | null
  actor_email: string | null
  impersonator_id: string | null
  impersonator_name: string | null
  action: string
  resource_type: string | null
  resource_id: string | null
  resource_name: string | null
  changes: Changes | null
  changed_fields: string[] | null
  description: string | null
  ip_address: string | null
  user_agent: string | null
  location_id: string | null
  tenant_id: string | null
  request_id: string | null
  source: EntrySource
  metadata: Record<string, EncodedValue> | null
}

/**
 * Every column of `audit_trail.activity_log` with its PostgreSQL type, in table order: the one
 * list that the entry writer, the select lists, the CSV header and the archive union are built from.
 */
export const ACTIVITY_LOG_COLUMN_TYPES = [
  ['id', 'bigint'],
  ['created_at', 'timestamptz'],
  ['log_name', 'text'],
  ['actor_type', 'text'],
  ['actor_id', 'text'],
  ['actor_name', 'text'],
  ['actor_email', 'text'],
  ['impersonator_id', 'text'],
  ['impersonator_name', 'text'],
  ['action', 'text'],
  ['resource_type', 'text'],
  ['resource_id', 'text'],
  ['resource_name', 'text'],
  ['changes', 'jsonb'],
  ['changed_fields', 'text[]'],
  ['description', 'text'],
  ['ip_address', 'inet'],
  ['user_agent', 'text'],
  ['location_id', 'text'],
  ['tenant_id', 'text'],
  ['request_id', 'text'],
  ['transaction_id', 'bigint'],
  ['source', 'text'],
  ['metadata', 'jsonb'],
] as const

/** A column name of `audit_trail.activity_log`. */
export type ActivityLogColumn = (typeof ACTIVITY_LOG_COLUMN_TYPES)[number][0]

/** Every column of `audit_trail.activity_log`, in table order: the base of every select list. */
export const ACTIVITY_LOG_COLUMNS: readonly ActivityLogColumn[] = ACTIVITY_LOG_COLUMN_TYPES.map(([name]) => name)

/** Columns the server assigns (identity, `now()`, `txid_current()`); a written row never sets them. */
const SERVER_ASSIGNED: readonly ActivityLogColumn[] = ['id', 'created_at', 'transaction_id']

/** The columns of an `ActivityLogRow` with their types, in table order; the SQL of the entry writer is built from it. */
export const ACTIVITY_LOG_INSERT_COLUMNS = ACTIVITY_LOG_COLUMN_TYPES.filter(([name]) => !SERVER_ASSIGNED.includes(name)) as ReadonlyArray<
  readonly [keyof ActivityLogRow, string]
>
