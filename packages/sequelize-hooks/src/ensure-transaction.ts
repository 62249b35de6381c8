import type { Model, Sequelize, Transaction } from 'sequelize'
import { clsTransaction, type AnyModelStatic } from './sequelize-internals.js'

type Method = (this: unknown, ...args: unknown[]) => unknown
interface CallOptions {
  transaction?: Transaction | null
  hooks?: boolean
}

/** Model methods that write through hooks, and the position of their options argument. */
const STATIC_METHODS: ReadonlyArray<readonly [string, number]> = [
  ['bulkCreate', 1],
  ['update', 1],
  ['upsert', 1],
  ['destroy', 0],
  ['restore', 0],
]
// `create`, `instance.update` and nested creates all go through `save`.
const INSTANCE_METHODS: ReadonlyArray<readonly [string, number]> = [
  ['save', 0],
  ['destroy', 0],
  ['restore', 0],
]

/**
 * Makes every audited write of `model` that runs outside a transaction run inside one the
 * plugin opens, so the change and its entries commit together or not at all.
 *
 * Why wrap the methods rather than open the transaction in a `before*` hook: Sequelize has no
 * hook on failure, so a transaction opened in a hook would never be rolled back (and its
 * connection never released) when the write itself fails. A managed `sequelize.transaction()`
 * around the call commits on success and rolls back on any throw, including a failing hook.
 * Calls that already have a transaction (passed, or from CLS) go straight through.
 *
 * Returns a function that restores the original methods.
 */
export function ensureTransaction(args: {
  readonly sequelize: Sequelize
  readonly model: AnyModelStatic
  /** Whether calls on this model class are audited; checked at call time. */
  readonly isAudited: (model: AnyModelStatic) => boolean
  /** Runs before the transaction is opened (throws for `requireContext`). */
  readonly beforeOpen: (model: AnyModelStatic, method: string) => void
  /** Runs first on every audited instance call with hooks, before any hook of the app. */
  readonly onInstanceCall: (instance: Model, method: string) => void
}): () => void {
  const { sequelize, isAudited, beforeOpen, onInstanceCall } = args
  const restores: Array<() => void> = []

  const wrap = (holder: object, name: string, optionsAt: number, kind: 'static' | 'instance') => {
    const modelOf = (self: unknown) => (kind === 'static' ? self : (self as Model).constructor) as AnyModelStatic
    const original = (holder as Record<string, unknown>)[name]
    if (typeof original !== 'function') return
    const hadOwn = Object.prototype.hasOwnProperty.call(holder, name)
    // async, so that a requireContext rejection is a rejected promise like every Sequelize error.
    const wrapped = async function (this: unknown, ...callArgs: unknown[]): Promise<unknown> {
      const options = (callArgs[optionsAt] ?? {}) as CallOptions
      const model = modelOf(this)
      if (options.hooks === false || !isAudited(model)) return (original as Method).apply(this, callArgs)
      if (kind === 'instance') onInstanceCall(this as Model, name)
      if (hasTransaction(sequelize, options)) return (original as Method).apply(this, callArgs)
      beforeOpen(model, name)
      return sequelize.transaction((transaction) => {
        const withTransaction = [...callArgs]
        while (withTransaction.length < optionsAt) withTransaction.push(undefined)
        withTransaction[optionsAt] = { ...options, transaction }
        return (original as Method).apply(this, withTransaction) as Promise<unknown>
      })
    }
    Object.defineProperty(holder, name, { value: wrapped, writable: true, configurable: true, enumerable: false })
    restores.push(() => {
      if ((holder as Record<string, unknown>)[name] !== wrapped) return
      if (hadOwn) Object.defineProperty(holder, name, { value: original, writable: true, configurable: true })
      else delete (holder as Record<string, unknown>)[name]
    })
  }

  for (const [name, at] of STATIC_METHODS) wrap(args.model, name, at, 'static')
  for (const [name, at] of INSTANCE_METHODS) wrap(args.model.prototype, name, at, 'instance')
  return () => {
    for (const restore of restores.reverse()) restore()
  }
}

function hasTransaction(sequelize: Sequelize, options: CallOptions): boolean {
  if (options.transaction) return true
  // An explicit `transaction: null` opts out of CLS, as in Sequelize itself.
  return options.transaction === undefined && clsTransaction(sequelize) !== undefined
}
