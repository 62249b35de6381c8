import { getAuditContext } from '@audit-trail/core'
import { auditContextTagValue, isWritingStatement } from '@audit-trail/core/plugin'

/** Options of `auditTrailComments()`. */
export interface AuditTrailCommentsOptions {
  /** `log_name` of the entries when the request context sets none. Default: `'backoffice'`. */
  logName?: string
}

/** What Prisma passes to a SQL commenter plugin (the part this plugin reads). */
export type SqlCommenterContextLike = { readonly sql?: string }

/**
 * A Prisma `SqlCommenterPlugin` (structurally): Prisma calls it for every statement it renders
 * and appends the returned pairs to the SQL as `/*audit_trail='…'*\/`.
 */
export type AuditTrailCommentsPlugin = (context: SqlCommenterContextLike) => { readonly audit_trail: string }

/**
 * The statement `auditTrail()` sends once at startup to see that the comments plugin is
 * installed: its `current_query()` must come back tagged. The plugin recognises it too.
 */
export const STARTUP_PROBE_SQL = 'SELECT current_query() AS audit_trail_probe'

let warnedNoStartupCheck = false

/**
 * The half of `@audit-trail/prisma` that carries the request context: a SQL commenter plugin
 * for the client's `comments` option. Every statement Prisma sends (model queries, nested
 * writes, `*Many`, both `$transaction` forms, `$executeRaw` / `$queryRaw`) ends with the tag of
 * the current `runWithAuditContext` context — or, outside any context, of the app itself
 * (`actor_type = 'system'`). The capture triggers read it from `current_query()`. Prisma calls
 * the plugin in the caller's async context, so concurrent requests never swap actors.
 *
 * If it tags a writing statement before any `auditTrail()` extension has run its startup check
 * through it, it emits one process warning (code `AUDIT_TRAIL_NO_STARTUP_CHECK`).
 *
 * @example
 * const prisma = new PrismaClient({ adapter, comments: [auditTrailComments()] }).$extends(auditTrail(options))
 */
export function auditTrailComments(options: AuditTrailCommentsOptions = {}): AuditTrailCommentsPlugin {
  const { logName } = options
  let checked = false
  // Prisma sends BEGIN / COMMIT through the adapter, not through this plugin: every statement
  // it sees is a query, tagged whatever it reads or writes (a SELECT may call a writing function).
  return (context) => {
    const sql = context.sql
    if (sql === STARTUP_PROBE_SQL) checked = true
    else if (!checked && !warnedNoStartupCheck && sql !== undefined && isWritingStatement(sql)) {
      warnedNoStartupCheck = true
      process.emitWarning(
        'audit-trail: auditTrailComments() tags this client’s statements, but no auditTrail() extension has checked the ' +
          'setup: capture drift and requireContext go unchecked. Use new PrismaClient({ adapter, comments: [auditTrailComments()] })' +
          '.$extends(auditTrail(options)).',
        { code: 'AUDIT_TRAIL_NO_STARTUP_CHECK' },
      )
    }
    return { audit_trail: auditContextTagValue(getAuditContext(), logName) }
  }
}
