import type { AuditFilter } from '../query/audit-filter.js'
import { parseInstant } from '../validate/validators.js'
import { endOfDay, isDateOnly, isTimeZone, startOfDay } from '../view/time-zone.js'
import { UsageError } from './usage-error.js'

/** The filter flags shared by `tail` and `export`, for parseArgs. */
export const FILTER_FLAGS = {
  actor: { type: 'string', multiple: true },
  system: { type: 'boolean' },
  action: { type: 'string', multiple: true },
  type: { type: 'string', multiple: true },
  id: { type: 'string', multiple: true },
  location: { type: 'string', multiple: true },
  tenant: { type: 'string', multiple: true },
  log: { type: 'string', multiple: true },
  request: { type: 'string', multiple: true },
  from: { type: 'string' },
  to: { type: 'string' },
  field: { type: 'string' },
  search: { type: 'string' },
  'include-archived': { type: 'boolean' },
} as const

/** `--order` and `--tz`, shared by `tail` and `export`. */
export const ORDER_FLAGS = {
  order: { type: 'string' },
  tz: { type: 'string' },
} as const

export const FILTER_HELP = `Filters (combine with AND; repeat a flag to match any of its values):
  --actor ID          entries by this actor id
  --system            only entries without an actor (jobs, webhooks)
  --action NAME       e.g. updated, login_failed, invoice.voided
  --type TYPE         resource type, e.g. item, client
  --id ID             resource id (use with --type)
  --location ID       location id
  --tenant ID         tenant id
  --log NAME          log name, e.g. backoffice
  --request ID        request id
  --from WHEN         at or after: 2024-01-15 (start of that day in --tz, default UTC) or 2024-01-15T14:30:00Z
  --to WHEN           at or before: 2024-01-15 (that whole day in --tz, default UTC) or a timestamp
  --field COLUMN      entries that changed this column, e.g. email
  --search TEXT       resource or actor name contains TEXT (case-insensitive)
  --include-archived  also read entries moved to the archive
  --order ORDER       desc (newest first, default) or asc (oldest first)
  --tz ZONE           time zone of bare dates and of the times shown, e.g. Europe/Paris (default UTC)`

type FilterValues = {
  [K in keyof typeof FILTER_FLAGS]?: (typeof FILTER_FLAGS)[K] extends { type: 'boolean' }
    ? boolean
    : (typeof FILTER_FLAGS)[K] extends { multiple: true }
      ? string[]
      : string
}

/**
 * Parsed filter flags as an AuditFilter. Bare dates are days in `timeZone` (UTC unless --tz):
 * `--to 2024-01-15` means up to the end of that day. Impossible dates and a start after the
 * end are UsageErrors in the flags' own words.
 */
export function filterFromFlags(values: FilterValues, timeZone = 'UTC'): AuditFilter {
  const filter: AuditFilter = {}
  if (values.actor) filter.actorId = values.actor
  if (values.system) filter.system = true
  if (values.action) filter.action = values.action
  if (values.type) filter.resourceType = values.type
  if (values.id) filter.resourceId = values.id
  if (values.location) filter.locationId = values.location
  if (values.tenant) filter.tenantId = values.tenant
  if (values.log) filter.logName = values.log
  if (values.request) filter.requestId = values.request
  if (values.from !== undefined) filter.from = instantFlag('--from', values.from, false, timeZone)
  if (values.to !== undefined) filter.to = instantFlag('--to', values.to, true, timeZone)
  if (filter.from && filter.to && (filter.from as Date).getTime() > (filter.to as Date).getTime()) {
    throw new UsageError(`audit-trail: --from ${values.from} is after --to ${values.to}; the start must come before the end.`)
  }
  if (values['include-archived']) filter.includeArchived = true
  if (values.field !== undefined) filter.field = values.field
  if (values.search !== undefined) filter.search = values.search
  return filter
}

function instantFlag(flag: string, text: string, endOfDayWanted: boolean, timeZone: string): Date {
  let date: Date
  try {
    date = parseInstant(text, flag)
  } catch {
    throw new UsageError(`audit-trail: ${flag} must be a date (2024-01-15) or an ISO timestamp (2024-01-15T14:30:00Z), got ${JSON.stringify(text)}.`)
  }
  if (!isDateOnly(text)) return date
  return endOfDayWanted ? endOfDay(text, timeZone) : startOfDay(text, timeZone)
}

/** `--order`: asc or desc (default desc). */
export function orderFlag(text: string | undefined): 'asc' | 'desc' {
  if (text === undefined || text === 'desc') return 'desc'
  if (text === 'asc') return 'asc'
  throw new UsageError(`audit-trail: --order must be asc (oldest first) or desc (newest first), got ${JSON.stringify(text)}.`)
}

/** `--tz`: an IANA zone, default UTC. */
export function timeZoneFlag(zone: string | undefined): string {
  const resolved = zone ?? 'UTC'
  if (!isTimeZone(resolved)) {
    throw new UsageError(`audit-trail: --tz ${JSON.stringify(resolved)} is not a time zone; use an IANA name such as UTC or Europe/Paris.`)
  }
  return resolved
}
