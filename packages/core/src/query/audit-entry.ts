import type { Changes } from '../diff/changes.js'
import type { EncodedValue } from '../diff/encode-value.js'
import { ACTIVITY_LOG_COLUMNS, type ActorType, type EntrySource } from '../writer/activity-log-row.js'

/**
 * One row of `audit_trail.activity_log`, in camelCase. `id` and `transactionId` are `bigint`
 * columns and are returned as decimal strings: they outgrow `Number.MAX_SAFE_INTEGER` on a
 * busy log and JSON has no BigInt. Values inside `changes` and `metadata` are stored encoded
 * (see "Value encoding" in the core README); `decodeValue()` turns one back into a JS value.
 */
export interface AuditEntry {
  /** Order of insertion, as a decimal string. */
  id: string
  createdAt: Date
  logName: string
  actor: {
    type: ActorType
    id: string | null
    name: string | null
    email: string | null
  }
  /** Staff member acting as `actor` during impersonation, or null. */
  impersonator: { id: string | null; name: string | null } | null
  action: string
  resourceType: string | null
  resourceId: string | null
  resourceName: string | null
  /** `{ "<column>": { old, new } }` with encoded values, or null for events without changes. */
  changes: Changes | null
  description: string | null
  ipAddress: string | null
  userAgent: string | null
  locationId: string | null
  tenantId: string | null
  requestId: string | null
  /** `txid_current()` of the writing transaction, as a decimal string. */
  transactionId: string | null
  source: EntrySource
  metadata: Record<string, EncodedValue> | null
}

/**
 * The select list behind every read. bigint columns are cast to text in SQL so that the result
 * does not depend on the pool's type parsers (apps often make int8 a number, losing precision).
 */
export const ENTRY_SELECT_LIST = ACTIVITY_LOG_COLUMNS.map(entrySelectExpression).join(', ')

/** How one column is selected for reads: bigint as decimal text, inet as the bare address. */
export function entrySelectExpression(column: (typeof ACTIVITY_LOG_COLUMNS)[number]): string {
  if (column === 'id' || column === 'transaction_id') return `${column}::text AS ${column}`
  if (column === 'ip_address') return 'host(ip_address) AS ip_address'
  return column
}

type DbRow = Record<string, unknown>

/** Maps one row selected with ENTRY_SELECT_LIST to an AuditEntry. */
export function toAuditEntry(row: DbRow): AuditEntry {
  const impersonatorId = text(row.impersonator_id)
  const impersonatorName = text(row.impersonator_name)
  return {
    id: String(row.id),
    createdAt: toDate(row.created_at),
    logName: String(row.log_name),
    actor: {
      type: row.actor_type as ActorType,
      id: text(row.actor_id),
      name: text(row.actor_name),
      email: text(row.actor_email),
    },
    impersonator: impersonatorId === null && impersonatorName === null ? null : { id: impersonatorId, name: impersonatorName },
    action: String(row.action),
    resourceType: text(row.resource_type),
    resourceId: text(row.resource_id),
    resourceName: text(row.resource_name),
    changes: json(row.changes) as Changes | null,
    description: text(row.description),
    ipAddress: text(row.ip_address),
    userAgent: text(row.user_agent),
    locationId: text(row.location_id),
    tenantId: text(row.tenant_id),
    requestId: text(row.request_id),
    transactionId: text(row.transaction_id),
    source: row.source as EntrySource,
    metadata: json(row.metadata) as Record<string, EncodedValue> | null,
  }
}

function text(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value)
}

/** A pool whose app changed the timestamptz parser may hand back strings. */
export function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value))
}

function json(value: unknown): unknown {
  if (value === null || value === undefined) return null
  return typeof value === 'string' ? JSON.parse(value) : value
}
