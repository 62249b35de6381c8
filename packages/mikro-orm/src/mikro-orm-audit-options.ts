import type { AuditContext, AuditPluginOptions } from '@audit-trail/core'
import type { EntityManager } from '@mikro-orm/core'

/** Options of `AuditSubscriber`: core's shared plugin options plus the MikroORM-specific ones. */
export interface MikroOrmAuditOptions extends AuditPluginOptions {
  /**
   * Reads an audit context from the EntityManager that flushes or writes (a RequestContext
   * fork, an `em.transactional` fork); `runWithAuditContext` wins over it key by key; false
   * turns it off. Default: the context attached with `auditForkOptions(ctx)`.
   */
  contextFromEntityManager?: ((args: { readonly em: EntityManager }) => AuditContext | null | undefined) | false
  /**
   * QueryBuilder, `em.insert*`, `em.upsert*` and raw SQL writes to an audited table without
   * database capture bypass the unit of work and cannot be audited: 'reject' throws
   * NativeWriteNotAuditedError before they run, 'allow' lets them through unrecorded. On a
   * captured table they always run, recorded by its triggers with the context handed over.
   * Default: 'reject'.
   */
  unauditedWrites?: 'reject' | 'allow'
}
