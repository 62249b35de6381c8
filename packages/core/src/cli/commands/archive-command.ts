import { archiveEntries } from '../../archive/archive-entries.js'
import { AuditTrailError } from '../../errors.js'
import type { CliCommand } from '../cli-io.js'
import { DATABASE_FLAG, cliPool, databaseError, databaseUrl } from '../database-connection.js'
import { parseFlags } from '../parse-flags.js'
import { UsageError } from '../usage-error.js'

export const archiveCommand: CliCommand = {
  name: 'archive',
  summary: 'move older entries to the archive table',
  help: `Usage: audit-trail archive --older-than DAYS [--database-url URL]

Moves the entries older than DAYS days (0: everything before now) from audit_trail.activity_log
to audit_trail.activity_log_archive in one transaction, and records an "archived" entry with
the count and range. The hash chain stays verifiable across both tables. Only the role that
owns the log can archive.

  --older-than DAYS   integer >= 0 (required)
  --database-url URL  PostgreSQL URL (default: DATABASE_URL)
  --help              show this help`,
  async run(args, io) {
    const { values } = parseFlags('archive', args, { ...DATABASE_FLAG, 'older-than': { type: 'string' } })
    const raw = values['older-than']
    if (raw === undefined) throw new UsageError('audit-trail: archive needs --older-than DAYS (an integer >= 0).')
    if (!/^\d+$/.test(raw)) throw new UsageError(`audit-trail: --older-than must be an integer >= 0, got ${JSON.stringify(raw)}.`)
    const url = databaseUrl(values['database-url'], io.env)
    const pool = cliPool(url)
    try {
      const { archived } = await archiveEntries(pool, { olderThanDays: Number(raw) }).catch((error: unknown) => {
        throw error instanceof AuditTrailError ? error : databaseError(error, url)
      })
      io.stdout.write(`Archived ${archived.toLocaleString('en-US')} ${archived === 1 ? 'entry' : 'entries'} older than ${raw} days.\n`)
      return 0
    } finally {
      await pool.end()
    }
  },
}
