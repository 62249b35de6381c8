/**
 * The one thing core needs from a database connection: run a statement with bound parameters,
 * inside whatever transaction the caller holds. A `pg` Client or PoolClient is one as it is;
 * each ORM plugin builds one on top of its own transaction.
 */
export interface AuditExecutor {
  /** Runs `sql` with `params` bound as `$1`, `$2`, ... and resolves to its rows. */
  query(sql: string, params?: readonly unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>
}
