import type { AuditContext } from '../context/audit-context.js'
import { contextColumns } from '../writer/context-columns.js'
import type { AuditExecutor } from '../writer/executor.js'

/**
 * Hands the audit context to the capture triggers for the rest of the current transaction.
 * `set_config(..., true)` is transaction-local: it ends with the transaction, so a pooled
 * connection never carries one request's actor into the next, and poolers in transaction mode
 * (PgBouncer) stay safe. Run it only before writes, in the write's transaction.
 */
export const SET_AUDIT_CONTEXT_SQL = "SELECT set_config('audit_trail.context', $1, true)"

/** The JSON the capture triggers read from `audit_trail.context`: the entry's context columns. */
export function auditContextSetting(ctx: AuditContext | undefined, logName?: string): string {
  return JSON.stringify({ ...contextColumns(ctx, logName), source: 'orm' })
}

/** Runs SET_AUDIT_CONTEXT_SQL through `executor` (which must be inside the write's transaction). */
export async function handOffAuditContext(
  executor: AuditExecutor,
  ctx: AuditContext | undefined,
  logName?: string,
): Promise<void> {
  await executor.query(SET_AUDIT_CONTEXT_SQL, [auditContextSetting(ctx, logName)])
}
