import { AuditRecorder, type AuditPluginOptions } from '@audit-trail/core'
import type { ModelHooks } from 'sequelize/types/hooks'
import type { Sequelize } from 'sequelize'
import { AuditHooks } from './audit-hooks.js'
import { CaptureHandoff } from './capture-handoff.js'
import { ensureTransaction } from './ensure-transaction.js'
import { handOffRawWrites } from './raw-query-handoff.js'
import type { AnyModelStatic } from './sequelize-internals.js'

/** Options of `attachAuditHooks`: the options every audit-trail plugin takes, plus one for Sequelize. */
export interface SequelizeAuditOptions extends AuditPluginOptions {
  /** Send the entry INSERT as a named prepared statement on the transaction's connection (set false behind PgBouncer < 1.21 in transaction mode). Default: true. */
  preparedStatements?: boolean
}

/** Removes the hooks and method wrappers `attachAuditHooks` installed. */
export type DetachAuditHooks = () => void

const HOOK_NAME = 'audit-trail'
const captures = new WeakMap<Sequelize, CaptureHandoff>()

const HOOKS = [
  'beforeCreate',
  'afterCreate',
  'beforeUpdate',
  'afterUpdate',
  'beforeDestroy',
  'afterDestroy',
  'beforeRestore',
  'afterRestore',
  'beforeBulkCreate',
  'afterBulkCreate',
  'beforeBulkUpdate',
  'afterBulkUpdate',
  'beforeBulkDestroy',
  'afterBulkDestroy',
  'beforeBulkRestore',
  'afterBulkRestore',
  'beforeUpsert',
  'afterUpsert',
] as const satisfies ReadonlyArray<keyof ModelHooks & keyof AuditHooks>

/**
 * Records every create, update, delete and restore made through `sequelize`'s models in
 * `audit_trail.activity_log`, in the same transaction as the change. Define the models first:
 * model names in `options` are checked against `sequelize.models`. Models defined later are
 * audited too.
 *
 * Tables with database capture enabled (`audit_trail.enable_capture`) are recorded by their
 * triggers instead: the plugin hands them the context inside the write's transaction, for model
 * writes and for raw `sequelize.query` writes made inside `runWithAuditContext`. The list of
 * captured tables is read on the first audited write; see `refreshCapturedTables`.
 *
 * @example
 * import { attachAuditHooks } from '@audit-trail/sequelize'
 * const sequelize = new Sequelize(process.env.DATABASE_URL)
 * Item.init(...)
 * attachAuditHooks(sequelize, { models: { Item: { resourceType: 'item', name: 'name' } } })
 *
 * @returns a function that detaches the plugin again (tests, hot reload).
 */
export function attachAuditHooks(sequelize: Sequelize, options: SequelizeAuditOptions = {}): DetachAuditHooks {
  const { preparedStatements = true, ...shared } = options
  const recorder = new AuditRecorder(shared)
  recorder.assertKnownModels(Object.keys(sequelize.models))
  const capture = new CaptureHandoff()
  captures.set(sequelize, capture)
  const hooks = new AuditHooks(sequelize, recorder, preparedStatements, capture)
  const unwrapQuery = handOffRawWrites({ sequelize, capture, logName: recorder.options.logName })

  // Hooks added on the Sequelize instance run for every model, including models defined later,
  // after the model's own hooks of the same type.
  for (const type of HOOKS) {
    sequelize.addHook(type, HOOK_NAME, hooks[type] as never)
  }

  const unwraps = new Map<AnyModelStatic, () => void>()
  const wrap = (model: AnyModelStatic) => {
    if (unwraps.has(model)) return
    unwraps.set(
      model,
      ensureTransaction({
        sequelize,
        model,
        isAudited: (called) => hooks.target(called) !== null,
        beforeOpen: (called, method) => void recorder.context(called.name, method),
        onInstanceCall: hooks.instanceCall,
      }),
    )
  }
  for (const model of Object.values(sequelize.models)) wrap(model)
  sequelize.addHook('afterDefine', HOOK_NAME, (model) => wrap(model as AnyModelStatic))

  return () => {
    for (const type of HOOKS) sequelize.removeHook(type, HOOK_NAME)
    sequelize.removeHook('afterDefine', HOOK_NAME)
    for (const unwrap of unwraps.values()) unwrap()
    unwraps.clear()
    unwrapQuery()
    if (captures.get(sequelize) === capture) captures.delete(sequelize)
  }
}

/**
 * Makes the plugin read the list of captured tables again, on the next audited write (inside
 * that write's transaction, as the first read). Call it after `enable_capture` /
 * `disable_capture` on a running app; a restart does the same. Sends no query itself.
 *
 * @example
 * await pool.query(`SELECT audit_trail.enable_capture('public.items', resource_type => 'item')`)
 * refreshCapturedTables(sequelize)
 */
export function refreshCapturedTables(sequelize: Sequelize): void {
  captures.get(sequelize)?.refresh()
}
