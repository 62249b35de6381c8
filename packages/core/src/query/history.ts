import type { AuditExecutor } from '../writer/executor.js'
import { ENTRY_SELECT_LIST, toAuditEntry, type AuditEntry } from './audit-entry.js'
import { InvalidArgumentError } from '../errors.js'
import { entrySource } from './audit-filter.js'
import { resourceKey, type ResourceKey } from './resource-key.js'

/** Options of `history()`. */
export interface HistoryOptions {
  /** Also read entries moved to the archive. Default: false. */
  includeArchived?: boolean
}

/** `history()`: every entry of one record, newest first (index `(resource_type, resource_id, id)`). */
export async function history(
  executor: AuditExecutor,
  resourceType: string,
  resourceId: ResourceKey,
  options: HistoryOptions = {},
): Promise<AuditEntry[]> {
  const key = resourceKey(resourceType, resourceId)
  if (options.includeArchived !== undefined && typeof options.includeArchived !== 'boolean') {
    throw new InvalidArgumentError('audit-trail: history() option includeArchived must be true or false.')
  }
  const { rows } = await executor.query(
    `SELECT ${ENTRY_SELECT_LIST} FROM ${entrySource(options.includeArchived === true)} ` +
      'WHERE resource_type = $1 AND resource_id = $2 ORDER BY activity_log.id DESC',
    [key.type, key.id],
  )
  return rows.map(toAuditEntry)
}
