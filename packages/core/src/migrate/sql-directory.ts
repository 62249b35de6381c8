import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MigrationError } from '../errors.js'

const CORE_PACKAGE = '@audit-trail/core'

/**
 * The folder holding the shipped migrations: `sql/` of this @audit-trail/core package (next to
 * its package.json), or, in the audit-trail repository itself, the repository's `sql/` (so an
 * edited migration is used without a rebuild). Only those two places: never a `sql/` folder of
 * the app around it. `AUDIT_TRAIL_SQL_DIR` overrides both.
 */
export function sqlDirectory(): string {
  const override = process.env.AUDIT_TRAIL_SQL_DIR
  if (override) return override
  const here = dirname(fileURLToPath(import.meta.url))
  // From dist/ or src/migrate/ up to this package's root.
  let root = here
  while (!isPackage(root, CORE_PACKAGE)) {
    const parent = dirname(root)
    if (parent === root) throw MigrationError.sqlNotFound(here)
    root = parent
  }
  const repository = join(root, '..', '..')
  if (isPackage(repository, 'audit-trail') && existsSync(join(repository, 'sql', '001_activity_log.sql'))) return join(repository, 'sql')
  if (existsSync(join(root, 'sql', '001_activity_log.sql'))) return join(root, 'sql')
  throw MigrationError.sqlNotFound(root)
}

function isPackage(dir: string, name: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === name
  } catch {
    return false
  }
}

/** One migration file. */
export interface MigrationFile {
  /** `001_activity_log.sql` or `functions/02_capture.sql`. */
  name: string
  /**
   * `numbered`: tables and data, applied once and never edited after release (the runner refuses
   * a changed file). `repeatable`: functions, triggers, views and grants, re-applied by every run.
   */
  kind: 'numbered' | 'repeatable'
  /** The file's SQL text. */
  sql: string
}

/** The migration files in apply order: the numbered files (001_, 002_, ...), then functions/ (01_, 02_, ...). */
export function readMigrations(directory = sqlDirectory()): MigrationFile[] {
  const list = (folder: string, pattern: RegExp) =>
    existsSync(join(directory, folder)) ? readdirSync(join(directory, folder)).filter((name) => pattern.test(name)).sort() : []
  return [
    ...list('', /^\d{3}_[a-z0-9_]+\.sql$/).map((name) => ({ name, kind: 'numbered' as const, sql: readFileSync(join(directory, name), 'utf8') })),
    ...list('functions', /^\d{2}_[a-z0-9_]+\.sql$/).map((name) => ({
      name: `functions/${name}`,
      kind: 'repeatable' as const,
      sql: readFileSync(join(directory, 'functions', name), 'utf8'),
    })),
  ]
}
