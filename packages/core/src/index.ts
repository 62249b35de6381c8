/**
 * @audit-trail/core: what an application uses. Request context and its middleware, the activity
 * log (queries, manual events, CSV export, archive, verification), the activity log page, the
 * SQL migrations and database-level capture. What ORM adapters need is in
 * `@audit-trail/core/plugin`.
 *
 * @example
 * import { auditContextMiddleware, activityLogRouter, createAuditLog } from '@audit-trail/core'
 * const log = createAuditLog({ connectionString: process.env.DATABASE_URL! })
 * app.use(auditContextMiddleware({ actor: (req) => req.user && { id: req.user.id, name: req.user.name } }))
 * app.use('/admin/activity-log', activityLogRouter(log, { authorize: (req) => req.user?.role === 'admin' }))
 */

// Request context
export { runWithAuditContext, getAuditContext, setAuditActor } from './context/audit-context.js'
export type { Actor, AuditContext } from './context/audit-context.js'
export { auditContextMiddleware, auditContextFastify } from './web/audit-context-middleware.js'
export type { AuditContextMiddlewareOptions, FastifyLike } from './web/audit-context-middleware.js'
export type { TrustProxy } from './web/client-ip.js'

// SQL written by hand: the context as a statement tag or as a transaction setting
export { withAuditContextSql, auditContextSetting, SET_AUDIT_CONTEXT_SQL } from './capture/statement-tag.js'

// The activity log
export { createAuditLog } from './log/audit-log.js'
export type { AuditLog, CreateAuditLogOptions } from './log/audit-log.js'
export type { AuditEntry } from './query/audit-entry.js'
export type { AuditFilter, ListOptions, OneOrMany } from './query/audit-filter.js'
export type { ListResult } from './query/list-entries.js'
export type { HistoryOptions } from './query/history.js'
export type { ResourceKey } from './query/resource-key.js'
export type { RecordState } from './query/state-at.js'
export type { ActivityLogScope, FilterChoices } from './query/filter-choices.js'
export type { AuditEvent } from './record/record-event.js'
export { CSV_COLUMNS } from './export/csv-columns.js'
export type { ExportCsvFilter, ExportCsvOptions, ExportCsvResult } from './export/export-csv.js'

// Stored values
export { encodeValue, decodeValue, JSON_NULL } from './diff/encode-value.js'
export type { EncodedValue, ValueKind, TruncatedMarker } from './diff/encode-value.js'
export { REDACTED } from './diff/changes.js'
export type { Changes } from './diff/changes.js'
export type { ActorType, EntrySource } from './writer/activity-log-row.js'

// Activity log page and terminal view
export { activityLogRouter } from './web/activity-log-router.js'
export type { ActivityLogRouterOptions, ActivityLogSource, ActivityLogAccess } from './web/activity-log-router.js'
export type { ActivityLogMessages } from './web/activity-log-messages.js'
export type { ViewOptions, ColumnFormat } from './view/field-lines.js'
export { formatTail } from './cli/format-tail.js'
export type { FormatTailOptions } from './cli/format-tail.js'

// Tamper evidence and archival
export { verifyLog } from './verify/verify-log.js'
export type { LogVerification, ProtectionFinding } from './verify/verify-log.js'
export { verifyChain } from './chain/verify-chain.js'
export type { VerifyChainOptions, VerifyProgress, ChainVerification } from './chain/verify-chain.js'
export { createCheckpoint } from './chain/create-checkpoint.js'
export { parseCheckpoint } from './chain/chain-checkpoint.js'
export type { ChainCheckpoint } from './chain/chain-checkpoint.js'
export { sealChain } from './chain/seal-chain.js'
export type { ChainDatabase, PoolLike } from './chain/chain-database.js'
export { archiveEntries } from './archive/archive-entries.js'
export type { ArchiveEntriesOptions, ArchiveResult } from './archive/archive-entries.js'

// Migrations and database-level capture (the DBA's side)
export { applyMigrations } from './migrate/apply-migrations.js'
export type { ApplyMigrationsOptions, ApplyMigrationsResult } from './migrate/apply-migrations.js'
export { sqlDirectory, readMigrations } from './migrate/sql-directory.js'
export type { MigrationFile } from './migrate/sql-directory.js'
export { enableCapture, disableCapture, readCaptureSettings } from './capture/captured-tables.js'
export type { CaptureOptions, CaptureSettings } from './capture/captured-tables.js'
export type { TableName } from './capture/table-name.js'
export { writeEntries } from './writer/write-entries.js'
export type { ActivityLogRow } from './writer/activity-log-row.js'

// Errors
export {
  AuditTrailError,
  MissingAuditContextError,
  AuditConfigurationError,
  InvalidArgumentError,
  MigrationError,
  AuditDatabaseError,
  ArchivePermissionError,
  ChainVerificationError,
} from './errors.js'
