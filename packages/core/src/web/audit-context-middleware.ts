import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { runWithLateAuditContext, type Actor, type AuditContext, type LateContextResolvers } from '../context/audit-context.js'
import { clientIp, type TrustProxy } from './client-ip.js'

type Resolver<Req, T> = (req: Req) => T | null | undefined | Promise<T | null | undefined>

/**
 * How `auditContextMiddleware` reads the audit context from a request. The resolvers run when the
 * middleware does, and those that found nothing then (no user yet: the app authenticates per
 * route, after the middleware) run again when the request's first write or `record()` happens,
 * until they return a value. So `req => req.user && {...}` works with the middleware mounted
 * first, before Passport, a JWT guard or a per-route check.
 */
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
  /** Which proxies' `X-Forwarded-For` to trust, as Express's `trust proxy` setting takes it (`true`, a hop count, `'loopback'`, CIDRs, a function). Default: false (the socket address only). */
  trustProxy?: TrustProxy
  /** The client IP, when the app already knows it (e.g. `(req) => req.ip` with Express's own `trust proxy`). Default: from the socket and `trustProxy`. */
  ip?: (req: Req) => string | null | undefined
  /** The request id, when the app has its own (e.g. `(req) => req.id` from a logger); used when valid, else the header, else a new UUID. Default: none. */
  requestId?: (req: Req) => string | null | undefined
  /** Header carrying an incoming request id, reused when valid (else a UUID is made). Default: `'x-request-id'`. */
  requestIdHeader?: string
  /** `log_name` for the request's entries. Default: the plugin's (`'backoffice'`). */
  logName?: string
}

// Request ids from outside are stored and echoed: keep them short and printable.
const VALID_REQUEST_ID = /^[\w.:@/+=-]{1,200}$/

/** The audit context of one request, and resolvers for what it could not know yet. Shared by the Express and Fastify adapters. */
export async function resolveRequestContext<Req extends IncomingMessage>(
  req: Req,
  options: AuditContextMiddlewareOptions<Req>,
): Promise<{ context: AuditContext; late: LateContextResolvers }> {
  const resolvers: Record<keyof LateContextResolvers, Resolver<Req, unknown> | undefined> = {
    actor: options.actor,
    impersonator: options.impersonator,
    locationId: options.location,
    tenantId: options.tenant,
    metadata: options.metadata,
  }
  const keys = Object.keys(resolvers) as Array<keyof LateContextResolvers>
  const answers = await Promise.all(keys.map((key) => resolvers[key]?.(req)))
  const incomingId = req.headers[(options.requestIdHeader ?? 'x-request-id').toLowerCase()]
  const own = options.requestId?.(req)
  const requestId =
    typeof own === 'string' && VALID_REQUEST_ID.test(own)
      ? own
      : typeof incomingId === 'string' && VALID_REQUEST_ID.test(incomingId)
        ? incomingId
        : randomUUID()
  const userAgent = req.headers['user-agent']
  const context: AuditContext = {
    ipAddress: options.ip
      ? (options.ip(req) ?? null)
      : clientIp({
          remoteAddress: req.socket?.remoteAddress,
          forwardedFor: req.headers['x-forwarded-for'],
          trustProxy: options.trustProxy ?? false,
        }),
    userAgent: typeof userAgent === 'string' ? userAgent : null,
    requestId,
  }
  const late: LateContextResolvers = {}
  keys.forEach((key, i) => {
    const answer = answers[i]
    const resolver = resolvers[key]
    if (answer !== null && answer !== undefined) (context as Record<string, unknown>)[key] = answer
    else if (resolver) late[key] = () => resolver(req)
  })
  if (options.logName) context.logName = options.logName
  return { context, late }
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
      ({ context, late }) => {
        if (!res.headersSent) res.setHeader('X-Request-Id', context.requestId!)
        runWithLateAuditContext(context, late, () => next())
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
        ({ context, late }) => {
          reply.header('X-Request-Id', context.requestId!)
          runWithLateAuditContext(context, late, () => done())
        },
        (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
      )
    })
  }
  // Fastify's convention for plugins whose hooks must apply to the whole app.
  Object.assign(plugin, { [Symbol.for('skip-override')]: true })
  return plugin
}
