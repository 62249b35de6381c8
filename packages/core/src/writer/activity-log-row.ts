import type { Changes } from '../diff/changes.js'
import type { EncodedValue } from '../diff/encode-value.js'

export type ActorType = 'user' | 'system' | 'database'
export type EntrySource = 'orm' | 'trigger' | 'manual'

/** One row to insert into `audit_trail.activity_log` (id, created_at, transaction_id come from defaults). */
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

/** Insert order of the columns above; the SQL of the entry writer is built from it. */
export const ACTIVITY_LOG_INSERT_COLUMNS: ReadonlyArray<readonly [keyof ActivityLogRow, string]> = [
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
  ['source', 'text'],
  ['metadata', 'jsonb'],
]

/** Every column of `audit_trail.activity_log`, in table order: the base of every select list. */
export const ACTIVITY_LOG_COLUMNS = [
  'id',
  'created_at',
  'log_name',
  'actor_type',
  'actor_id',
  'actor_name',
  'actor_email',
  'impersonator_id',
  'impersonator_name',
  'action',
  'resource_type',
  'resource_id',
  'resource_name',
  'changes',
  'changed_fields',
  'description',
  'ip_address',
  'user_agent',
  'location_id',
  'tenant_id',
  'request_id',
  'transaction_id',
  'source',
  'metadata',
] as const
