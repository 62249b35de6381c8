import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const MARKER = '001_activity_log.sql'

/**
 * The folder holding the `sql/` migrations: `sql/` inside the installed package, or the
 * repository's own `sql/` when running from a checkout (preferred there, so an edited migration
 * is used without a rebuild). `AUDIT_TRAIL_SQL_DIR` overrides both.
 */
export function sqlDirectory(): string {
  const override = process.env.AUDIT_TRAIL_SQL_DIR
  if (override) return override
  let dir = dirname(fileURLToPath(import.meta.url))
  let packaged: string | undefined
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(dir, 'sql')
    if (existsSync(join(candidate, MARKER))) {
      if (existsSync(join(dir, 'packages', 'core'))) return candidate
      packaged ??= candidate
    }
    dir = dirname(dir)
  }
  if (packaged) return packaged
  throw new Error(`audit-trail: cannot find the sql/ migrations (looked for ${MARKER} above ${fileURLToPath(import.meta.url)})`)
}

export interface MigrationFile {
  name: string
  sql: string
}

/** The migration files in apply order (file name order: 001_, 002_, ...). */
export function readMigrations(directory = sqlDirectory()): MigrationFile[] {
  return readdirSync(directory)
    .filter((name) => /^\d{3}_[a-z0-9_]+\.sql$/.test(name))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(directory, name), 'utf8') }))
}
