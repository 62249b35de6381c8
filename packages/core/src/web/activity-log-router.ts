import type { IncomingMessage, ServerResponse } from 'node:http'
import { AuditConfigurationError, AuditTrailError, InvalidArgumentError } from '../errors.js'
import type { AuditFilter } from '../query/audit-filter.js'
import type { AuditLog } from '../query/audit-log.js'
import { activityLogPage } from './activity-log-page.js'
import { entryView } from './entry-view.js'

/** Options of `activityLogRouter`. */
export interface ActivityLogRouterOptions<Req extends IncomingMessage = IncomingMessage> {
  /** Decides whether `req` may see the log (and export it). Required: there is no default. */
  authorize: (req: Req) => boolean | Promise<boolean>
  /** Page title. Default: `'Activity log'`. */
  title?: string
  /** Entries per page and per "Load more". Default: 100. */
  pageSize?: number
}

type Handler<Req> = (req: Req, res: ServerResponse, next: (error?: unknown) => void) => void

/** The part of an AuditLog the page uses. */
export type ActivityLogSource = Pick<AuditLog, 'list' | 'count' | 'exportCsv' | 'record'>

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
  const title = options.title ?? 'Activity log'

  return (req, res, next) => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return next()
      const url = new URL(req.url ?? '/', 'http://localhost')
      const path = url.pathname
      if (!['/', '', '/entries', '/export.csv', '/actors'].includes(path)) return next()
      if (!(await options.authorize(req))) {
        res.statusCode = 403
        res.setHeader('content-type', 'text/plain; charset=utf-8')
        res.end('Forbidden')
        return
      }
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
          res.setHeader('content-type', 'text/html; charset=utf-8')
          res.setHeader('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:")
          res.setHeader('x-content-type-options', 'nosniff')
          res.setHeader('cache-control', 'no-store')
          res.end(activityLogPage({ title, pageSize }))
          return
        }
        case '/entries': {
          const filter = filterFrom(url.searchParams)
          const [page, total] = await Promise.all([
            log.list({ ...filter, limit: pageSize, cursor: url.searchParams.get('cursor') || undefined }),
            log.count(filter),
          ])
          return sendJson(res, 200, { entries: page.entries.map(entryView), nextCursor: page.nextCursor, total })
        }
        case '/actors': {
          const recent = await log.list({ limit: 1000 })
          const actors = new Map<string, string>()
          for (const entry of recent.entries) {
            if (entry.actor.type !== 'system' && entry.actor.id) actors.set(entry.actor.id, entry.actor.name ?? entry.actor.id)
          }
          return sendJson(res, 200, {
            actors: [...actors].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name)),
            resourceTypes: [...new Set(recent.entries.map((e) => e.resourceType).filter((t): t is string => !!t))].sort(),
            actions: [...new Set(recent.entries.map((e) => e.action))].sort(),
            locations: [...new Set(recent.entries.map((e) => e.locationId).filter((l): l is string => !!l))].sort(),
          })
        }
        case '/export.csv': {
          const filter = filterFrom(url.searchParams)
          // Recorded before a single row leaves: an export must never go unaudited, even if
          // the client disconnects halfway.
          await log.record({ action: 'exported', resourceType: 'activity_log', description: 'CSV export of the activity log', metadata: { filter: filterForRecord(filter) } })
          const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')
          res.setHeader('content-type', 'text/csv; charset=utf-8')
          res.setHeader('content-disposition', `attachment; filename="activity-log-${stamp}.csv"`)
          await log.exportCsv(filter, res)
          return
        }
      }
    })().catch((error: unknown) => {
      if (error instanceof InvalidArgumentError && !res.headersSent) return sendJson(res, 400, { error: error.message })
      if (!res.headersSent && error instanceof AuditTrailError) return sendJson(res, 500, { error: 'The activity log could not be read.' })
      next(error)
    })
  }
}

/** Query string → AuditFilter. The query API validates every value; nothing here reaches SQL directly. */
function filterFrom(params: URLSearchParams): AuditFilter {
  const filter: AuditFilter = {}
  const actor = params.get('actor')
  if (actor === 'system') filter.system = true
  else if (actor) filter.actorId = actor
  const action = params.get('action')
  if (action) filter.action = action
  const type = params.get('type')
  if (type) filter.resourceType = type
  const location = params.get('location')
  if (location) filter.locationId = location
  const from = params.get('from')
  if (from) filter.from = from
  const to = params.get('to')
  if (to) filter.to = to
  const search = params.get('search')
  if (search) filter.search = search
  return filter
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
