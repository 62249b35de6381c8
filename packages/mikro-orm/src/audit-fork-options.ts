import type { AuditContext } from '@audit-trail/core'
import type { EntityManager } from '@mikro-orm/core'

/** Key of the EntityManager logger context under which `auditForkOptions` stores the context. */
export const AUDIT_CONTEXT_KEY = 'auditContext'

/**
 * Fork options that attach an audit context to an EntityManager fork, so every flush and
 * native write of that fork (and of the `em.transactional` forks made from it) is recorded
 * with it. MikroORM copies the logger context into every fork, which is why it travels there.
 *
 * @example
 * ```ts
 * app.use((req, res, next) =>
 *   RequestContext.create(orm.em, next, auditForkOptions({ actor: { id: req.user.id }, ipAddress: req.ip })))
 * // or, outside a request: const em = orm.em.fork(auditForkOptions({ actor: null, metadata: { job: 'sync' } }))
 * ```
 */
export function auditForkOptions(context: AuditContext): { loggerContext: { [AUDIT_CONTEXT_KEY]: AuditContext } } {
  return { loggerContext: { [AUDIT_CONTEXT_KEY]: context } }
}

/** The context `auditForkOptions` attached to `em` (or to the fork it was made from), if any. */
export function auditContextOfEntityManager(args: { readonly em: EntityManager }): AuditContext | undefined {
  const loggerContext = args.em.getLoggerContext({ disableContextResolution: true }) as Record<string, unknown>
  const context = loggerContext[AUDIT_CONTEXT_KEY]
  return context !== null && typeof context === 'object' ? (context as AuditContext) : undefined
}
