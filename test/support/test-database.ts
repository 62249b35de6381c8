import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { applyMigrations } from '@audit-trail/core'
import { startEmbeddedPostgres } from '../../scripts/embedded-postgres.js'

export interface TestDatabase {
  /** Connection string of the fresh database. */
  url: string
  /** A pool on it (max 10), ended by `drop()`. */
  pool: pg.Pool
  /** Whether this is the embedded PGlite engine rather than a real server. */
  embedded: boolean
  /** Runs SQL on the fresh database and returns the rows. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>
  /** Runs SQL and returns its single row; throws when there is none. */
  one<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R>
  drop(): Promise<void>
}

/** Whether tests run on a real server (DATABASE_URL) or on embedded PGlite. */
export const usingEmbeddedPostgres = !process.env.DATABASE_URL

/**
 * A new, uniquely named database for one test file, with `sql/` applied (unless
 * `migrate: false`), dropped by `drop()`. On a real server it is CREATE DATABASE on the server
 * of DATABASE_URL; without DATABASE_URL it is a fresh embedded PGlite instance.
 */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  let url: string
  let dispose: () => Promise<void>
  if (process.env.DATABASE_URL) {
    const adminUrl = process.env.DATABASE_URL
    const name = `audit_trail_test_${process.pid}_${randomBytes(4).toString('hex')}`
    const admin = new pg.Client({ connectionString: adminUrl })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${name}`)
    await admin.end()
    const parsed = new URL(adminUrl)
    parsed.pathname = `/${name}`
    url = parsed.toString()
    dispose = async () => {
      const dropper = new pg.Client({ connectionString: adminUrl })
      await dropper.connect()
      // pg's pool.end() resolves before its sockets have closed: a FORCE drop that kills those
      // backends makes their clients emit a late 57P01 error outside any test. Wait (up to 5 s)
      // for the connections the file already ended to go away; only leaked ones are forced.
      for (let attempt = 0; attempt < 50; attempt += 1) {
        const { rows } = await dropper.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        )
        if (rows[0]?.n === 0) break
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await dropper.end()
    }
  } else {
    const embedded = await startEmbeddedPostgres()
    url = embedded.url
    dispose = () => embedded.stop()
  }
  if (options.migrate !== false) await applyMigrations(url)
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  return {
    url,
    pool,
    embedded: !process.env.DATABASE_URL,
    async query(sql, params) {
      const result = await pool.query(sql, params)
      return result.rows
    },
    async one(sql, params) {
      const result = await pool.query(sql, params)
      if (result.rows.length !== 1) throw new Error(`expected one row, got ${result.rows.length}: ${sql}`)
      return result.rows[0]
    },
    async drop() {
      await pool.end()
      await dispose()
    },
  }
}

/**
 * A connection acting as `role` (a LOGIN role of the test database's server). On a server it
 * logs in as that role; PGlite has one built-in user behind its socket, so there it switches
 * with SET ROLE (the privilege checks are the same, but every connection shares the session).
 */
export async function connectAsRole(db: TestDatabase, role: string): Promise<pg.Client> {
  if (db.embedded) {
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    await client.query(`SET ROLE ${role}`)
    return client
  }
  const url = new URL(db.url)
  url.username = role
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  return client
}

/**
 * Creates the LOGIN role `role` and makes it an application role (`audit_trail.grant_app_role`).
 * `createInPublic`: it may also create tables in `public`, as an app running its own migrations.
 */
export async function createAppRole(db: TestDatabase, role: string, options: { createInPublic?: boolean } = {}): Promise<void> {
  await db.query(`CREATE ROLE ${role} LOGIN`)
  if (options.createInPublic) await db.query(`GRANT CREATE ON SCHEMA public TO ${role}`)
  await db.query(`SELECT audit_trail.grant_app_role($1)`, [role])
}

/** Drops `role` and everything it owns (roles are server-wide: they outlive the test database). Never throws. */
export async function dropRole(db: TestDatabase | undefined, role: string): Promise<void> {
  await db?.query(`DROP OWNED BY ${role}`).catch(() => undefined)
  await db?.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined)
}
