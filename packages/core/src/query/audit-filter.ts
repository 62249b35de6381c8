import { InvalidArgumentError } from '../errors.js'
import { ACTIVITY_LOG_INSERT_COLUMNS } from '../writer/activity-log-row.js'

/** One value, or several (matches any of them). */
export type OneOrMany<T> = T | readonly T[]

/**
 * Which entries to read. Every key is optional and keys combine with AND; a key left
 * `undefined` is ignored. Values only ever reach SQL as bound parameters.
 */
export interface AuditFilter {
  /** `actor_id` equals (any of) this. */
  actorId?: OneOrMany<string>
  /** `true`: only entries without an actor (`actor_type = 'system'`); `false`: only the others. */
  system?: boolean
  /** `actor_type` equals (any of) this: `'user'`, `'system'` or `'database'` (writes made outside the app). */
  actorType?: OneOrMany<string>
  /** `impersonator_id` equals (any of) this: what a staff member did while acting as someone else. */
  impersonatorId?: OneOrMany<string>
  /** `action` equals (any of) this, e.g. `'updated'` or `['login', 'login_failed']`. */
  action?: OneOrMany<string>
  /** `resource_type` equals (any of) this. */
  resourceType?: OneOrMany<string>
  /** `resource_id` equals (any of) this (composite keys: the JSON array text, `'["7","en"]'`). */
  resourceId?: OneOrMany<string>
  locationId?: OneOrMany<string>
  tenantId?: OneOrMany<string>
  logName?: OneOrMany<string>
  requestId?: OneOrMany<string>
  /**
   * Entries created at or after this instant: a Date or an ISO 8601 string. A bare date
   * (`2024-01-15`) is the start of that UTC day; a timestamp without an offset is read in the
   * process's local time zone, as `new Date()` does. Impossible dates (`2024-02-30`) and years
   * outside 1 to 9999 throw InvalidArgumentError.
   */
  from?: Date | string
  /** Entries created at or before this instant (inclusive to the millisecond); as `from`. */
  to?: Date | string
  /** Entries whose `changes` include this database column (uses the GIN index on `changed_fields`). */
  field?: string
  /** Case-insensitive substring of the resource name or the actor name. `''` matches everything. */
  search?: string
  /** Also read `audit_trail.activity_log_archive` (entries moved by `archive()`). Default: false. */
  includeArchived?: boolean
}

/** `list()` arguments: a filter plus paging. */
export interface ListOptions extends AuditFilter {
  /** Entries per page, 1 to 1000. Default 100. */
  limit?: number
  /** `nextCursor` of the previous page. Default: start at the newest (or, ascending, the oldest) entry. */
  cursor?: string | null
  /** `'desc'`: newest first (default); `'asc'`: oldest first. */
  order?: 'asc' | 'desc'
}

export const FILTER_KEYS = [
  'actorId',
  'system',
  'actorType',
  'impersonatorId',
  'action',
  'resourceType',
  'resourceId',
  'locationId',
  'tenantId',
  'logName',
  'requestId',
  'from',
  'to',
  'field',
  'search',
  'includeArchived',
] as const satisfies ReadonlyArray<keyof AuditFilter>

const EQUALITY_COLUMNS = {
  actorId: 'actor_id',
  actorType: 'actor_type',
  impersonatorId: 'impersonator_id',
  action: 'action',
  resourceType: 'resource_type',
  resourceId: 'resource_id',
  locationId: 'location_id',
  tenantId: 'tenant_id',
  logName: 'log_name',
  requestId: 'request_id',
} as const satisfies Partial<Record<keyof AuditFilter, string>>

/** A WHERE clause (without the keyword; `TRUE` when empty) and its bound parameters. */
export interface SqlCondition {
  where: string
  params: unknown[]
  /** The relation to read, named `activity_log`: the log, or the log and its archive. */
  from: string
}

const ENTRY_COLUMNS = ['id', 'created_at', ...ACTIVITY_LOG_INSERT_COLUMNS.map(([name]) => name), 'transaction_id'].join(', ')

