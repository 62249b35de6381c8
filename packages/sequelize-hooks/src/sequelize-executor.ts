import type { AuditExecutor } from '@audit-trail/core'
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize'

/** What a hook knows about the statement it audits: its transaction and logging settings. */
export interface StatementScope {
  readonly transaction?: Transaction | null
  readonly logging?: unknown
}

/**
 * Core's executor on top of `sequelize.query`, bound to the transaction of the change being
 * audited, so the entries commit or roll back with it. Statements go through Sequelize (not the
 * raw connection) so they show in the app's logging and benchmark output like its own.
 */
export function sequelizeExecutor(sequelize: Sequelize, scope: StatementScope): AuditExecutor {
  return {
    async query(sql, params) {
      const rows = await sequelize.query<Record<string, unknown>>(sql, {
        type: QueryTypes.SELECT,
        raw: true,
        transaction: scope.transaction ?? null,
        ...(params ? { bind: [...params] } : {}),
        ...(scope.logging !== undefined ? { logging: scope.logging as false } : {}),
      })
      return { rows }
    },
  }
}
