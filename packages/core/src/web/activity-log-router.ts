import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { AuditConfigurationError, AuditTrailError, InvalidArgumentError, PageFilterError } from '../errors.js'
import type { AuditLog } from '../log/audit-log.js'
import { buildFilterCondition, type AuditFilter } from '../query/audit-filter.js'
import { encodeCursor } from '../query/cursor.js'
import { emptyCounts, type ActivityLogScope, type FilterChoices } from '../query/filter-choices.js'
import { parseInstant } from '../validate/validators.js'
import type { ViewOptions } from '../view/field-lines.js'
import { endOfDay, isDateOnly, isTimeZone, startOfDay } from '../view/time-zone.js'
import { activityLogPage } from './activity-log-page.js'
import { MESSAGES, type ActivityLogMessages } from './activity-log-messages.js'
import { entryView } from './entry-view.js'

/**
 * What `authorize(req)` answers: `false` (403), `true` (the whole log) or a scope that every
 * page, JSON endpoint and export is narrowed to (the query string cannot widen it).
 */
export type ActivityLogAccess = boolean | ActivityLogScope

/** Options of `activityLogRouter`. */
export interface ActivityLogRouterOptions<Req extends IncomingMessage = IncomingMessage> extends ViewOptions {
  /** Decides whether `req` may see the log, and which part of it. Required: there is no default. */
  authorize: (req: Req) => ActivityLogAccess | Promise<ActivityLogAccess>
  /** Decides whether `req` may also download the CSV export. Default: whoever passes `authorize`. */
  authorizeExport?: (req: Req) => boolean | Promise<boolean>
  /** Page title. Default: `messages.title` (`'Activity log'`). */
  title?: string
  /** Entries per page and per "Load more". Default: 100. */
  pageSize?: number
  /** Labels of the page, English by default; pass the ones to change (and `lang`). */
  messages?: Partial<ActivityLogMessages>
  /** Time zone the page starts in (the viewer can switch to their own). Default `'UTC'`. */
  timeZone?: string
}

type Handler<Req> = (req: Req, res: ServerResponse, next: (error?: unknown) => void) => void

/**
 * The part of an AuditLog the page uses. `choices` (the filter lists from the whole log, see
 * `log.choices()`) is optional: without it the lists come from the newest 1,000 entries.
 */
export type ActivityLogSource = Pick<AuditLog, 'list' | 'count' | 'exportCsv' | 'record'> & {
  choices?: (scope: ActivityLogScope) => Promise<FilterChoices>
}

/**
 * The activity log page and the JSON and CSV endpoints behind it, as Express/Connect middleware
 * to mount behind the app's own authentication. Works offline: no build step, no CDN.
 * Every request must pass `authorize`; exports are recorded in the log as `exported` events.
 *
 * @example
 * app.use('/admin/activity-log', activityLogRouter(log, { authorize: (req) => req.user?.role === 'admin' }))
 */
