import { readFile } from 'node:fs/promises'
import { AuditTrailError } from '../../errors.js'
import type { ViewOptions } from '../../view/field-lines.js'
import { createAuditLog } from '../../log/audit-log.js'
import { MAX_LIMIT } from '../../query/list-entries.js'
import type { CliCommand } from '../cli-io.js'
import { DATABASE_FLAG, cliPool, databaseError, databaseUrl } from '../database-connection.js'
import { FILTER_FLAGS, FILTER_HELP, ORDER_FLAGS, filterFromFlags, orderFlag, timeZoneFlag } from '../filter-flags.js'
import { formatTail } from '../format-tail.js'
import { parseFlags } from '../parse-flags.js'
import { UsageError } from '../usage-error.js'

export const DEFAULT_TAIL_LIMIT = 20

export const tailCommand: CliCommand = {
  name: 'tail',
  summary: 'the activity log view, day by day',
  help: `Usage: audit-trail tail [filters] [--limit N] [--order asc|desc] [--tz ZONE] [--view FILE] [--database-url URL]

Prints the newest entries matching the filters, grouped by day: time, actor (or System),
action and resource, then each changed field as old → new. The last line says which time
zone the times are in.

${FILTER_HELP}

  --limit N           entries to show, 1 to ${MAX_LIMIT} (default ${DEFAULT_TAIL_LIMIT})
  --view FILE         JSON display options, as the activity log page takes them:
                      { "formats": { "item": { "price": { "decimals": 2 } } },
                        "summaryFields": { "item": ["name", "price"] }, "locale": "en-US" }
  --database-url URL  PostgreSQL URL (default: DATABASE_URL)
  --help              show this help`,
  async run(args, io) {
    const { values } = parseFlags('tail', args, {
      ...FILTER_FLAGS,
      ...DATABASE_FLAG,
      ...ORDER_FLAGS,
      limit: { type: 'string' },
      view: { type: 'string' },
    })
    const limit = parseLimitFlag(values.limit)
    const timeZone = timeZoneFlag(values.tz)
    const order = orderFlag(values.order)
    const filter = filterFromFlags(values, timeZone)
    const view = values.view === undefined ? undefined : await readViewFile(values.view)
    const url = databaseUrl(values['database-url'], io.env)
    const pool = cliPool(url)
    try {
      const log = createAuditLog({ pool })
      const { entries } = await log.list({ ...filter, order, limit })
      const total = await log.count(filter)
      io.stdout.write(formatTail({ entries, total, timeZone, view }))
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

const VIEW_KEYS = new Set(['formats', 'summaryFields', 'locale'])

/** The `--view` file: the page's display options (formats, summary fields, locale) as JSON. */
async function readViewFile(file: string): Promise<ViewOptions> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw new UsageError(`audit-trail: --view ${file} is not a readable JSON file: ${(error as Error).message}`)
  }
  const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value)
  if (!isObject(parsed)) throw new UsageError(`audit-trail: --view ${file} must hold a JSON object ({ "formats": ..., "summaryFields": ..., "locale": ... }).`)
  const unknown = Object.keys(parsed).filter((key) => !VIEW_KEYS.has(key))
  if (unknown.length > 0) throw new UsageError(`audit-trail: --view ${file} has unknown key(s) ${unknown.join(', ')}; use formats, summaryFields, locale.`)
  if (parsed.formats !== undefined && !isObject(parsed.formats)) throw new UsageError(`audit-trail: --view ${file}: "formats" must be an object by resource type.`)
  if (parsed.summaryFields !== undefined && !isObject(parsed.summaryFields)) throw new UsageError(`audit-trail: --view ${file}: "summaryFields" must be an object by resource type.`)
  if (parsed.locale !== undefined && typeof parsed.locale !== 'string') throw new UsageError(`audit-trail: --view ${file}: "locale" must be a string.`)
  return parsed as ViewOptions
}
