import type { AuditExecutor } from '@audit-trail/core/plugin'
import type { MikroOrmConnectionLike } from './mikro-orm-like.js'

/**
 * Core's executor on MikroORM's own connection (`em.getConnection().execute`), inside `transaction`
 * when given one. MikroORM takes `?` placeholders and inlines the values itself (quoted by its
 * platform); core's SQL uses `$n`, so placeholders are renumbered and arrays, which MikroORM
 * would spread into a comma list, are passed as PostgreSQL array literals.
 */
export function connectionExecutor(connection: MikroOrmConnectionLike, transaction?: unknown): AuditExecutor {
  return {
    async query(sql, params = []) {
      const values: unknown[] = []
      const text = sql.replace(/\$(\d+)/g, (_, n: string) => {
        const value = params[Number(n) - 1]
        values.push(Array.isArray(value) ? arrayLiteral(value) : value)
        return '?'
      })
      const rows = await connection.execute(text, values, 'all', transaction)
      return { rows: Array.isArray(rows) ? (rows as Array<Record<string, unknown>>) : [] }
    },
  }
}

function arrayLiteral(values: readonly unknown[]): string {
  return `{${values.map((value) => (value === null ? 'NULL' : `"${String(value).replace(/(["\\])/g, '\\$1')}"`)).join(',')}}`
}
