import { AsyncLocalStorage } from 'node:async_hooks'
import { InvalidArgumentError } from '../errors.js'

/** Who did something. `id` is required; the rest is shown in the log as given. */
export interface Actor {
  /** `actor_id` (stored as text). */
  id: string | number | bigint
  /** `actor_name`, shown in the log. Default: none. */
  name?: string | null
  /** `actor_email`. Default: none. */
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
  /** `location_id`: the shop, site or branch the change was made for. Default: none. */
  locationId?: string | null
  /** `tenant_id` of a multi-tenant app. Default: none. */
  tenantId?: string | null
  /** `request_id`: groups one request's entries. Default: none (the middleware sets one). */
  requestId?: string | null
  /** Which log the entries go to. Default `'backoffice'`. */
  logName?: string
  /** Anything else to store with each entry, as JSON. */
  metadata?: Record<string, unknown>
}

/** The context keys a request middleware may resolve late, when the first write of the request happens. */
export type LateContextKey = 'actor' | 'impersonator' | 'locationId' | 'tenantId' | 'metadata'

/** Resolvers of late keys: each is called until it returns a value (null/undefined: not yet). */
export type LateContextResolvers = Partial<Record<LateContextKey, () => unknown>>

interface Scope {
  readonly parent: Scope | undefined
  /** What runWithAuditContext was given (undefined keys dropped). */
  readonly own: AuditContext
  /** Late resolvers still to be asked, and what they have answered so far. */
  readonly late: { readonly resolvers: LateContextResolvers; readonly values: AuditContext; readonly pending: Set<LateContextKey> } | undefined
  /** setAuditActor() in this scope. */
  override: AuditContext | undefined
  /** Bumped whenever late values or the override change; the resolved context is cached per version. */
  version: number
  cached: { readonly parent: Readonly<AuditContext> | undefined; readonly version: number; readonly value: Readonly<AuditContext> } | undefined
}

// One store per process, even when both the ESM and the CJS build of this package are loaded
// (an ESM app using a CJS-resolved plugin): otherwise context set through one copy would be
// invisible to the other.
const STORE_KEY = Symbol.for('@audit-trail/core.context-scope')
type GlobalWithStore = typeof globalThis & { [STORE_KEY]?: AsyncLocalStorage<Scope> }
const globalWithStore = globalThis as GlobalWithStore
const storage: AsyncLocalStorage<Scope> = globalWithStore[STORE_KEY] ?? (globalWithStore[STORE_KEY] = new AsyncLocalStorage())

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
  return runInScope(newScope(withoutUndefined(ctx), undefined), fn)
}

/**
 * Like `runWithAuditContext`, with some keys resolved late: each resolver is asked again every
 * time the context is read (a statement is tagged, `record()` runs) until it returns a value, and
 * that value is kept for the rest of the scope. This is how the request middleware gets the
 * actor of apps that authenticate per route, after the middleware ran. A resolver returning a
 * promise is not waited for: its value counts from the next read after it settles.
 */
export function runWithLateAuditContext<T>(ctx: AuditContext, resolvers: LateContextResolvers, fn: () => T): T {
  const pending = new Set(Object.keys(resolvers) as LateContextKey[])
  return runInScope(newScope(withoutUndefined(ctx), { resolvers, values: {}, pending }), fn)
}

function newScope(own: AuditContext, late: Scope['late']): Scope {
  return { parent: storage.getStore(), own, late, override: undefined, version: 0, cached: undefined }
}

function runInScope<T>(scope: Scope, fn: () => T): T {
  return storage.run(scope, () => startLazyThenable(fn()))
}

/**
 * Sets the actor of the current audit context from here on (its other keys stay): e.g. right
 * after a login, when the middleware could not know the user yet. `null` records the following
 * writes as system. Throws outside any audit context.
 *
 * @example
 * app.post('/login', async (req, res) => {
 *   const user = await checkPassword(req.body)
 *   setAuditActor({ id: user.id, name: user.name })
 *   await log.record({ action: 'login' })
 * })
 */
export function setAuditActor(actor: Actor | null): void {
  const scope = storage.getStore()
  if (!scope) {
    throw new InvalidArgumentError(
      'audit-trail: setAuditActor() ran outside any audit context; call it inside runWithAuditContext or a request handled by auditContextMiddleware.',
    )
  }
  scope.override = { ...scope.override, actor }
  if (scope.late) scope.late.pending.delete('actor')
  scope.version++
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
  const scope = storage.getStore()
  return scope ? resolveScope(scope) : undefined
}

// The same object is returned while nothing changed, so callers may cache by identity (the
// statement tag is built once per context object).
function resolveScope(scope: Scope): Readonly<AuditContext> {
  const parent = scope.parent ? resolveScope(scope.parent) : undefined
  if (scope.late && scope.late.pending.size > 0) askLateResolvers(scope)
  const cached = scope.cached
  if (cached && cached.parent === parent && cached.version === scope.version) return cached.value
  const own = { ...scope.own, ...scope.late?.values, ...scope.override }
  const value = Object.freeze(parent ? mergeAuditContexts(parent, own) : own)
  scope.cached = { parent, version: scope.version, value }
  return value
}

function askLateResolvers(scope: Scope): void {
  const late = scope.late!
  for (const key of [...late.pending]) {
    let answer: unknown
    try {
      answer = late.resolvers[key]?.()
    } catch {
      continue // a resolver that throws is asked again later; the write is never failed by it
    }
    if (answer === null || answer === undefined) continue
    if (typeof (answer as { then?: unknown }).then === 'function') {
      late.pending.delete(key)
      ;(answer as PromiseLike<unknown>).then(
        (value) => {
          if (value === null || value === undefined) late.pending.add(key)
          else setLateValue(scope, key, value)
        },
        () => late.pending.add(key),
      )
      continue
    }
    setLateValue(scope, key, answer)
  }
}

function setLateValue(scope: Scope, key: LateContextKey, value: unknown): void {
  const late = scope.late!
  late.pending.delete(key)
  ;(late.values as Record<string, unknown>)[key] = value
  scope.version++
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
