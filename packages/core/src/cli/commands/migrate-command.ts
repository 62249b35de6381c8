import { MigrationError } from '../../errors.js'
import { applyMigrations } from '../../migrate/apply-migrations.js'
import type { CliCommand } from '../cli-io.js'
import { DATABASE_FLAG, databaseError, databaseUrl, describeDatabase } from '../database-connection.js'
import { parseFlags } from '../parse-flags.js'

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'apply sql/ (idempotent), grant the app role SELECT + record_event',
  help: `Usage: audit-trail migrate [--app-role NAME] [--database-url URL]

Applies the shipped sql/ migrations in order, in one transaction, under an advisory lock.
Applying them again changes nothing. Run it as the role that will own the log.

  --app-role NAME       also run audit_trail.grant_app_role(NAME): SELECT and record_event only
  --database-url URL    PostgreSQL URL (default: DATABASE_URL)
  --help                show this help`,
  async run(args, io) {
    const { values } = parseFlags('migrate', args, { ...DATABASE_FLAG, 'app-role': { type: 'string' } })
    const url = databaseUrl(values['database-url'], io.env)
    const appRole = values['app-role']
    let applied: string[]
    try {
      ;({ applied } = await applyMigrations(url, appRole === undefined ? {} : { appRole }))
    } catch (error) {
      // applyMigrations reports a failed connect with the bare driver message; say where.
      if (error instanceof MigrationError && /cannot connect/.test(error.message)) throw databaseError(error.cause, url)
      throw error
    }
    io.stdout.write(`Applied ${applied.length} migrations to ${describeDatabase(url)}: ${applied.join(', ')}\n`)
    if (appRole !== undefined) io.stdout.write(`Granted SELECT on audit_trail.activity_log and EXECUTE on audit_trail.record_event to ${appRole}\n`)
    return 0
  },
}
