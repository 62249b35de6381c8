import type { AuditExecutor } from '@audit-trail/core'

/**
 * The slice of a Kysely instance or transaction (what MikroORM 7's SQL drivers hand out as a
 * transaction context, and what `connection.getClient()` returns) that the executor needs.
 */
export interface KyselyLike {
  getExecutor(): {
    provideConnection<T>(consumer: (connection: KyselyConnection) => Promise<T>): Promise<T>
  }
}

interface KyselyConnection {
  executeQuery(query: {
    readonly sql: string
    readonly parameters: readonly unknown[]
    readonly query: { readonly kind: 'RawNode'; readonly sqlFragments: readonly string[]; readonly parameters: readonly [] }
    readonly queryId: { readonly queryId: string }
  }): Promise<{ rows: Array<Record<string, unknown>> }>
}

/**
 * An AuditExecutor on `context`: the flush's own transaction (or savepoint), or the pool when
 * there is none. It sends the statement with bound parameters on the transaction's connection,
 * below MikroORM's `connection.execute()`, which would inline every parameter into the SQL text.
 */
export function transactionExecutor(context: KyselyLike): AuditExecutor {
  return {
    query(sql, params = []) {
      return context.getExecutor().provideConnection((connection) =>
        connection.executeQuery({
          sql,
          parameters: params,
          query: { kind: 'RawNode', sqlFragments: [sql], parameters: [] },
          queryId: { queryId: 'audit-trail' },
        }),
      )
    },
  }
}

/** Whether `value` can run statements for the executor (a Kysely instance or transaction). */
export function isKyselyLike(value: unknown): value is KyselyLike {
  return typeof (value as Partial<KyselyLike> | null)?.getExecutor === 'function'
}
