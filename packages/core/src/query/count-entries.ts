import type { AuditExecutor } from '../writer/executor.js'
import { buildFilterCondition, type AuditFilter } from './audit-filter.js'

/** `count()`: how many entries match the filter (exact). */
export async function countEntries(executor: AuditExecutor, filter: AuditFilter = {}): Promise<number> {
  const condition = buildFilterCondition(filter)
  const { rows } = await executor.query(
    `SELECT count(*)::text AS count FROM ${condition.from} WHERE ${condition.where}`,
    condition.params,
  )
  return Number(rows[0]!.count)
}
