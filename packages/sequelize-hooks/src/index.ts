/**
 * @audit-trail/sequelize: carries the request context on every statement a Sequelize 6
 * instance sends, so the audit-trail capture triggers record each write with its actor, and
 * sets up and checks that capture from the models.
 *
 * @example
 * import { attachAuditHooks, enableSequelizeCapture } from '@audit-trail/sequelize'
 * attachAuditHooks(sequelize, options)                   // the app
 * await enableSequelizeCapture(ownerSequelize, options)  // deploy time, as the log owner
 */
export { attachAuditHooks, checkSequelizeCapture } from './attach-audit-hooks.js'
export type { SequelizeAuditOptions, DetachAuditHooks } from './attach-audit-hooks.js'
export { enableSequelizeCapture } from './enable-sequelize-capture.js'
