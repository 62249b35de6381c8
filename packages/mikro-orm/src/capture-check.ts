import { checkCaptureTargets, planCapture, type CaptureTarget } from '@audit-trail/core/plugin'
import { connectionExecutor } from './connection-executor.js'
import { entityTables } from './entity-tables.js'
import type { EntityManagerLike } from './mikro-orm-like.js'
import type { MikroOrmAuditOptions } from './mikro-orm-audit-options.js'

/** The capture targets of the ORM's entities and pivot tables under `options`. */
export function captureTargets(em: EntityManagerLike, options: MikroOrmAuditOptions): CaptureTarget[] {
  return planCapture(entityTables(em), options)
}

/**
 * Fails with `AuditConfigurationError` unless every audited entity's table (pivot tables
 * included) is captured with the options of the code. Reads the catalog once through `em`'s
 * connection, inside `transaction` when given one.
 */
export async function checkEntityCapture(em: EntityManagerLike, options: MikroOrmAuditOptions, transaction?: unknown): Promise<void> {
  await checkCaptureTargets(connectionExecutor(em.getConnection(), transaction), captureTargets(em, options))
}
