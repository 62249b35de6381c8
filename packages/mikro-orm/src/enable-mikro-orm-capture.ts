import { enableCaptureTargets } from '@audit-trail/core/plugin'
import { captureTargets, checkEntityCapture } from './capture-check.js'
import { connectionExecutor } from './connection-executor.js'
import type { MikroOrmLike } from './mikro-orm-like.js'
import type { MikroOrmAuditOptions } from './mikro-orm-audit-options.js'

/**
 * Deploy-time step, run as the role that owns the log: turns database capture on for every
 * audited entity's table and every `@ManyToMany` pivot table (resource type `article_tag` for
 * Article ↔ Tag unless `models` says otherwise), with the options mapped to column names.
 * Idempotent. Returns the quoted table names. `orm` may be a plain `MikroORM.init(config)`.
 *
 * @example
 * ```ts
 * const owner = await MikroORM.init({ ...config, clientUrl: OWNER_URL })
 * await enableMikroOrmCapture(owner, options)
 * ```
 */
export async function enableMikroOrmCapture(orm: MikroOrmLike, options: MikroOrmAuditOptions = {}): Promise<string[]> {
  return enableCaptureTargets(connectionExecutor(orm.em.getConnection()), captureTargets(orm.em, options))
}

/**
 * The startup check `withAuditTrail` runs before the first flush or transaction, on demand:
 * throws `AuditConfigurationError` naming each table and option whose capture differs from the
 * code. Call it after `MikroORM.init` when the app may write with `nativeUpdate`, QueryBuilder or
 * `em.execute` before any flush.
 */
export async function checkMikroOrmCapture(orm: MikroOrmLike, options: MikroOrmAuditOptions = {}): Promise<void> {
  await checkEntityCapture(orm.em, options)
}
