import { MissingAuditContextError, getAuditContext } from '@audit-trail/core'
import type { EventSubscriber } from '@mikro-orm/core'
import { checkEntityCapture } from './capture-check.js'
import type { EntityManagerLike } from './mikro-orm-like.js'
import type { MikroOrmAuditOptions } from './mikro-orm-audit-options.js'

/** The flush and transaction event arguments the subscriber reads (MikroORM 6.6 and 7). */
interface FlushArgs {
  readonly em: EntityManagerLike
  readonly uow: { getChangeSets(): ReadonlyArray<{ readonly type: string; readonly meta: { readonly className: string } }> }
}
interface TransactionArgs {
  readonly em: EntityManagerLike
  readonly transaction?: unknown
}

/**
 * The event subscriber `withAuditTrail` registers. It writes nothing: the capture triggers record
 * every change, with the context `onQuery` appends to each statement. It
 * - checks, once, before the first flush or transaction, that every audited entity's table (pivot
 *   tables included) is captured with the options of the code (`AuditConfigurationError`
 *   otherwise, retried on the next write until it passes). It runs then rather than in
 *   `MikroORM.init` so that loading the config (the MikroORM CLI, a migration script) does not
 *   need capture to be set up yet, and through the writing EntityManager's own transaction,
 *   because an embedded database that serialises transactions (PGlite) would wait forever on a
 *   second connection;
 * - with `requireContext`, rejects a flush with changes and no context before it opens its
 *   transaction (`onQuery` covers native writes and raw SQL).
 * Writes that need neither (a `nativeUpdate` before any flush or transaction) are not delayed:
 * call `checkMikroOrmCapture(orm, options)` at startup to check before them.
 */
export class AuditSubscriber implements EventSubscriber {
  private checked: Promise<void> | undefined

  constructor(private readonly options: MikroOrmAuditOptions = {}) {}

  /** Before the flush opens its transaction (or inside the caller's one). */
  async beforeFlush({ em }: TransactionArgs): Promise<void> {
    await this.check(em, em.getTransactionContext())
  }

  /** `requireContext`: runs before MikroORM opens the flush's transaction, so nothing is sent. */
  async onFlush({ uow }: FlushArgs): Promise<void> {
    if (!this.options.requireContext || getAuditContext() !== undefined) return
    const [first] = uow.getChangeSets()
    if (first) throw MissingAuditContextError.forWrite(first.meta.className, first.type)
  }

  /** `em.transactional` / `em.begin`: before BEGIN, or inside the outer transaction for a nested one. */
  async beforeTransactionStart({ em, transaction }: TransactionArgs): Promise<void> {
    await this.check(em, transaction ?? em.getTransactionContext())
  }

  /** Runs the capture check once; a failure is thrown to this write and checked again on the next. */
  private check(em: EntityManagerLike, transaction: unknown): Promise<void> {
    this.checked ??= checkEntityCapture(em, this.options, transaction).catch((error: unknown) => {
      this.checked = undefined
      throw error
    })
    return this.checked
  }
}
