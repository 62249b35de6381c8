import type { AuditExecutor } from '../writer/executor.js'
import { ENTRY_SELECT_LIST, toAuditEntry, type AuditEntry } from './audit-entry.js'
import { resourceKey, type ResourceKey } from './resource-key.js'

/** `history()`: every entry of one record, newest first (index `(resource_type, resource_id, id)`). */
export async function history(executor: AuditExecutor, resourceType: string, resourceId: ResourceKey): Promise<AuditEntry[]> {
  const key = resourceKey(resourceType, resourceId)
  const { rows } = await executor.query(
    `SELECT ${ENTRY_SELECT_LIST} FROM audit_trail.activity_log ` +
      'WHERE resource_type = $1 AND resource_id = $2 ORDER BY activity_log.id DESC',
    [key.type, key.id],
  )
  return rows.map(toAuditEntry)
}
