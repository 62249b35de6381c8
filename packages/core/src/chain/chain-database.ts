import type { AuditExecutor } from '../writer/executor.js'

/** A pool (`pg.Pool` or alike): chain and archive work then runs on one connection of its own. */
export interface PoolLike {
  connect(): Promise<AuditExecutor & { release(error?: Error | boolean): void }>
  /** Tells a pool from a client (a `pg.Client` has `connect` too). */
  readonly idleCount: number
}

/**
 * Where the chain and archive functions run: a pool (preferred: they take one connection and
 * manage their own READ COMMITTED transactions) or an executor (a `pg.Client`, or an ORM's
 * connection), whose session and transaction are used as they are.
 */
export type ChainDatabase = PoolLike | AuditExecutor

function isPool(db: ChainDatabase): db is PoolLike {
  return typeof (db as Partial<PoolLike>).connect === 'function' && typeof (db as Partial<PoolLike>).idleCount === 'number'
}

/**
 * Runs `fn` with one executor. `transaction(sql, params)` runs one statement in its own READ
 * COMMITTED transaction when `db` is a pool; on an executor it runs the statement as it is,
 * in whatever transaction the caller holds.
 */
export async function withChainSession<T>(
  db: ChainDatabase,
  fn: (session: ChainSession) => Promise<T>,
): Promise<T> {
  if (!isPool(db)) {
    return fn({ query: (sql, params) => db.query(sql, params), transaction: (sql, params) => db.query(sql, params) })
  }
  const client = await db.connect()
  let broken: Error | undefined
  try {
    return await fn({
      query: (sql, params) => client.query(sql, params),
      async transaction(sql, params) {
        // Explicit: the sealer needs a fresh snapshot per statement, whatever the pool's default.
        await client.query('BEGIN ISOLATION LEVEL READ COMMITTED')
        try {
          const result = await client.query(sql, params)
          await client.query('COMMIT')
          return result
        } catch (error) {
          await client.query('ROLLBACK').catch((rollbackError: Error) => {
            broken = rollbackError
          })
          throw error
        }
      },
    })
  } finally {
    client.release(broken ?? false)
  }
}

export interface ChainSession extends AuditExecutor {
  transaction: AuditExecutor['query']
}
