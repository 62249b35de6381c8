import type { AuditPluginOptions } from '@audit-trail/core/plugin'

/**
 * Options of `withAuditTrail` and `enableMikroOrmCapture`: core's shared plugin options, keyed by
 * entity class name (`models`, `exclude`; pivot entities by their class name, e.g. `ArticleTags`).
 * Defaults: every entity audited, `requireContext: false`, `logName: 'backoffice'`.
 */
export type MikroOrmAuditOptions = AuditPluginOptions
