import { toDate } from '../query/audit-entry.js'

/** The CSV header: the log table's column names, in table order. */
export const CSV_COLUMNS = [
  'id',
  'created_at',
  'log_name',
  'actor_type',
  'actor_id',
  'actor_name',
  'actor_email',
  'impersonator_id',
  'impersonator_name',
  'action',
  'resource_type',
  'resource_id',
  'resource_name',
  'changes',
  'changed_fields',
  'description',
  'ip_address',
  'user_agent',
  'location_id',
  'tenant_id',
  'request_id',
  'transaction_id',
  'source',
  'metadata',
] as const

const JSON_COLUMNS = new Set<string>(['changes', 'changed_fields', 'metadata'])

/** Select list for the export: bigint and inet as text so no type parser is involved. */
export const CSV_SELECT_LIST = CSV_COLUMNS.map((column) => {
  if (column === 'id' || column === 'transaction_id') return `${column}::text AS ${column}`
  if (column === 'ip_address') return 'host(ip_address) AS ip_address'
  // Formatted by the server: parsing into a Date and back costs more than the rest of the row.
  if (column === 'created_at') return `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at`
  return column
}).join(', ')

/**
 * One row as CSV cells, every cell a string (or null for SQL NULL): timestamps as UTC ISO 8601,
 * JSON columns as compact JSON. Cells are strings so that csv-stringify's formula escaping
 * applies to all of them (it skips a leading `-` only for JS numbers).
 */
export function csvCells(row: Record<string, unknown>): Array<string | null> {
  return CSV_COLUMNS.map((column) => {
    const value = row[column]
    if (value === null || value === undefined) return null
    if (column === 'created_at') return typeof value === 'string' ? value : toDate(value).toISOString()
    // pg has already parsed the jsonb: a JSON string value arrives as a JS string and must be encoded too.
    if (JSON_COLUMNS.has(column)) return JSON.stringify(value)
    return String(value)
  })
}
