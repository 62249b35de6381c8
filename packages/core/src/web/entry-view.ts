import { actionLabel } from '../view/action-label.js'
import type { AuditEntry } from '../query/audit-entry.js'
import { fieldLines, type ViewOptions } from '../view/field-lines.js'

const AUTH_ACTIONS = new Set(['login', 'logout', 'login_failed'])

/** An entry as the activity log page shows it: labels and values already formatted on the server. */
export interface EntryView {
  id: string
  createdAt: string
  actor: string
  /** The staff member acting as `actor`, when impersonating. */
  impersonator: string | null
  isSystem: boolean
  /** `user`, `system` or `database` (a write made outside the app, e.g. from psql). */
  actorType: string
  action: string
  actionLabel: string
  resource: string
  resourceType: string | null
  resourceId: string | null
  /**
   * One per changed column: `old → new` (created: new only, deleted: old only, nulls left out);
   * `summary: false` ones are shown under "Details". JSON columns: one line per changed key.
   */
  fields: Array<{ name: string; old: string | null; new: string | null; summary: boolean }>
  /** Short facts shown on the entry's line: the IP of a login, the reason of a failed login. */
  notes: string[]
  details: Array<[label: string, value: string]>
}

/**
 * Formats one entry for the page with the same value rules as `audit-trail tail` (decoded
 * values, markers for redacted and oversized values), so the page needs no formatting code of
 * its own. Everything here is plain text; the page inserts it with textContent only.
 */
export function entryView(entry: AuditEntry, options: ViewOptions = {}): EntryView {
  const fields: EntryView['fields'] = fieldLines(entry, options, 200)
  const notes: string[] = []
  if (AUTH_ACTIONS.has(entry.action) && entry.ipAddress) notes.push(`IP ${entry.ipAddress}`)
  if (entry.action === 'login_failed' && entry.description) notes.push(entry.description.slice(0, 200))
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
    actorType: entry.actor.type,
    action: entry.action,
    actionLabel: actionLabel(entry.action),
    resource: entry.resourceName ?? (entry.resourceType ? `${entry.resourceType} ${entry.resourceId ?? ''}`.trim() : ''),
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    fields,
    notes,
    details,
  }
}