export function activityLogRouter<Req extends IncomingMessage = IncomingMessage>(
  log: ActivityLogSource,
  options: ActivityLogRouterOptions<Req>,
): Handler<Req & { originalUrl?: string }> {
  if (!options || typeof options.authorize !== 'function') {
    throw new AuditConfigurationError(
      'audit-trail: activityLogRouter(log, { authorize }) needs an authorize(req) function: the activity log shows who did what, so it is never served unprotected.',
    )
  }
  const pageSize = options.pageSize ?? 100
  const messages: ActivityLogMessages = { ...MESSAGES, ...options.messages }
  const title = options.title ?? messages.title
  const timeZone = options.timeZone ?? 'UTC'
  if (!isTimeZone(timeZone)) throw new AuditConfigurationError(`audit-trail: activityLogRouter timeZone ${JSON.stringify(timeZone)} is not an IANA time zone.`)
  const view: ViewOptions = { formats: options.formats, summaryFields: options.summaryFields, locale: options.locale }

  return (req, res, next) => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return next()
      const url = new URL(req.url ?? '/', 'http://localhost')
      const path = url.pathname
      if (!['/', '', '/entries', '/export.csv', '/actors', '/choices'].includes(path)) return next()
      const access = await options.authorize(req)
      if (!access) return forbidden(res)
      const scope = scopeOf(access)
      switch (path) {
        case '':
        case '/': {
          // Relative links (./entries) need the page URL to end with a slash.
          const original = req.originalUrl ?? req.url ?? '/'
          const originalPath = original.split('?')[0] ?? '/'
          if (!originalPath.endsWith('/')) {
            res.statusCode = 301
            res.setHeader('location', `${originalPath}/${url.search}`)
            res.end()
            return
          }
          const nonce = randomBytes(18).toString('base64')
          res.setHeader('content-type', 'text/html; charset=utf-8')
          res.setHeader(
            'content-security-policy',
            `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'`,
          )
          res.setHeader('x-content-type-options', 'nosniff')
          res.setHeader('cache-control', 'no-store')
          res.end(activityLogPage({ title, pageSize, nonce, messages, timeZone, canExport: await mayExport(req, options) }))
          return
        }
        case '/entries': {
          const entryId = url.searchParams.get('entry')
          if (entryId) {
            if (!/^\d{1,19}$/.test(entryId)) throw new PageFilterError(messages.errorEntry, 'entry')
            const filter = { ...scopeFilter(scope), includeArchived: true }
            const page = await log.list({ ...filter, limit: 1, cursor: encodeCursor('desc', (BigInt(entryId) + 1n).toString()) })
            const found = page.entries.filter((entry) => entry.id === entryId)
            return sendJson(res, 200, { entries: found.map((entry) => entryView(entry, view)), nextCursor: null, total: found.length })
          }
          const filter = filterFrom(url.searchParams, scope, messages, timeZone)
          const order = orderFrom(url.searchParams)
          const [page, total] = await Promise.all([
            log.list({ ...filter, order, limit: pageSize, cursor: url.searchParams.get('cursor') || undefined }),
            log.count(filter),
          ])
          return sendJson(res, 200, { entries: page.entries.map((entry) => entryView(entry, view)), nextCursor: page.nextCursor, total })
        }
        case '/actors':
        case '/choices': {
          if (log.choices) return sendJson(res, 200, await log.choices(scope))
          return sendJson(res, 200, await recentChoices(log, scope))
        }
        case '/export.csv': {
          if (!(await mayExport(req, options))) return forbidden(res)
          // Checked in full before anything is written or recorded: a bad filter is a 400 with
          // a JSON reason, never an attachment, and leaves no `exported` entry.
          const filter = filterFrom(url.searchParams, scope, messages, timeZone)
          const order = orderFrom(url.searchParams)
          buildFilterCondition(filter)
          // Recorded before a single row leaves: an export must never go unaudited, even if
          // the client disconnects halfway.
          await log.record({
            action: 'exported',
            resourceType: 'activity_log',
            description: 'CSV export of the activity log',
            metadata: { filter: filterForRecord({ ...filter, ...(order ? { order } : {}) }) },
            ...(scope.logName !== undefined ? { logName: scope.logName } : {}),
          })
          const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')
          res.setHeader('content-type', 'text/csv; charset=utf-8')
          res.setHeader('content-disposition', `attachment; filename="activity-log-${stamp}.csv"`)
          await log.exportCsv({ ...filter, ...(order ? { order } : {}) }, res)
          return
        }
      }
    })().catch((error: unknown) => {
      if (error instanceof PageFilterError && !res.headersSent) return sendJson(res, 400, { error: error.message, field: error.field })
      if (error instanceof InvalidArgumentError && !res.headersSent) return sendJson(res, 400, { error: error.message })
      if (!res.headersSent && error instanceof AuditTrailError) return sendJson(res, 500, { error: 'The activity log could not be read.' })
      next(error)
    })
  }
}

async function mayExport<Req>(req: Req, options: { authorizeExport?: (req: Req) => boolean | Promise<boolean> }): Promise<boolean> {
  return options.authorizeExport ? Boolean(await options.authorizeExport(req)) : true
}

function forbidden(res: ServerResponse): void {
  res.statusCode = 403
  res.setHeader('content-type', 'text/plain; charset=utf-8')
  res.end('Forbidden')
}

function scopeOf(access: ActivityLogAccess): ActivityLogScope {
  if (access === true) return {}
  const scope: ActivityLogScope = {}
  const { tenantId, logName } = access as ActivityLogScope
  if (tenantId !== undefined) {
    if (typeof tenantId !== 'string') throw new AuditConfigurationError('audit-trail: authorize(req) returned a scope whose tenantId is not a string.')
    scope.tenantId = tenantId
  }
  if (logName !== undefined) {
    if (typeof logName !== 'string') throw new AuditConfigurationError('audit-trail: authorize(req) returned a scope whose logName is not a string.')
    scope.logName = logName
  }
  return scope
}

