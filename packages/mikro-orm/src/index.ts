/**
 * @audit-trail/mikro-orm: records MikroORM 6.6 and 7 writes in the audit-trail activity log
 * through database capture. `withAuditTrail(config, options)` tags every statement with the
 * request context; `enableMikroOrmCapture(ownerOrm, options)` turns capture on at deploy time.
 */
export { withAuditTrail } from './with-audit-trail.js'
export type { AuditableMikroOrmConfig } from './with-audit-trail.js'
export { enableMikroOrmCapture, checkMikroOrmCapture } from './enable-mikro-orm-capture.js'
export { AuditSubscriber } from './audit-subscriber.js'
export { entityTables } from './entity-tables.js'
export type { MikroOrmAuditOptions } from './mikro-orm-audit-options.js'
export type { MikroOrmLike, EntityManagerLike, EntityMetadataLike, EntityPropertyLike, MikroOrmConnectionLike } from './mikro-orm-like.js'
