import { AuditTrailError } from '../../errors.js'
import { createAuditLog } from '../../query/audit-log.js'
import { MAX_LIMIT } from '../../query/list-entries.js'
import type { CliCommand } from '../cli-io.js'
import { DATABASE_FLAG, cliPool, databaseError, databaseUrl } from '../database-connection.js'
import { FILTER_FLAGS, FILTER_HELP, filterFromFlags } from '../filter-flags.js'
import { formatTail } from '../format-tail.js'
import { parseFlags } from '../parse-flags.js'
import { UsageError } from '../usage-error.js'

export const DEFAULT_TAIL_LIMIT = 20

export const tailCommand: CliCommand = {
  name: 'tail',
  summary: 'the activity log view, day by day',
  help: `Usage: audit-trail tail [filters] [--limit N] [--tz ZONE] [--database-url URL]

Prints the newest entries matching the filters, grouped by day: time, actor (or System),
action and resource, then each changed field as old → new.

${FILTER_HELP}

  --limit N           entries to show, 1 to ${MAX_LIMIT} (default ${DEFAULT_TAIL_LIMIT})
  --tz ZONE           time zone of days and times, e.g. Europe/Paris (default: this machine's, TZ)
  --database-url URL  PostgreSQL URL (default: DATABASE_URL)
  --help              show this help`,
  async run(args, io) {
    const { values } = parseFlags('tail', args, {
      ...FILTER_FLAGS,
      ...DATABASE_FLAG,
      limit: { type: 'string' },
      tz: { type: 'string' },
    })
    const limit = parseLimitFlag(values.limit)
    const timeZone = parseTimeZone(values.tz)
    const filter = filterFromFlags(values)
    const url = databaseUrl(values['database-url'], io.env)
    const pool = cliPool(url)
    try {
      const log = createAuditLog({ pool })
      const { entries } = await log.list({ ...filter, limit })
      const total = await log.count(filter)
      io.stdout.write(formatTail({ entries, total, timeZone }))
    } catch (error) {
      throw error instanceof AuditTrailError ? error : databaseError(error, url)
    } finally {
      await pool.end()
    }
    return 0
  },
}

function parseLimitFlag(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TAIL_LIMIT
  const limit = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!(limit >= 1 && limit <= MAX_LIMIT)) {
    throw new UsageError(`audit-trail: --limit must be a whole number from 1 to ${MAX_LIMIT}, got ${JSON.stringify(text)}.`)
  }
  return limit
}

function parseTimeZone(zone: string | undefined): string {
  const resolved = zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: resolved })
  } catch {
    throw new UsageError(`audit-trail: --tz ${JSON.stringify(resolved)} is not a time zone; use an IANA name such as UTC or Europe/Paris.`)
  }
  return resolved
}
