import { entrySelectExpression } from '../query/audit-entry.js'
import { ACTIVITY_LOG_COLUMNS } from '../writer/activity-log-row.js'

/** The CSV header: the log table's column names, in table order. */
export const CSV_COLUMNS = ACTIVITY_LOG_COLUMNS

/**
 * Select list for the export: every column as the text of its cell (UTC ISO timestamps, JSON),
 * so no type parser runs in Node. JSON as the server writes it: parsing and re-serialising it in
 * Node cost more than everything else together (55k vs 105k rows/s read from the cursor).
 */
export const CSV_SELECT_LIST = CSV_COLUMNS.map((column) => {
  if (column === 'changes' || column === 'metadata') return `${column}::text AS ${column}`
  if (column === 'changed_fields') return 'to_json(changed_fields)::text AS changed_fields'
  // Formatted by the server: parsing into a Date and back costs more than the rest of the row.
  if (column === 'created_at') return `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at`
  return entrySelectExpression(column)
}).join(', ')

/** First characters that make a spreadsheet run a cell as a formula (OWASP CSV injection), ASCII and full-width. */
const FORMULA_FIRST = new Set(['=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'])
const NEEDS_QUOTES = /[",\r\n]/

/**
 * One CSV field: empty for null, a `'` before a formula-like start, quoted (inner quotes
 * doubled) when it holds a comma, quote, CR or LF. RFC 4180.
 */
export function csvField(value: string | null): string {
  if (!value) return ''
  const text = FORMULA_FIRST.has(value[0]!) ? `'${value}` : value
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** The header line and one line per row, CRLF-terminated. */
export const CSV_HEADER_LINE = `${CSV_COLUMNS.join(',')}\r\n`

/** One row of the export query, as an array in CSV_COLUMNS order (text or NULL), as a CSV line. */
export function csvLine(row: ReadonlyArray<string | null>): string {
  let line = csvField(row[0] ?? null)
  for (let i = 1; i < row.length; i++) line += `,${csvField(row[i] ?? null)}`
  return `${line}\r\n`
}
