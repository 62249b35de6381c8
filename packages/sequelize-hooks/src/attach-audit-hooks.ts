import { AuditRecorder, type AuditPluginOptions } from '@audit-trail/core'
import type { ModelHooks } from 'sequelize/types/hooks'
import type { Sequelize } from 'sequelize'
import { AuditHooks } from './audit-hooks.js'
import { ensureTransaction } from './ensure-transaction.js'
import type { AnyModelStatic } from './sequelize-internals.js'

/** Options of `attachAuditHooks`: the options every audit-trail plugin takes, plus one for Sequelize. */
export interface SequelizeAuditOptions extends AuditPluginOptions {
  /** Send the entry INSERT as a named prepared statement on the transaction's connection (set false behind PgBouncer < 1.21 in transaction mode). Default: true. */
  preparedStatements?: boolean
}

/** Removes the hooks and method wrappers `attachAuditHooks` installed. */
export type DetachAuditHooks = () => void

const HOOK_NAME = 'audit-trail'

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
  const hooks = new AuditHooks(sequelize, recorder, preparedStatements)

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
  }
}
