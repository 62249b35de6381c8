import type { ActivityLogRow } from './activity-log-row.js'
import { ACTIVITY_LOG_INSERT_COLUMNS } from './activity-log-row.js'
import type { AuditExecutor } from './executor.js'

const columnList = ACTIVITY_LOG_INSERT_COLUMNS.map(([name]) => name).join(', ')
const recordDefinition = ACTIVITY_LOG_INSERT_COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')

/**
 * One statement for any number of entries: the rows travel as a single JSON parameter and
 * json_to_recordset turns them into rows, so there is no per-row round trip and no limit of
 * 65,535 bind parameters.
 */
export const INSERT_ENTRIES_SQL =
  `INSERT INTO audit_trail.activity_log (${columnList}) ` +
  `SELECT ${columnList} FROM json_to_recordset($1::json) AS entry(${recordDefinition})`

/**
 * Inserts `rows` through `executor`, in the executor's transaction, in one statement. No-op for
 * an empty list. For the role that owns the log (the application role has no INSERT): importing
 * an older system's history, seeding, benchmarks. An app records its own events with
 * `log.record()`.
 */
export async function writeEntries(executor: AuditExecutor, rows: readonly ActivityLogRow[]): Promise<void> {
  if (rows.length === 0) return
  await executor.query(INSERT_ENTRIES_SQL, [JSON.stringify(rows)])
}
