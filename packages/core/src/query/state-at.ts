import type { Changes } from '../diff/changes.js'
import type { EncodedValue } from '../diff/encode-value.js'
import type { AuditExecutor } from '../writer/executor.js'
import { parseInstant } from '../validate/validators.js'
import { resourceKey, type ResourceKey } from './resource-key.js'

/** A record's columns at one instant, keyed by database column name, values encoded as stored. */
export type RecordState = Record<string, EncodedValue>

const UPDATE_ACTIONS = new Set(['updated', 'enabled', 'disabled', 'restored'])

/**
 * `stateAt()`: replays the record's entries up to `at` (inclusive to the millisecond) in id
 * order. `created` sets every column, `updated`/`enabled`/`disabled`/`restored` overwrite the
 * changed ones, `deleted` (or a `truncated` entry for the whole resource type) ends the record.
 * Values stay encoded as in `changes`; use `decodeValue()` for JS values. When the log holds no
 * `created` entry (the record predates auditing), the state holds only the columns the entries
 * mention.
 */
export async function stateAt(
  executor: AuditExecutor,
  resourceType: string,
  resourceId: ResourceKey,
  at: Date | string,
): Promise<RecordState | null> {
  const key = resourceKey(resourceType, resourceId)
  const instant = parseInstant(at, 'at')
  const { rows } = await executor.query(
    `SELECT id, action, changes FROM (
       SELECT id, action, changes FROM audit_trail.activity_log
        WHERE resource_type = $1 AND resource_id = $2 AND created_at < $3::timestamptz
       UNION ALL
       SELECT id, action, NULL FROM audit_trail.activity_log
        WHERE resource_type = $1 AND resource_id IS NULL AND action = 'truncated' AND created_at < $3::timestamptz
     ) AS entry ORDER BY id`,
    [key.type, key.id, new Date(instant.getTime() + 1).toISOString()],
  )
  let state: RecordState | null = null
  for (const row of rows) {
    const action = row.action as string
    const changes = (typeof row.changes === 'string' ? JSON.parse(row.changes) : row.changes) as Changes | null
    if (action === 'created') {
      state = {}
      for (const [column, change] of Object.entries(changes ?? {})) state[column] = change.new
    } else if (action === 'deleted' || action === 'truncated') {
      state = null
    } else if (UPDATE_ACTIONS.has(action)) {
      state ??= {}
      for (const [column, change] of Object.entries(changes ?? {})) state[column] = change.new
    }
  }
  return state
}
