import { getAuditContext, type AuditContext } from '../context/audit-context.js'
import { contextColumns } from '../writer/context-columns.js'
import { MissingAuditContextError } from '../errors.js'

/**
 * The sqlcommenter key that carries the audit context on a statement. The capture triggers read
 * it from `current_query()`: the statement text must END with the comment, the last comment is
 * the one read, and its value must be base64url (`[A-Za-z0-9_-]`), so nothing inside a quoted
 * literal or a bound parameter can be taken for it.
 */
export const AUDIT_CONTEXT_TAG_KEY = 'audit_trail'

/**
 * The fallback for SQL written by hand: `SELECT set_config('audit_trail.context', $1, true)` with
 * `auditContextSetting()` as `$1`, in the write's transaction. A statement's own tag wins over it.
 */
export const SET_AUDIT_CONTEXT_SQL = "SELECT set_config('audit_trail.context', $1, true)"

// Tags are built once per context object (contexts are frozen) and per log name.
const tagCache = new WeakMap<object, Map<string, string>>()
const NO_CONTEXT = {}

/**
 * The JSON the capture triggers understand: the entry's context columns and `source: 'orm'`.
 * Without a context it describes the app itself (`actor_type: 'system'`).
 */
export function auditContextSetting(ctx: AuditContext | undefined = getAuditContext(), logName?: string): string {
  // Null columns are left out (the trigger reads a missing key as null): a shorter tag is less
  // for the ORM to scan and the server to parse on every statement.
  const columns: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(contextColumns(ctx, logName))) if (value !== null) columns[key] = value
  return JSON.stringify({ ...columns, source: 'orm' })
}

/** The tag's value for `ctx`: base64url of `auditContextSetting(ctx, logName)`. */
export function auditContextTagValue(ctx: AuditContext | undefined, logName?: string): string {
  const key = ctx ?? NO_CONTEXT
  let byLog = tagCache.get(key)
  if (!byLog) tagCache.set(key, (byLog = new Map()))
  const cacheKey = logName ?? ''
  let value = byLog.get(cacheKey)
  if (value === undefined) {
    value = Buffer.from(auditContextSetting(ctx, logName), 'utf8').toString('base64url')
    byLog.set(cacheKey, value)
  }
  return value
}

/** `/*audit_trail='<value>'*\/` for `ctx`, the comment `tagStatement` appends. */
export function auditContextComment(ctx: AuditContext | undefined, logName?: string): string {
  return `/*${AUDIT_CONTEXT_TAG_KEY}='${auditContextTagValue(ctx, logName)}'*/`
}

// Statements that never write a captured row: left untagged so logs of them stay short.
const TRANSACTION_CONTROL = /^\s*(?:begin|commit|rollback|savepoint|release|start\s+transaction|end|abort|set|reset|show)\b/i

/**
 * Appends the audit context of `ctx` (default: the current one) to `sql` as a trailing
 * sqlcommenter tag. Transaction control (BEGIN, COMMIT, SAVEPOINT, SET, ...) is returned as it is.
 * The statement's meaning and bound parameters are unchanged.
 */
export function tagStatement(
  sql: string,
  options: { readonly context?: AuditContext | undefined; readonly logName?: string } = {},
): string {
  if (TRANSACTION_CONTROL.test(sql)) return sql
  const ctx = 'context' in options ? options.context : getAuditContext()
  const trimmed = sql.trimEnd()
  // A trailing `--` comment would swallow a tag on the same line.
  const lastLine = trimmed.slice(trimmed.lastIndexOf('\n') + 1)
  const separator = lastLine.includes('--') ? '\n' : ' '
  return `${trimmed}${separator}${auditContextComment(ctx, options.logName)}`
}

/**
 * `sql` with the current audit context appended as a tag, for SQL an app sends outside its ORM
 * plugin (a `pg` client, a migration, a report job). The capture triggers record its writes with
 * that context; the tag of a statement wins over `set_config('audit_trail.context', ...)`.
 *
 * @example
 * await runWithAuditContext({ actor }, () =>
 *   pool.query(withAuditContextSql('UPDATE items SET price = $1 WHERE id = $2'), [price, id]))
 */
export function withAuditContextSql(sql: string, options: { readonly logName?: string } = {}): string {
  return tagStatement(sql, { context: getAuditContext(), logName: options.logName })
}

/**
 * The context columns a tag carries, decoded the way the capture trigger decodes it (last comment
 * at the very end of the text, base64url, JSON object), or null when `sql` carries none or a
 * malformed one. For tests and tools; the trigger does its own reading.
 */
export function readAuditContextTag(sql: string): Record<string, unknown> | null {
  if (!sql.endsWith("'*/")) return null
  const body = sql.slice(sql.lastIndexOf('/*') + 2, -2)
  for (const pair of body.split(',')) {
    const match = /^audit_trail='([A-Za-z0-9_-]+)'$/.exec(pair.trim())
    if (!match) continue
    try {
      const parsed = JSON.parse(Buffer.from(match[1]!, 'base64url').toString('utf8')) as unknown
      return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null
    } catch {
      return null
    }
  }
  return null
}

// Leading comments and whitespace, then the first keyword.
const LEADING = /^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/
const WRITING_KEYWORD = /^(?:insert|update|delete|merge|truncate|copy|call|do)\b/i
const DATA_MODIFYING = /\b(?:insert|update|delete|merge)\b/i

/**
 * Whether `sql` may write rows: it starts with INSERT, UPDATE, DELETE, MERGE, TRUNCATE, COPY,
 * CALL or DO, or is a WITH query containing one of the first four. The one place that classifies
 * statements, for `requireContext` on raw SQL; a SELECT calling a writing function is not seen.
 */
export function isWritingStatement(sql: string): boolean {
  const text = sql.replace(LEADING, '')
  if (WRITING_KEYWORD.test(text)) return true
  return /^with\b/i.test(text) && DATA_MODIFYING.test(text)
}

/**
 * `requireContext` for one statement: throws `MissingAuditContextError` when `sql` may write
 * (`isWritingStatement`) and no `runWithAuditContext` surrounds the call. Adapters call it before
 * the statement is sent, so nothing is written.
 */
export function assertStatementContext(sql: string): void {
  if (getAuditContext() === undefined && isWritingStatement(sql)) throw MissingAuditContextError.forStatement(sql)
}