function scopeFilter(scope: ActivityLogScope): AuditFilter {
  const filter: AuditFilter = {}
  if (scope.tenantId !== undefined) filter.tenantId = scope.tenantId
  if (scope.logName !== undefined) filter.logName = scope.logName
  return filter
}

function orderFrom(params: URLSearchParams): 'asc' | 'desc' | undefined {
  const order = params.get('order')
  if (!order) return undefined
  if (order === 'asc' || order === 'desc') return order
  throw new PageFilterError('The sort order must be newest first or oldest first.', 'order')
}

/**
 * Query string → AuditFilter, with the viewer's mistakes explained in plain words. Bare dates are
 * whole days in the page's time zone (`tz`, default the router's `timeZone`). The scope is
 * applied last, so no query parameter can widen it.
 */
export function filterFrom(params: URLSearchParams, scope: ActivityLogScope, messages: ActivityLogMessages = MESSAGES, defaultZone = 'UTC'): AuditFilter {
  const filter: AuditFilter = {}
  const actor = params.get('actor')
  if (actor === 'system') filter.system = true
  else if (actor === 'database') filter.actorType = 'database'
  else if (actor) filter.actorId = actor
  const impersonator = params.get('impersonator')
  if (impersonator) filter.impersonatorId = impersonator
  const action = params.get('action')
  if (action) filter.action = action
  const type = params.get('type')
  if (type) filter.resourceType = type
  const id = params.get('id')
  if (id) filter.resourceId = id
  const location = params.get('location')
  if (location) filter.locationId = location
  const field = params.get('field')
  if (field) filter.field = field
  const zone = params.get('tz') || defaultZone
  if (!isTimeZone(zone)) throw new PageFilterError(messages.errorZone, 'tz')
  const from = params.get('from')
  if (from) filter.from = dateParam(from, zone, false, messages.errorFrom, 'from')
  const to = params.get('to')
  if (to) filter.to = dateParam(to, zone, true, messages.errorTo, 'to')
  if (filter.from && filter.to && (filter.from as Date).getTime() > (filter.to as Date).getTime()) {
    throw new PageFilterError(messages.errorRange, 'from')
  }
  const search = params.get('search')
  if (search) filter.search = search
  if (params.get('archived') === '1') filter.includeArchived = true
  return { ...filter, ...scopeFilter(scope) }
}

function dateParam(text: string, zone: string, end: boolean, message: string, field: string): Date {
  try {
    const checked = parseInstant(text, field)
    if (!isDateOnly(text)) return checked
    return end ? endOfDay(text, zone) : startOfDay(text, zone)
  } catch {
    throw new PageFilterError(message, field)
  }
}

/** Without `log.choices`: the lists from the newest 1,000 entries in scope. */
async function recentChoices(log: ActivityLogSource, scope: ActivityLogScope): Promise<FilterChoices> {
  const recent = await log.list({ ...scopeFilter(scope), limit: 1000 })
  const actors = new Map<string, string>()
  const impersonators = new Map<string, string>()
  for (const entry of recent.entries) {
    if (entry.actor.type !== 'system' && entry.actor.id) actors.set(entry.actor.id, entry.actor.name ?? entry.actor.id)
    if (entry.impersonator?.id) impersonators.set(entry.impersonator.id, entry.impersonator.name ?? entry.impersonator.id)
  }
  const list = (map: Map<string, string>) => [...map].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name))
  return {
    actors: list(actors),
    impersonators: list(impersonators),
    hasDatabaseActors: recent.entries.some((entry) => entry.actor.type === 'database'),
    resourceTypes: [...new Set(recent.entries.map((e) => e.resourceType).filter((t): t is string => !!t))].sort(),
    actions: [...new Set(recent.entries.map((e) => e.action))].sort(),
    locations: [...new Set(recent.entries.map((e) => e.locationId).filter((l): l is string => !!l))].sort(),
    counts: emptyCounts(),
  }
}

function filterForRecord(filter: AuditFilter): Record<string, unknown> {
  return Object.fromEntries(Object.entries(filter).map(([key, value]) => [key, value instanceof Date ? value.toISOString() : value]))
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status
  res.setHeader('content-type', 'application/json; charset=utf-8')
  res.setHeader('cache-control', 'no-store')
  res.end(JSON.stringify(body))
}
