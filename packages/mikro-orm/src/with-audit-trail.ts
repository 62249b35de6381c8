import { assertStatementContext, tagStatement } from '@audit-trail/core/plugin'
import { AuditSubscriber } from './audit-subscriber.js'
import type { MikroOrmAuditOptions } from './mikro-orm-audit-options.js'

/** The parts of a MikroORM 6.6 / 7 config `withAuditTrail` extends; every other option passes through. */
export interface AuditableMikroOrmConfig {
  /** The app's own hook, kept: called first, its SQL is the one tagged. */
  onQuery?(sql: string, params: readonly unknown[]): string
  /** The app's subscribers, kept; the audit subscriber is added after them. */
  subscribers?: Iterable<unknown>
}

/**
 * Returns `config` with the audit trail attached: an `onQuery` hook that appends the request
 * context (`runWithAuditContext`) to every statement MikroORM sends as a sqlcommenter tag, which
 * the capture triggers read, and the `AuditSubscriber` (startup capture check, `requireContext`
 * for flushes). With `requireContext`, a writing statement without context (flush, native write,
 * QueryBuilder, `em.execute`) throws `MissingAuditContextError` before it is sent.
 *
 * @example
 * ```ts
 * import { withAuditTrail } from '@audit-trail/mikro-orm'
 * const orm = await MikroORM.init(withAuditTrail({ ...config }, { models: { Article: { resourceType: 'article', name: 'title' } } }))
 * ```
 */
export function withAuditTrail<C extends object>(config: C & AuditableMikroOrmConfig, options: MikroOrmAuditOptions = {}): C {
  const appOnQuery = config.onQuery?.bind(config)
  const { requireContext = false, logName } = options
  const onQuery = (sql: string, params: readonly unknown[]): string => {
    const own = appOnQuery ? appOnQuery(sql, params) : sql
    if (requireContext) assertStatementContext(own)
    return tagStatement(own, { logName })
  }
  return { ...config, onQuery, subscribers: [...(config.subscribers ?? []), new AuditSubscriber(options)] }
}
