import { AsyncLocalStorage } from 'node:async_hooks'

/** Who did something. `id` is required; the rest is shown in the log as given. */
export interface Actor {
  id: string | number | bigint
  name?: string | null
  email?: string | null
}

/** Everything audit-trail records about the request or job that makes a change. */
export interface AuditContext {
  /** The acting user; absent or null records the change as `actor_type = 'system'`. */
  actor?: Actor | null
  /** Staff member acting as `actor` during impersonation; recorded on every entry. */
  impersonator?: Actor | null
  /** Client IP address (IPv4 or IPv6). An invalid address is recorded as null, with a warning. */
  ipAddress?: string | null
  /** Client user agent; stored up to 1,024 characters. */
  userAgent?: string | null
  locationId?: string | null
  tenantId?: string | null
  requestId?: string | null
  /** Which log the entries go to. Default `'backoffice'`. */
  logName?: string
  /** Anything else to store with each entry, as JSON. */
  metadata?: Record<string, unknown>
}

// One store per process, even when both the ESM and the CJS build of this package are loaded
// (an ESM app using a CJS-resolved plugin): otherwise context set through one copy would be
// invisible to the other.
const STORE_KEY = Symbol.for('@audit-trail/core.context-storage')
type GlobalWithStore = typeof globalThis & { [STORE_KEY]?: AsyncLocalStorage<Readonly<AuditContext>> }
const globalWithStore = globalThis as GlobalWithStore
const storage: AsyncLocalStorage<Readonly<AuditContext>> =
  globalWithStore[STORE_KEY] ?? (globalWithStore[STORE_KEY] = new AsyncLocalStorage())

/**
 * Runs `fn` with `ctx` as the audit context of everything it does, across `await`s.
 * Nested calls merge: keys given by the inner context win, keys it leaves out (or sets to
 * `undefined`) keep the outer value, and `metadata` objects are merged key by key.
 *
 * @example
 * await runWithAuditContext({ actor: { id: user.id, name: user.name }, ipAddress: req.ip }, async () => {
 *   await prisma.item.update({ where: { id }, data: { price } })
 * })
 */
export function runWithAuditContext<T>(ctx: AuditContext, fn: () => T): T {
  const outer = storage.getStore()
  const merged = outer ? mergeAuditContexts(outer, ctx) : withoutUndefined(ctx)
  return storage.run(Object.freeze(merged), () => startLazyThenable(fn()))
}

/**
 * Some query builders return lazy thenables that run only when awaited (a PrismaPromise starts
 * its query on `.then`). Returned from the callback and awaited outside, they would run outside
 * the context. Subscribing here, inside the scope, starts them with the context. Native
 * promises are returned as they are.
 */
function startLazyThenable<T>(result: T): T {
  if (result instanceof Promise || result === null || (typeof result !== 'object' && typeof result !== 'function')) {
    return result
  }
  const then = (result as { then?: unknown }).then
  if (typeof then !== 'function') return result
  return new Promise((resolve, reject) => {
    then.call(result, resolve, reject)
  }) as T
}

/** The audit context of the current async call chain, or `undefined` outside any. */
export function getAuditContext(): Readonly<AuditContext> | undefined {
  return storage.getStore()
}

/** `inner` over `outer`, as nested `runWithAuditContext` calls combine them. */
export function mergeAuditContexts(outer: AuditContext, inner: AuditContext): AuditContext {
  const merged: AuditContext = { ...outer, ...withoutUndefined(inner) }
  if (outer.metadata && inner.metadata) merged.metadata = { ...outer.metadata, ...inner.metadata }
  return merged
}

function withoutUndefined(ctx: AuditContext): AuditContext {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(ctx)) if (value !== undefined) out[key] = value
  return out as AuditContext
}
