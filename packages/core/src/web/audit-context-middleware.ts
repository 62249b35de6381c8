import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { runWithAuditContext, type Actor, type AuditContext } from '../context/audit-context.js'
import { clientIp, type TrustProxy } from './client-ip.js'

type Resolver<Req, T> = (req: Req) => T | null | undefined | Promise<T | null | undefined>

/** How `auditContextMiddleware` reads the audit context from a request. */
export interface AuditContextMiddlewareOptions<Req extends IncomingMessage = IncomingMessage> {
  /** The acting user (e.g. `req => req.user && { id: req.user.id, name: req.user.name }`). Default: none, recorded as System. */
  actor?: Resolver<Req, Actor>
  /** The staff member acting as `actor` during impersonation. Default: none. */
  impersonator?: Resolver<Req, Actor>
  /** The location (shop, restaurant, site) of the request. Default: none. */
  location?: Resolver<Req, string>
  /** The tenant of the request. Default: none. */
  tenant?: Resolver<Req, string>
  /** Extra JSON to store with each entry of the request. Default: none. */
  metadata?: Resolver<Req, Record<string, unknown>>
  /** Trust `X-Forwarded-For`: `true` for every proxy, a number for that many hops. Default: false (socket address only). */
  trustProxy?: TrustProxy
  /** Header carrying an incoming request id, reused when valid (else a UUID is made). Default: `'x-request-id'`. */
  requestIdHeader?: string
  /** `log_name` for the request's entries. Default: the plugin's (`'backoffice'`). */
  logName?: string
}

// Request ids from outside are stored and echoed: keep them short and printable.
const VALID_REQUEST_ID = /^[\w.:@/+=-]{1,200}$/

/** Builds the audit context of one request with `options`. Shared by the Express and Fastify adapters. */
export async function resolveRequestContext<Req extends IncomingMessage>(
  req: Req,
  options: AuditContextMiddlewareOptions<Req>,
): Promise<AuditContext> {
  const [actor, impersonator, locationId, tenantId, metadata] = await Promise.all([
    options.actor?.(req),
    options.impersonator?.(req),
    options.location?.(req),
    options.tenant?.(req),
    options.metadata?.(req),
  ])
  const incomingId = req.headers[(options.requestIdHeader ?? 'x-request-id').toLowerCase()]
  const requestId = typeof incomingId === 'string' && VALID_REQUEST_ID.test(incomingId) ? incomingId : randomUUID()
  const userAgent = req.headers['user-agent']
  const ctx: AuditContext = {
    actor: actor ?? null,
    impersonator: impersonator ?? null,
    ipAddress: clientIp({
      remoteAddress: req.socket?.remoteAddress,
      forwardedFor: req.headers['x-forwarded-for'],
      trustProxy: options.trustProxy ?? false,
    }),
    userAgent: typeof userAgent === 'string' ? userAgent : null,
    locationId: locationId ?? null,
    tenantId: tenantId ?? null,
    requestId,
  }
  if (metadata) ctx.metadata = metadata
  if (options.logName) ctx.logName = options.logName
  return ctx
}

/**
 * Express/Connect middleware: every handler after it runs inside `runWithAuditContext` with
 * the request's actor, IP, user agent, location, tenant and request id, so every audited write
 * of the request is attributed. The request id is echoed in the `X-Request-Id` response header.
 *
 * @example
 * app.use(auditContextMiddleware({
 *   actor: (req) => req.user && { id: req.user.id, name: req.user.name, email: req.user.email },
 *   impersonator: (req) => req.session?.impersonatedBy ?? null,
 *   trustProxy: 1,
 * }))
 */
export function auditContextMiddleware<Req extends IncomingMessage = IncomingMessage>(
  options: AuditContextMiddlewareOptions<Req> = {},
): (req: Req, res: ServerResponse, next: (error?: unknown) => void) => void {
  return (req, res, next) => {
    resolveRequestContext(req, options).then(
      (ctx) => {
        if (!res.headersSent) res.setHeader('X-Request-Id', ctx.requestId!)
        runWithAuditContext(ctx, () => next())
      },
      (error: unknown) => next(error),
    )
  }
}

/** The subset of a Fastify instance the plugin uses. */
export interface FastifyLike {
  addHook(
    name: 'onRequest',
    hook: (request: { raw: IncomingMessage }, reply: { header(name: string, value: string): unknown }, done: (error?: Error) => void) => void,
  ): unknown
}

/**
 * Fastify plugin with the same options: an `onRequest` hook that runs the rest of the request
 * inside `runWithAuditContext`. Register it unencapsulated (it is marked with `skip-override`).
 *
 * @example
 * await app.register(auditContextFastify({ actor: (req) => currentUser(req) }))
 */
export function auditContextFastify(options: AuditContextMiddlewareOptions = {}) {
  const plugin = async (fastify: FastifyLike) => {
    fastify.addHook('onRequest', (request, reply, done) => {
      resolveRequestContext(request.raw, options).then(
        (ctx) => {
          reply.header('X-Request-Id', ctx.requestId!)
          runWithAuditContext(ctx, () => done())
        },
        (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
      )
    })
  }
  // Fastify's convention for plugins whose hooks must apply to the whole app.
  Object.assign(plugin, { [Symbol.for('skip-override')]: true })
  return plugin
}
