import { getAuditContext } from '../context/audit-context.js'
import { encodeChangeValue, type Changes } from '../diff/changes.js'
import { encodeJson, type EncodedValue } from '../diff/encode-value.js'
import { InvalidArgumentError } from '../errors.js'
import type { ActivityLogRow } from '../writer/activity-log-row.js'
import { cleanText, contextColumns, inetAddress } from '../writer/context-columns.js'
import type { AuditExecutor } from '../writer/executor.js'
import { ENTRY_SELECT_LIST, toAuditEntry, type AuditEntry } from '../query/audit-entry.js'
import { checkObject, checkString, describe } from '../validate/validators.js'

/** A manual event for `record()`: everything else comes from the current audit context. */
export interface AuditEvent {
  /** Lowercase verb, optionally namespaced: `login`, `login_failed`, `pdf_downloaded`, `invoice.voided`. */
  action: string
  /** `resource_type` of the record the event is about (`'invoice'`). Default: none. */
  resourceType?: string | null
  /** The record's key as text (numbers and bigints are converted). */
  resourceId?: string | number | bigint | null
  /** `resource_name`: the record's human-readable name. Default: none. */
  resourceName?: string | null
  /** A sentence shown with the entry. Default: none. */
  description?: string | null
  /** `{ column: { old, new } }` with plain JS values; they are encoded as the ORM plugins encode them. */
  changes?: Record<string, { old?: unknown; new?: unknown }> | null
  /** Which log. Default: the context's `logName`, else `'backoffice'`. */
  logName?: string
  /** Merged over the context's metadata, key by key. */
  metadata?: Record<string, unknown> | null
}

/** Same rule as the table's CHECK constraint, checked first so the error says what to do. */
export const ACTION_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/

const EVENT_KEYS = ['action', 'resourceType', 'resourceId', 'resourceName', 'description', 'changes', 'logName', 'metadata']

/**
 * `record()`: validates the event and writes it through `audit_trail.record_event` (the
 * application role has no INSERT on the log; the server assigns id, created_at, transaction_id
 * and source = 'manual') as one autocommit statement on a pool connection of its own, never on a
 * caller's transaction, so the entry stays even when the surrounding request fails and rolls back
 * (`login_failed`). Then reads the entry back.
 */
export async function recordEvent(pool: AuditExecutor, event: AuditEvent): Promise<AuditEntry> {
  const row = eventRow(event)
  const { rows: written } = await pool.query('SELECT audit_trail.record_event($1::jsonb)::text AS id', [JSON.stringify(row)])
  const { rows } = await pool.query(`SELECT ${ENTRY_SELECT_LIST} FROM audit_trail.activity_log WHERE id = $1::bigint`, [written[0]!.id])
  return toAuditEntry(rows[0]!)
}

/** The columns `record()` hands to `audit_trail.record_event` for `event` in the current context; throws InvalidArgumentError. */
export function eventRow(event: AuditEvent): Omit<ActivityLogRow, 'source' | 'changed_fields'> {
  const input = checkObject(event, 'record() event')
  for (const key of Object.keys(input)) {
    if (!EVENT_KEYS.includes(key)) {
      throw new InvalidArgumentError(`audit-trail: unknown record() event key "${key}"; use one of ${EVENT_KEYS.join(', ')}.`)
    }
  }
  const action = checkString(input.action, 'event.action')
  if (!ACTION_PATTERN.test(action)) {
    throw new InvalidArgumentError(
      `audit-trail: event.action ${describe(action)} is not a valid action; use a lowercase verb such as login_failed or invoice.voided.`,
    )
  }
  const ctx = getAuditContext()
  // contextColumns drops a bad IP with a warning so that ORM writes are never lost; a manual
  // event is written on purpose, so a bad IP here is a bug to surface.
  if (ctx?.ipAddress !== undefined && ctx.ipAddress !== null && ctx.ipAddress !== '' && inetAddress(ctx.ipAddress) === null) {
    throw new InvalidArgumentError(
      `audit-trail: the audit context's ipAddress ${describe(ctx.ipAddress)} is not an IPv4 or IPv6 address; fix it or leave it out. Nothing was written.`,
    )
  }
  const columns = contextColumns(ctx)
  const logName = optionalText(input.logName, 'event.logName')
  if (logName === '') throw new InvalidArgumentError('audit-trail: event.logName must not be empty.')
  const changes = eventChanges(input.changes)
  const metadata = input.metadata === undefined || input.metadata === null ? null : checkObject(input.metadata, 'event.metadata')
  return {
    ...columns,
    log_name: logName ?? columns.log_name,
    action,
    resource_type: optionalText(input.resourceType, 'event.resourceType'),
    resource_id: eventResourceId(input.resourceId),
    resource_name: optionalText(input.resourceName, 'event.resourceName'),
    changes,
    description: optionalText(input.description, 'event.description'),
    metadata:
      metadata === null
        ? columns.metadata
        : ({ ...(columns.metadata ?? {}), ...(encodeJson(metadata) as Record<string, EncodedValue>) } as Record<string, EncodedValue>),
  }
}

function optionalText(value: unknown, name: string): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string') throw new InvalidArgumentError(`audit-trail: ${name} must be a string, got ${describe(value)}.`)
  return cleanText(value, 64 * 1024)
}

function eventResourceId(value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'string') return cleanText(value, 64 * 1024)
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint') return String(value)
  throw new InvalidArgumentError(`audit-trail: event.resourceId must be a string, number or bigint, got ${describe(value)}.`)
}

function eventChanges(value: unknown): Changes | null {
  if (value === undefined || value === null) return null
  const input = checkObject(value, 'event.changes')
  const changes: Changes = {}
  for (const [column, change] of Object.entries(input)) {
    checkString(column, 'event.changes key')
    const pair = checkObject(change, `event.changes.${column}`)
    for (const key of Object.keys(pair)) {
      if (key !== 'old' && key !== 'new') {
        throw new InvalidArgumentError(`audit-trail: event.changes.${column} has key "${key}"; use { old, new }.`)
      }
    }
    changes[column] = { old: encodeChangeValue(column, pair.old), new: encodeChangeValue(column, pair.new) }
  }
  return Object.keys(changes).length === 0 ? null : changes
}
