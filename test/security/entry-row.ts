import type { ActivityLogRow } from '@audit-trail/core'

/** A full activity log row for writeEntries: `fields` over nulls (log 'backoffice', a manual login by a user). */
export function entryRow(fields: Partial<Record<keyof ActivityLogRow, unknown>>): ActivityLogRow {
  return {
    log_name: 'backoffice',
    actor_type: 'user',
    actor_id: null,
    actor_name: null,
    actor_email: null,
    impersonator_id: null,
    impersonator_name: null,
    action: 'login',
    resource_type: null,
    resource_id: null,
    resource_name: null,
    changes: null,
    changed_fields: null,
    description: null,
    ip_address: null,
    user_agent: null,
    location_id: null,
    tenant_id: null,
    request_id: null,
    source: 'manual',
    metadata: null,
    ...fields,
  } as ActivityLogRow
}
