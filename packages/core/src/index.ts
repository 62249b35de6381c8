/**
 * @audit-trail/core: request context, diffs and value encoding, entry writing and the SQL
 * migrations shared by every audit-trail plugin.
 */
export { runWithAuditContext, runWithLateAuditContext, getAuditContext, setAuditActor, mergeAuditContexts } from './context/audit-context.js'
export type { Actor, AuditContext, LateContextKey, LateContextResolvers } from './context/audit-context.js'

export {
  encodeValue,
  decodeValue,
  encodedEqual,
  capValueSize,
  canonicalDecimal,
  encodeJson,
  JSON_NULL,
  DEFAULT_MAX_VALUE_BYTES,
} from './diff/encode-value.js'
export type { EncodedValue, ValueKind, TruncatedMarker } from './diff/encode-value.js'
export { REDACTED, DEFAULT_REDACT_PATTERN } from './diff/changes.js'
export type { Changes } from './diff/changes.js'

export type { AuditExecutor } from './writer/executor.js'
export type { ActivityLogRow, ActorType, EntrySource } from './writer/activity-log-row.js'
export { contextColumns, cleanText, MAX_CONTEXT_TEXT } from './writer/context-columns.js'
export { writeEntries, INSERT_ENTRIES_SQL } from './writer/write-entries.js'

export type { AuditPluginOptions, ModelAuditOptions } from './plugin/plugin-options.js'

export { applyMigrations } from './migrate/apply-migrations.js'
export type { ApplyMigrationsOptions, ApplyMigrationsResult } from './migrate/apply-migrations.js'
export { sqlDirectory, readMigrations } from './migrate/sql-directory.js'
export type { MigrationFile } from './migrate/sql-directory.js'

export {
  AuditTrailError,
  MissingAuditContextError,
  AuditConfigurationError,
  InvalidArgumentError,
  MigrationError,
  UsageError,
  AuditDatabaseError,
} from './errors.js'

export {
  AUDIT_CONTEXT_TAG_KEY,
  SET_AUDIT_CONTEXT_SQL,
  auditContextSetting,
  auditContextTagValue,
  auditContextComment,
  tagStatement,
  withAuditContextSql,
  readAuditContextTag,
  isWritingStatement,
  assertStatementContext,
} from './capture/statement-tag.js'
export {
  enableCapture,
  disableCapture,
  readCaptureSettings,
  enableCaptureTargets,
  checkCaptureTargets,
  ALWAYS_IGNORED_COLUMNS,
  DEFAULT_TOGGLE_COLUMN_NAMES,
  CAPTURE_TRIGGERS,
} from './capture/captured-tables.js'
export type { CaptureOptions, CaptureSettings, CaptureTarget } from './capture/captured-tables.js'
export { planCapture, linkResourceType } from './capture/capture-plan.js'
export { parseCaptureConfig, captureConfig } from './capture/capture-config.js'
export type { CaptureConfig } from './capture/capture-config.js'
export type { ModelTable } from './capture/capture-plan.js'
export { parseTableName, quoteTableName } from './capture/table-name.js'
export type { TableName } from './capture/table-name.js'

export { auditContextMiddleware, auditContextFastify, resolveRequestContext } from './web/audit-context-middleware.js'
export type { AuditContextMiddlewareOptions, FastifyLike } from './web/audit-context-middleware.js'
export { clientIp } from './web/client-ip.js'
export type { TrustProxy } from './web/client-ip.js'

export { createAuditLog } from './query/audit-log.js'
export type { AuditLog, CreateAuditLogOptions } from './query/audit-log.js'
export type { AuditEntry } from './query/audit-entry.js'
export type { AuditFilter, ListOptions, OneOrMany } from './query/audit-filter.js'
export type { ListResult } from './query/list-entries.js'
export type { AuditEvent } from './query/record-event.js'
export type { RecordState } from './query/state-at.js'
export type { ResourceKey } from './query/resource-key.js'
export { CSV_COLUMNS } from './export/csv-columns.js'
export type { ExportCsvFilter, ExportCsvOptions, ExportCsvResult } from './export/export-csv.js'
export { formatTail } from './cli/format-tail.js'
export type { FormatTailOptions } from './cli/format-tail.js'
export { activityLogRouter } from './web/activity-log-router.js'
export type { ActivityLogRouterOptions, ActivityLogSource } from './web/activity-log-router.js'
export { entryView } from './web/entry-view.js'
export type { EntryView } from './web/entry-view.js'
export { filterChoices } from './web/filter-choices.js'
export type { ActivityLogScope, FilterChoices } from './web/filter-choices.js'
export type { ActivityLogAccess } from './web/activity-log-router.js'
export { MESSAGES as ACTIVITY_LOG_MESSAGES } from './web/activity-log-messages.js'
export type { ActivityLogMessages } from './web/activity-log-messages.js'
export type { ViewOptions, ColumnFormat } from './view/field-lines.js'

export { verifyChain } from './chain/verify-chain.js'
export { verifyLog, protectionFindings } from './verify/verify-log.js'
export type { LogVerification, ProtectionFinding } from './verify/verify-log.js'
export type { VerifyChainOptions, VerifyProgress, ChainVerification } from './chain/verify-chain.js'
export { createCheckpoint, ChainVerificationError } from './chain/create-checkpoint.js'
export { parseCheckpoint } from './chain/chain-checkpoint.js'
export type { ChainCheckpoint } from './chain/chain-checkpoint.js'
export { sealChain } from './chain/seal-chain.js'
export { linkHash, GENESIS_HASH } from './chain/chain-hash.js'
export type { ChainDatabase, PoolLike } from './chain/chain-database.js'
export { archiveEntries, ArchivePermissionError } from './archive/archive-entries.js'
export type { ArchiveEntriesOptions, ArchiveResult } from './archive/archive-entries.js'
