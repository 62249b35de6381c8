import { createHash } from 'node:crypto'
import pg from 'pg'
import { MigrationError } from '../errors.js'
import type { AuditExecutor } from '../writer/executor.js'
import { readMigrations } from './sql-directory.js'

/** Options of `applyMigrations()`. */
export interface ApplyMigrationsOptions {
  /** Also run `audit_trail.grant_app_role(appRole)`. Default: no grant. */
  appRole?: string
  /** Folder of the migrations. Default: the `sql/` shipped with this package. */
  directory?: string
}

/** What `applyMigrations()` resolves to. */
export interface ApplyMigrationsResult {
  /** The files run by this call, in order: numbered files not applied before, and every repeatable file. */
  applied: string[]
}

/**
 * Applies the `sql/` migrations in order, in one transaction, under an advisory lock so that two
 * processes migrating at once wait for each other: each numbered file once (recorded with its
 * SHA-256 in `audit_trail.schema_migrations`; a recorded file whose content changed is refused
 * with a MigrationError naming it, and nothing is applied), then every file of `functions/`
 * (functions, triggers, views, grants: CREATE OR REPLACE, re-applied each time). Running it again
 * is safe. `target` is a connection string or one dedicated
 * connection (a `pg` Client or PoolClient, not a Pool: the transaction needs one session).
 *
 * @example
 * await applyMigrations(process.env.DATABASE_URL!, { appRole: 'app' })
 */
export async function applyMigrations(
  target: string | AuditExecutor,
  options: ApplyMigrationsOptions = {},
): Promise<ApplyMigrationsResult> {
  if (typeof target === 'string') {
    const client = new pg.Client({ connectionString: target })
    try {
      await client.connect()
    } catch (error) {
      throw new MigrationError(`audit-trail: cannot connect to the database: ${(error as Error).message}`, {
        cause: error,
      })
    }
    try {
      return await applyMigrations(client, options)
    } finally {
      await client.end()
    }
  }
  const files = readMigrations(options.directory)
  const applied: string[] = []
  await target.query('BEGIN')
  try {
    await target.query("SELECT pg_advisory_xact_lock(hashtext('audit_trail.migrate'))")
    const recorded = await recordedChecksums(target)
    for (const file of files) {
      const checksum = createHash('sha256').update(file.sql).digest('hex')
      if (file.kind === 'numbered' && recorded.has(file.name)) {
        if (recorded.get(file.name) !== checksum) throw MigrationError.editedMigration(file.name)
        continue
      }
      try {
        await target.query(file.sql)
      } catch (error) {
        throw new MigrationError(`audit-trail: migration ${file.name} failed: ${(error as Error).message}`, {
          cause: error,
        })
      }
      await target.query(
        `INSERT INTO audit_trail.schema_migrations (name, checksum) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()
         WHERE schema_migrations.checksum IS DISTINCT FROM EXCLUDED.checksum`,
        [file.name, checksum],
      )
      applied.push(file.name)
    }
    if (options.appRole !== undefined) {
      try {
        await target.query('SELECT audit_trail.grant_app_role($1)', [options.appRole])
      } catch (error) {
        throw new MigrationError(`audit-trail: ${(error as Error).message}`, { cause: error })
      }
    }
    await target.query('COMMIT')
  } catch (error) {
    await target.query('ROLLBACK').catch(() => undefined)
    throw error
  }
  return { applied }
}

/** name → checksum of the files recorded in an earlier run; empty on a new database. */
async function recordedChecksums(target: AuditExecutor): Promise<Map<string, string>> {
  const { rows } = await target.query(`SELECT to_regclass('audit_trail.schema_migrations') IS NOT NULL AS exists`)
  if (!rows[0]?.exists) return new Map()
  const recorded = await target.query('SELECT name, checksum FROM audit_trail.schema_migrations')
  return new Map(recorded.rows.map((row) => [String(row.name), String(row.checksum)]))
}
