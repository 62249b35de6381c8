import type { AuditFilter } from '../query/audit-filter.js'
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
  --from WHEN         at or after: 2024-01-15 (start of that UTC day) or 2024-01-15T14:30:00Z
  --to WHEN           at or before: 2024-01-15 (whole UTC day) or a timestamp
  --field COLUMN      entries that changed this column, e.g. email
  --search TEXT       resource or actor name contains TEXT (case-insensitive)`

type FilterValues = {
  [K in keyof typeof FILTER_FLAGS]?: (typeof FILTER_FLAGS)[K] extends { type: 'boolean' }
    ? boolean
    : (typeof FILTER_FLAGS)[K] extends { multiple: true }
      ? string[]
      : string
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/
const DAY_MS = 24 * 60 * 60 * 1000

/** Parsed filter flags as an AuditFilter. `--to 2024-01-15` means up to the end of that UTC day. */
export function filterFromFlags(values: FilterValues): AuditFilter {
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
  if (values.from !== undefined) filter.from = instantFlag('--from', values.from, false)
  if (values.to !== undefined) filter.to = instantFlag('--to', values.to, true)
  if (values.field !== undefined) filter.field = values.field
  if (values.search !== undefined) filter.search = values.search
  return filter
}

function instantFlag(flag: string, text: string, endOfDay: boolean): Date {
  const date = new Date(DATE_ONLY.test(text) ? `${text}T00:00:00Z` : text)
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(text)) {
    throw new UsageError(`audit-trail: ${flag} must be a date (2024-01-15) or an ISO timestamp (2024-01-15T14:30:00Z), got ${JSON.stringify(text)}.`)
  }
  return DATE_ONLY.test(text) && endOfDay ? new Date(date.getTime() + DAY_MS - 1) : date
}
