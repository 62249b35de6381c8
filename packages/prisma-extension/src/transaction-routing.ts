import { AuditTrailError } from '@audit-trail/core'
import type { BasePrismaClient, PrismaTransaction, QueryHookParams } from './prisma-client-shape.js'

// Prisma 7 internals this module relies on (all checked, see prisma-client-shape.ts):
// - a query hook's `query(args, internalParams)` takes a hidden second argument whose
//   `transaction` re-binds the user's request to any transaction;
// - every PrismaPromise has `requestTransaction(tx)`, which runs it inside that transaction;
// - an interactive transaction client exposes its id under this symbol.
const TRANSACTION_SCOPE = Symbol.for('prisma.client.transaction.scope_context')

export interface TransactionOptions {
  /** Longest wait for a connection for the transaction the plugin opens. */
  maxWait: number
  /** Longest run of that transaction. */
  timeout: number
}

/**
 * Runs `statement` and then the user's request in ONE database transaction, whichever way the
 * request runs:
 * - inside `$transaction(async tx => ...)`: the statement joins that interactive transaction;
 * - inside `$transaction([...])`: the statement joins the batch, just before the request
 *   (batches compile every statement up front and run them in one transaction);
 * - at top level: the plugin opens an interactive transaction and re-binds the request to it,
 *   which is what makes a single `update` and its nested writes commit with their entries.
 * Nothing is written before `statement` runs in the same transaction as the request.
 */
export async function runInSameTransaction(args: {
  readonly base: BasePrismaClient
  readonly params: QueryHookParams
  readonly statement: { sql: string; values: unknown[] }
  readonly transactionOptions: TransactionOptions
}): Promise<unknown> {
  const { base, params, statement } = args
  const internal = params.__internalParams ?? {}
  const current = internal.transaction
  const statementIn = (transaction: PrismaTransaction) => {
    const promise = base.$queryRawUnsafe(statement.sql, ...statement.values)
    if (typeof promise.requestTransaction !== 'function') throw unsupportedPrisma('PrismaPromise.requestTransaction')
    return promise.requestTransaction(transaction)
  }

  if (current?.kind === 'itx') {
    await statementIn(current)
    return params.query(params.args)
  }

  if (current?.kind === 'batch') {
    // A batch shares one counting lock among its N requests; each request's first
    // `lock.then` counts down once and hands over the inner promise. This hook consumes its
    // request's count once and puts both statements on the inner lock, at fractional indexes
    // around the request's own, so the batch stays one transaction. (Awaiting the lock twice
    // releases it early and silently splits the batch: do not.)
    let inner: PromiseLike<unknown> | undefined
    void current.lock.then((value) => {
      inner = value as PromiseLike<unknown>
    })
    if (!inner) throw unsupportedPrisma('batch transaction lock')
    const at = (offset: number): PrismaTransaction => ({ ...current, lock: inner!, index: current.index + offset })
    const [, result] = await Promise.all([
      statementIn(at(-0.5)),
      params.query(params.args, { ...internal, transaction: at(0) }),
    ])
    return result
  }

  return base.$transaction(async (tx) => {
    const scope = (tx as Record<symbol, { txId?: string } | undefined>)[TRANSACTION_SCOPE]
    if (!scope?.txId) throw unsupportedPrisma('interactive transaction id')
    const transaction: PrismaTransaction = { kind: 'itx', id: scope.txId }
    await statementIn(transaction)
    return params.query(params.args, { ...internal, transaction })
  }, args.transactionOptions)
}

function unsupportedPrisma(what: string): AuditTrailError {
  return new AuditTrailError(
    `audit-trail: this Prisma version does not provide ${what}, which @audit-trail/prisma needs to write ` +
      'in the same transaction as your query. Nothing was written. Use a Prisma version listed in the @audit-trail/prisma README.',
  )
}
