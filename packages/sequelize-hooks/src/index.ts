/**
 * @audit-trail/sequelize: Sequelize 6 hooks that record every create, update, delete and
 * restore in the audit-trail activity log, in the same transaction as the change.
 */
export { attachAuditHooks, refreshCapturedTables } from './attach-audit-hooks.js'
export type { SequelizeAuditOptions, DetachAuditHooks } from './attach-audit-hooks.js'
