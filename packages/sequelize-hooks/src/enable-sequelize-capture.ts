import { enableCaptureTargets, planCapture, type AuditPluginOptions } from '@audit-trail/core/plugin'
import type { Sequelize } from 'sequelize'
import { attachmentOf } from './attach-audit-hooks.js'
import { modelTables } from './model-tables.js'
import { sequelizeExecutor } from './sequelize-executor.js'

/**
 * Turns database capture on for every audited model's table, `belongsToMany` through tables
 * included (`resource_type` e.g. `article_tag`), with the model options mapped to column names.
 * A deploy-time step: run it as the role that owns the log, with the same `options` as
 * `attachAuditHooks`, after the tables exist. Idempotent; one transaction.
 *
 * @example
 * const owner = new Sequelize(process.env.OWNER_DATABASE_URL)
 * defineModels(owner)
 * await enableSequelizeCapture(owner, options)
 *
 * @returns the quoted names of the captured tables.
 */
export async function enableSequelizeCapture(sequelize: Sequelize, options: AuditPluginOptions = {}): Promise<string[]> {
  const targets = planCapture(modelTables(sequelize), options)
  const attachment = attachmentOf(sequelize)
  const query = attachment?.query ?? sequelize.query
  const names = await sequelize.transaction((transaction) => enableCaptureTargets(sequelizeExecutor(sequelize, query, transaction), targets))
  // Run on an instance the plugin is attached to: its next write checks again.
  attachment?.check.invalidate()
  return names
}
