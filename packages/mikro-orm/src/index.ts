/**
 * @audit-trail/mikro-orm: a MikroORM event subscriber that records every flushed change in the
 * audit-trail activity log, in the flush's own transaction.
 */
export { AuditSubscriber } from './audit-subscriber.js'
export type { MikroOrmAuditOptions } from './mikro-orm-audit-options.js'
export { auditForkOptions, auditContextOfEntityManager, AUDIT_CONTEXT_KEY } from './audit-fork-options.js'
export { NativeWriteNotAuditedError } from './native-write-error.js'
export { entityColumns } from './entity-columns.js'
export type { EntityColumns, ColumnProperty } from './entity-columns.js'
