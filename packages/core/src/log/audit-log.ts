import pg from 'pg'
import { InvalidArgumentError } from '../errors.js'
import { exportCsv, type ExportCsvFilter, type ExportCsvOptions, type ExportCsvResult } from '../export/export-csv.js'
import type { AuditEntry } from '../query/audit-entry.js'
import type { AuditFilter, ListOptions } from '../query/audit-filter.js'
import { countEntries } from '../query/count-entries.js'
import { archiveEntries, type ArchiveEntriesOptions, type ArchiveResult } from '../archive/archive-entries.js'
import { sealChain } from '../chain/seal-chain.js'
import type { VerifyChainOptions } from '../chain/verify-chain.js'
import { verifyLog, type LogVerification } from '../verify/verify-log.js'
import { filterChoices, type ActivityLogScope, type FilterChoices } from '../query/filter-choices.js'
import { history, type HistoryOptions } from '../query/history.js'
import { listEntries, type ListResult } from '../query/list-entries.js'
import type { ResourceKey } from '../query/resource-key.js'
import { stateAt, type RecordState } from '../query/state-at.js'
import { recordEvent, type AuditEvent } from '../record/record-event.js'

/** Where `createAuditLog` reads and writes: a connection string (it owns a pool) or your pool. */
export type CreateAuditLogOptions =
  | {
      /** PostgreSQL URL; the log creates a `pg.Pool` on it and `close()` ends that pool. */
      connectionString: string
      /** Size of that pool. Default 10 (pg's default). */
      max?: number
    }
  | {
      /** An existing pool; `close()` leaves it open. */
      pool: pg.Pool
    }

/** Reads the activity log and records manual events. Create with `createAuditLog()`. */
export interface AuditLog {
  /** One page of entries matching the filter, newest first by default; follow `nextCursor` for more. */
  list(options?: ListOptions): Promise<ListResult>
  /** How many entries match the filter. */
  count(filter?: AuditFilter): Promise<number>
  /** Every entry of one record, newest first. */
  history(resourceType: string, resourceId: ResourceKey, options?: HistoryOptions): Promise<AuditEntry[]>
  /** The record's columns as of `at` (encoded values, as stored in `changes`), or null. */
  stateAt(resourceType: string, resourceId: ResourceKey, at: Date | string): Promise<RecordState | null>
  /** Writes a manual event (`login`, `login_failed`, `pdf_downloaded`, ...) in its own transaction. */
  record(event: AuditEvent): Promise<AuditEntry>
  /** Distinct filter values from the whole log (actors, types, locations, ...), for pickers. */
  choices(scope?: ActivityLogScope): Promise<FilterChoices>
  /** Streams the matching entries to `writable` as CSV. */
  exportCsv(filter: ExportCsvFilter, writable: NodeJS.WritableStream, options?: ExportCsvOptions): Promise<ExportCsvResult>
  /**
   * Moves entries older than `olderThanDays` days (0: everything before now) to
   * `audit_trail.activity_log_archive` and records an `archived` entry. Only the role owning
   * the log may archive; the application role gets ArchivePermissionError.
   */
  archive(options: ArchiveEntriesOptions): Promise<ArchiveResult>
  /**
   * Seals committed entries into the hash chain, then recomputes the chain over the log and the
   * archive: `{ ok, checked, firstBadId?, reason?, checkpoint, unsealed }`. Pass a checkpoint
   * stored earlier to also detect deleted newest entries; store `checkpoint` outside the database.
   */
  verify(options?: VerifyChainOptions): Promise<LogVerification>
  /** Links committed entries into the hash chain now (run it on a schedule); resolves to the number linked. */
  seal(): Promise<number>
  /** Ends the pool if the log created it; a pool passed in stays open. */
  close(): Promise<void>
}

/**
 * Opens the activity log for reading and for manual events.
 *
 * @example
 * const log = createAuditLog({ connectionString: process.env.DATABASE_URL! })
 * const { entries, nextCursor } = await log.list({ resourceType: 'client', field: 'email', limit: 20 })
 * await log.record({ action: 'login_failed', description: 'wrong password' })
 * await log.close()
 */
export function createAuditLog(options: CreateAuditLogOptions): AuditLog {
  const owned = options !== null && typeof options === 'object' && 'connectionString' in options
  let pool: pg.Pool
  if (owned) {
    if (typeof options.connectionString !== 'string' || options.connectionString === '') {
      throw new InvalidArgumentError('audit-trail: createAuditLog({ connectionString }) needs a PostgreSQL URL string.')
    }
    pool = new pg.Pool({ connectionString: options.connectionString, max: options.max ?? 10 })
  } else if (options !== null && typeof options === 'object' && 'pool' in options && options.pool) {
    pool = options.pool
  } else {
    throw new InvalidArgumentError('audit-trail: createAuditLog() needs { connectionString } or { pool }.')
  }
  let closed: Promise<void> | undefined
  return {
    list: (listOptions) => listEntries(pool, listOptions),
    count: (filter) => countEntries(pool, filter),
    history: (resourceType, resourceId, historyOptions) => history(pool, resourceType, resourceId, historyOptions),
    archive: (archiveOptions) => archiveEntries(pool, archiveOptions),
    verify: (verifyOptions) => verifyLog(pool, verifyOptions),
    seal: () => sealChain(pool),
    stateAt: (resourceType, resourceId, at) => stateAt(pool, resourceType, resourceId, at),
    record: (event) => recordEvent(pool, event),
    choices: (scope) => filterChoices(pool, scope),
    exportCsv: (filter, writable, exportOptions) => exportCsv(pool, filter, writable, exportOptions),
    close() {
      if (!owned) return Promise.resolve()
      closed ??= pool.end()
      return closed
    },
  }
}
