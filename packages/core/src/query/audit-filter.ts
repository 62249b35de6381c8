import { InvalidArgumentError } from '../errors.js'
import { checkObject, checkString, describe, parseInstant } from '../validate/validators.js'
import { ACTIVITY_LOG_COLUMNS } from '../writer/activity-log-row.js'

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
  /** `location_id` equals (any of) this. */
  locationId?: OneOrMany<string>
  /** `tenant_id` equals (any of) this. */
  tenantId?: OneOrMany<string>
  /** `log_name` equals (any of) this, e.g. `'backoffice'`. */
  logName?: OneOrMany<string>
  /** `request_id` equals (any of) this: every entry of one request. */
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

const columnList = ACTIVITY_LOG_COLUMNS.join(', ')

/** The log alone, or (includeArchived) the log and the archive as one relation with the same name. */
export function entrySource(includeArchived: boolean): string {
  return includeArchived
    ? `(SELECT ${columnList} FROM audit_trail.activity_log UNION ALL ` +
        `SELECT ${columnList} FROM audit_trail.activity_log_archive) AS activity_log`
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
