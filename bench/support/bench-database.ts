/**
 * Databases for the benchmarks: each configuration gets its own, freshly created on the server
 * of DATABASE_URL (default: the local server), so no run sees another's rows or indexes.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'

export const serverUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'

export interface BenchDatabase {
  /** Database name. */
  name: string
  /** Connection string of the database. */
  url: string
  /** Drops the database (WITH FORCE: closes leftover connections). */
  drop(): Promise<void>
}

/** Runs `fn` on a client connected to the server's maintenance database. */
export async function withServer<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** The connection string of database `name` on the bench server. */
export function databaseUrl(name: string): string {
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/**
 * Creates `audit_trail_bench_<label>_<random>`, or the exact `name` when given; with `reuse`, an
 * existing database of that name is kept (large generated data sets take minutes to build).
 */
export async function createBenchDatabase(label: string, options: { name?: string; reuse?: boolean } = {}): Promise<BenchDatabase> {
  const name = options.name ?? `audit_trail_bench_${label}_${randomBytes(3).toString('hex')}`
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bench database name ${name} must be lowercase letters, digits and _`)
  await withServer(async (client) => {
    const exists = (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1
    if (exists && !options.reuse) await client.query(`DROP DATABASE ${name} WITH (FORCE)`)
    if (!exists || !options.reuse) await client.query(`CREATE DATABASE ${name}`)
  })
  return {
    name,
    url: databaseUrl(name),
    drop: () => withServer(async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  }
}
