import { actionLabel, showValue } from '../cli/format-tail.js'
import type { AuditEntry } from '../query/audit-entry.js'

/** An entry as the activity log page shows it: labels and values already formatted on the server. */
export interface EntryView {
  id: string
  createdAt: string
  actor: string
  /** The staff member acting as `actor`, when impersonating. */
  impersonator: string | null
  isSystem: boolean
  action: string
  actionLabel: string
  resource: string
  resourceType: string | null
  resourceId: string | null
  /** One per changed column: `old → new` (created: new only, deleted: old only). */
  fields: Array<{ name: string; old: string | null; new: string | null }>
  details: Array<[label: string, value: string]>
}

/**
 * Formats one entry for the page with the same value rules as `audit-trail tail` (decoded
 * values, markers for redacted and oversized values), so the page needs no formatting code of
 * its own. Everything here is plain text; the page inserts it with textContent only.
 */
export function entryView(entry: AuditEntry): EntryView {
  const fields: EntryView['fields'] = []
  // jsonb orders keys by length; people scan a sorted list faster.
  const changes = Object.entries(entry.changes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  for (const [name, change] of changes) {
    fields.push({
      name,
      old: entry.action === 'created' ? null : showValue(change.old, 200),
      new: entry.action === 'deleted' ? null : showValue(change.new, 200),
    })
  }
  const details: Array<[string, string]> = []
  const add = (label: string, value: string | null | undefined) => {
    if (value !== null && value !== undefined && value !== '') details.push([label, value])
  }
  add('Actor', [entry.actor.name, entry.actor.email && `<${entry.actor.email}>`, entry.actor.id && `(id ${entry.actor.id})`].filter(Boolean).join(' '))
  if (entry.impersonator) add('Impersonated by', entry.impersonator.name ?? entry.impersonator.id)
  add('Resource', entry.resourceType && `${entry.resourceType} ${entry.resourceId ?? ''}`.trim())
  add('Description', entry.description)
  add('IP address', entry.ipAddress)
  add('User agent', entry.userAgent)
  add('Location', entry.locationId)
  add('Tenant', entry.tenantId)
  add('Request', entry.requestId)
  add('Transaction', entry.transactionId)
  add('Log', entry.logName)
  add('Recorded by', entry.source)
  if (entry.metadata) add('Metadata', JSON.stringify(entry.metadata))
  add('Entry', `#${entry.id}`)
  return {
    id: entry.id,
    createdAt: entry.createdAt.toISOString(),
    actor: entry.actor.type === 'system' ? 'System' : (entry.actor.name ?? entry.actor.email ?? entry.actor.id ?? 'Database'),
    impersonator: entry.impersonator ? (entry.impersonator.name ?? entry.impersonator.id) : null,
    isSystem: entry.actor.type === 'system',
    action: entry.action,
    actionLabel: actionLabel(entry.action),
    resource: entry.resourceName ?? (entry.resourceType ? `${entry.resourceType} ${entry.resourceId ?? ''}`.trim() : ''),
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    fields,
    details,
  }
}
