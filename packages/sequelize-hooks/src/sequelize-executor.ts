import type { AuditExecutor } from '@audit-trail/core/plugin'
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize'

/** `sequelize.query` as the plugin calls it: one statement, bound parameters, a transaction or none. */
export type QueryFunction = Sequelize['query']

/**
 * Core's executor over `query` (the instance's `sequelize.query`, or the original one the plugin
 * wrapped), in `transaction` when given (`undefined` lets `Sequelize.useCLS` pick the current one).
 */
export function sequelizeExecutor(sequelize: Sequelize, query: QueryFunction, transaction?: Transaction | null): AuditExecutor {
  return {
    async query(sql, params) {
      const rows = (await query.call(sequelize, sql, {
        type: QueryTypes.SELECT,
        raw: true,
        transaction,
        ...(params ? { bind: [...params] } : {}),
      })) as Array<Record<string, unknown>>
      return { rows }
    },
  }
}
