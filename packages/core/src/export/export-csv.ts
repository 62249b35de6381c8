import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import Cursor from 'pg-cursor'
import { FILTER_KEYS, buildFilterCondition, type AuditFilter } from '../query/audit-filter.js'
import { parseOrder } from '../query/list-entries.js'
import { checkObject } from '../validate/validators.js'
import { CSV_HEADER_LINE, CSV_SELECT_LIST, csvLine } from './csv-columns.js'

/** `exportCsv()` filter: an AuditFilter plus the row order. */
export interface ExportCsvFilter extends AuditFilter {
  /** `'desc'`: newest first, as the activity log view (default); `'asc'`: oldest first. */
  order?: 'asc' | 'desc'
}

/** How `exportCsv()` writes: whether it ends the stream, progress, batch size. */
export interface ExportCsvOptions {
  /** End `writable` when the export is done. Default true (false to write more after it). */
  end?: boolean
  /** Called after each batch is read and formatted, with the rows so far (before it is written). Default: none. */
  onProgress?: (rows: number) => void
  /** Rows fetched per round trip from the server-side cursor. Default 2000. */
  batchSize?: number
}

/** What `exportCsv()` resolves to. */
export interface ExportCsvResult {
  /** Data rows written (the header not counted). */
  rows: number
}

/**
 * Streams the entries matching `filter` to `writable` as CSV: RFC 4180 (CRLF line ends, fields
 * with a comma, quote, CR or LF quoted), a header of the table's column names, UTC ISO
 * timestamps, JSON for `changes` and `metadata` (jsonb's text form) and `changed_fields`, a `'` before any cell
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
  // Rows as arrays in CSV_COLUMNS order: cheaper to build than objects, and the cells are text.
  const cursor = client.query(new Cursor<Array<string | null>>(sql, condition.params, { rowMode: 'array' }))
  let rows = 0
  let failed: unknown
  // One string per cursor batch (pipeline keeps the backpressure), and the next batch already
  // asked for while this one is formatted and written: the server works meanwhile.
  async function* chunks() {
    yield CSV_HEADER_LINE
    let next = cursor.read(batchSize)
    for (;;) {
      const batch = await next
      if (batch.length === 0) return
      next = cursor.read(batchSize)
      // A failure further down must not leave this read's rejection unhandled.
      next.catch(() => undefined)
      let text = ''
      for (const row of batch) text += csvLine(row)
      rows += batch.length
      options.onProgress?.(rows)
      yield text
    }
  }
  try {
    await pipeline(Readable.from(chunks(), { objectMode: false }), writable, { end: options.end ?? true })
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