/** The log alone, or (includeArchived) the log and the archive as one relation with the same name. */
export function entrySource(includeArchived: boolean): string {
  return includeArchived
    ? `(SELECT ${ENTRY_COLUMNS} FROM audit_trail.activity_log UNION ALL ` +
        `SELECT ${ENTRY_COLUMNS} FROM audit_trail.activity_log_archive) AS activity_log`
    : 'audit_trail.activity_log'
}

/**
 * Checks `input` against the keys in `allowed` and builds its WHERE clause. Throws
 * InvalidArgumentError naming the offending key for unknown keys, wrong types, invalid dates and
 * `from` after `to`.
 */
export function buildFilterCondition(
  input: unknown,
  options: {
    readonly allowed?: readonly string[]
    readonly params?: unknown[]
    /** Bound `id` to the date range's id window (for queries that read in id order). Default false. */
    readonly idWindow?: boolean
  } = {},
): SqlCondition {
  const filter = checkObject(input, 'filter')
  const allowed = options.allowed ?? FILTER_KEYS
  for (const key of Object.keys(filter)) {
    if (!allowed.includes(key)) {
      throw new InvalidArgumentError(
        `audit-trail: unknown filter key "${key}"; use one of ${allowed.join(', ')}.`,
      )
    }
  }
  const params = options.params ?? []
  const clauses: string[] = []
  const bind = (value: unknown): string => {
    params.push(value)
    return `$${params.length}`
  }

  for (const [key, column] of Object.entries(EQUALITY_COLUMNS) as Array<[keyof typeof EQUALITY_COLUMNS, string]>) {
    const value = filter[key]
    if (value === undefined) continue
    if (Array.isArray(value)) {
      if (value.length === 0) {
        throw new InvalidArgumentError(`audit-trail: filter.${key} is an empty array; leave the key out to match every entry.`)
      }
      value.forEach((item, index) => checkString(item, `filter.${key}[${index}]`))
      clauses.push(value.length === 1 ? `${column} = ${bind(value[0])}` : `${column} = ANY(${bind(value)}::text[])`)
    } else {
      clauses.push(`${column} = ${bind(checkString(value, `filter.${key}`, 'a string or an array of strings'))}`)
    }
  }

  if (filter.system !== undefined) {
    if (typeof filter.system !== 'boolean') {
      throw new InvalidArgumentError(`audit-trail: filter.system must be true or false, got ${describe(filter.system)}.`)
    }
    clauses.push(filter.system ? `actor_type = 'system'` : `actor_type <> 'system'`)
  }

  const from = filter.from === undefined ? undefined : parseInstant(filter.from, 'filter.from')
  const to = filter.to === undefined ? undefined : parseInstant(filter.to, 'filter.to')
  if (from && to && from.getTime() > to.getTime()) {
    throw new InvalidArgumentError(
      `audit-trail: filter.from (${from.toISOString()}) is after filter.to (${to.toISOString()}); swap them.`,
    )
  }
  const range: string[] = []
  if (from) range.push(`created_at >= ${bind(from.toISOString())}::timestamptz`)
  // created_at has microseconds, a JS Date only milliseconds (pg truncates when parsing): "up to
  // and including to" must include the whole millisecond, or `to: entry.createdAt` misses the entry.
  if (to) range.push(`created_at < ${bind(new Date(to.getTime() + 1).toISOString())}::timestamptz`)
  clauses.push(...range)

  if (filter.field !== undefined) {
    clauses.push(`changed_fields @> ARRAY[${bind(checkString(filter.field, 'filter.field'))}]::text[]`)
  }

  if (filter.search !== undefined) {
    const search = checkString(filter.search, 'filter.search')
    if (search !== '') {
      const pattern = bind(`%${escapeLike(search)}%`)
      clauses.push(`(resource_name ILIKE ${pattern} OR actor_name ILIKE ${pattern})`)
    }
  }

  if (filter.includeArchived !== undefined && typeof filter.includeArchived !== 'boolean') {
    throw new InvalidArgumentError(`audit-trail: filter.includeArchived must be true or false, got ${describe(filter.includeArchived)}.`)
  }

  const source = entrySource(filter.includeArchived === true)
  if (options.idWindow && range.length > 0) {
    // Pages are read in id order. With only a date range, the planner walks the primary key from
    // the newest entry and filters on created_at: fine for recent ranges, a scan of everything
    // newer for an old one (744 ms for one day at 10M entries). So the range's exact id window
    // comes first: min/max(id) of its rows through the BRIN index on created_at (`id + 0` keeps
    // the planner from turning min/max into that same primary-key walk), then the page is an
    // index range scan inside the window. Exact, not an estimate: created_at need not follow id
    // strictly (concurrent transactions), and the created_at clauses stay in the WHERE.
    const rows = `FROM ${source} WHERE ${range.join(' AND ')}`
    clauses.push(`activity_log.id BETWEEN (SELECT min(id + 0) ${rows}) AND (SELECT max(id + 0) ${rows})`)
  }
  return { where: clauses.length === 0 ? 'TRUE' : clauses.join(' AND '), params, from: source }
}

