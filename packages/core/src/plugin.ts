/**
 * @audit-trail/core/plugin: what an ORM adapter needs and an application does not. Tag each
 * statement with the request context, enforce `requireContext` on raw SQL, and turn the ORM's
 * metadata into capture targets that are enabled at deploy time and checked at startup.
 * Applications import from `@audit-trail/core`.
 *
 * @example
 * import { checkCaptureTargets, planCapture, tagStatement, type ModelTable } from '@audit-trail/core/plugin'
 * const tables: ModelTable[] = readTablesFromOrmMetadata(orm)   // the adapter's own mapping
 * const targets = planCapture(tables, options)                    // AuditConfigurationError for unknown models or options
 * await checkCaptureTargets(executor, targets)                    // at startup: capture matches the options
 * const onQuery = (sql: string) => tagStatement(sql, { logName: options.logName })   // every statement carries its context
 */

// The statement tag
export { tagStatement, auditContextTagValue, readAuditContextTag, isWritingStatement, assertStatementContext } from './capture/statement-tag.js'

// Capture targets from the ORM's metadata
export { planCapture, linkResourceType } from './capture/capture-plan.js'
export type { ModelTable } from './capture/capture-plan.js'
export { enableCaptureTargets, checkCaptureTargets } from './capture/captured-tables.js'
export type { CaptureTarget } from './capture/captured-tables.js'
export { captureConfig, parseCaptureConfig } from './capture/capture-config.js'
export type { CaptureConfig } from './capture/capture-config.js'

// What the adapter takes and gives
export type { AuditPluginOptions, ModelAuditOptions } from './plugin/plugin-options.js'
export type { AuditExecutor } from './writer/executor.js'
