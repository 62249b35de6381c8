import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { stringify } from 'csv-stringify'
import type pg from 'pg'
import Cursor from 'pg-cursor'
import { buildFilterCondition, checkObject, type AuditFilter } from '../query/audit-filter.js'
import { FILTER_KEYS } from '../query/audit-filter.js'
import { parseOrder } from '../query/list-entries.js'
import { CSV_COLUMNS, CSV_SELECT_LIST, csvCells } from './csv-columns.js'

/** `exportCsv()` filter: an AuditFilter plus the row order. */
export interface ExportCsvFilter extends AuditFilter {
  /** `'desc'`: newest first, as the activity log view (default); `'asc'`: oldest first. */
  order?: 'asc' | 'desc'
}

export interface ExportCsvOptions {
  /** End `writable` when the export is done. Default true (false to write more after it). */
  end?: boolean
  /** Called after each batch with the number of rows written so far. Default: none. */
  onProgress?: (rows: number) => void
  /** Rows fetched per round trip from the server-side cursor. Default 2000. */
  batchSize?: number
}

export interface ExportCsvResult {
  /** Data rows written (the header not counted). */
  rows: number
}

/**
 * Streams the entries matching `filter` to `writable` as CSV: RFC 4180 (CRLF line ends, fields
 * with a comma, quote, CR or LF quoted), a header of the table's column names, UTC ISO
 * timestamps, JSON for `changes`, `changed_fields` and `metadata`, and a `'` before any cell
 * starting with `=`, `+`, `-`, `@`, tab or CR so spreadsheets do not run it as a formula.
 * Rows come from a server-side cursor on one pool connection and are read only as fast as
 * `writable` accepts them, so memory stays flat whatever the size of the export.
 */
export async function exportCsv(
  pool: pg.Pool,
  filter: ExportCsvFilter,
  writable: NodeJS.WritableStream,
  options: ExportCsvOptions = {},
): Promise<ExportCsvResult> {
  const { order: rawOrder, ...rest } = checkObject(filter ?? {}, 'exportCsv() filter')
  const condition = buildFilterCondition(rest, { allowed: [...FILTER_KEYS, 'order'], idWindow: true })
  const order = parseOrder(rawOrder)
  const batchSize = options.batchSize ?? 2000
  const sql =
    `SELECT ${CSV_SELECT_LIST} FROM ${condition.from} WHERE ${condition.where} ` +
    `ORDER BY activity_log.id ${order === 'desc' ? 'DESC' : 'ASC'}`
  const client = await pool.connect()
  const cursor = client.query(new Cursor<Record<string, unknown>>(sql, condition.params))
  let rows = 0
  let failed: unknown
  async function* records() {
    for (;;) {
      const batch = await cursor.read(batchSize)
      if (batch.length === 0) return
      for (const row of batch) yield csvCells(row)
      rows += batch.length
      options.onProgress?.(rows)
    }
  }
  try {
    await pipeline(
      Readable.from(records()),
      stringify({
        header: true,
        columns: [...CSV_COLUMNS],
        record_delimiter: 'windows',
        // Defaults to false once record_delimiter is set: a lone CR or LF in a value would then
        // go out unquoted and split the record.
        quote_record_delimiter: true,
        escape_formulas: true,
      }),
      writable,
      { end: options.end ?? true },
    )
  } catch (error) {
    failed = error
    throw error
  } finally {
    await cursor.close().catch(() => undefined)
    // A connection that failed mid-cursor may be in any protocol state: discard it.
    client.release(failed instanceof Error ? failed : undefined)
  }
  return { rows }
}