/** `%`, `_` and the escape character itself match literally (backslash is LIKE's default escape). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`)
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/i

/**
 * A Date or an ISO 8601 string as a valid Date; throws naming `name` otherwise. Strings must name
 * a real calendar day and time (`2024-02-30` and `25:00` are refused, not rolled over), and the
 * year must be 1 to 9999 (what both JavaScript and PostgreSQL read the same way).
 */
export function parseInstant(value: unknown, name: string): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InvalidArgumentError(`audit-trail: ${name} is an invalid Date.`)
    return checkYear(value, name)
  }
  if (typeof value === 'string' && ISO_8601.test(value.trim())) {
    const text = value.trim()
    const parts = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/i.exec(text)!
    const [year, month, day, hour, minute, second] = parts.slice(1).map((part) => (part === undefined ? 0 : Number(part))) as number[]
    if (month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth(year!, month!)) {
      throw new InvalidArgumentError(
        `audit-trail: ${name} must be a Date or an ISO 8601 date or timestamp that exists; ${describe(value)} is not a calendar date (${monthName(month!)} has no day ${day}).`,
      )
    }
    if (hour! > 23 || minute! > 59 || second! > 59) {
      throw new InvalidArgumentError(
        `audit-trail: ${name} must be a Date or an ISO 8601 date or timestamp that exists; ${describe(value)} has an impossible time of day.`,
      )
    }
    const date = new Date(text)
    if (!Number.isNaN(date.getTime())) return checkYear(date, name)
  }
  throw new InvalidArgumentError(
    `audit-trail: ${name} must be a Date or an ISO 8601 date or timestamp such as 2024-01-15 or 2024-01-15T14:30:00Z, got ${describe(value)}.`,
  )
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 31
}

function monthName(month: number): string {
  return month >= 1 && month <= 12 ? new Date(Date.UTC(2001, month - 1, 1)).toLocaleString('en-US', { month: 'long', timeZone: 'UTC' }) : `month ${month}`
}

function checkYear(date: Date, name: string): Date {
  const year = date.getUTCFullYear()
  if (year < 1 || year > 9999) {
    throw new InvalidArgumentError(`audit-trail: ${name} must be between the years 1 and 9999, got ${year < 1 ? 'a date before year 1' : 'a date after year 9999'} (${describe(date.toISOString())}).`)
  }
  return date
}

/** A non-null plain object, or throws naming `name`. */
export function checkObject(value: unknown, name: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError(`audit-trail: ${name} must be an object, got ${describe(value)}.`)
  }
  return value as Record<string, unknown>
}

/** A string PostgreSQL can hold (no U+0000), or throws naming `name`. */
export function checkString(value: unknown, name: string, expected = 'a string'): string {
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(`audit-trail: ${name} must be ${expected}, got ${describe(value)}.`)
  }
  if (value.includes('\u0000')) {
    throw new InvalidArgumentError(`audit-trail: ${name} contains U+0000, which PostgreSQL text cannot hold; remove it.`)
  }
  return value
}

/** A short description of a bad value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : 'a Date'
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${String(value)}`
}
