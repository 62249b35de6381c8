import { AuditConfigurationError, MissingAuditContextError, getAuditContext } from '@audit-trail/core'
import { planCapture, type AuditPluginOptions } from '@audit-trail/core/plugin'
import type { BasePrismaClient, QueryHookParams } from './prisma-client-shape.js'
import { readModelTables } from './prisma-models.js'
import { checkPrismaSetup } from './startup-check.js'
import { isWriteOperation } from './write-operations.js'

/** Options of `auditTrail()` and `enablePrismaCapture()`: the options every audit-trail plugin takes (see `AuditPluginOptions`). */
export type PrismaAuditOptions = AuditPluginOptions

// The extension's one client member, reached by auditTrailReady(); it survives further $extends.
const READY_METHOD = '$auditTrailReady'

/**
 * The half of `@audit-trail/prisma` that checks and guards, as a Prisma client extension. It
 * sends no statement and opens no transaction per query: the context travels on each statement
 * through `auditTrailComments()`, and the database capture triggers write the entries.
 *
 * - When applied, it validates `options` against the models (unknown names throw at once) and
 *   starts one startup check: the client's statements must carry the tag (else
 *   `AuditConfigurationError` naming the fix), and every audited table, implicit many-to-many
 *   tables included, must be captured with the same options (else `AuditConfigurationError`
 *   naming table and option). Every write waits for it and fails with its error; reads do not
 *   wait. `await auditTrailReady(prisma)` at boot to fail there instead.
 * - With `requireContext: true`, a model write or a writing raw query outside
 *   `runWithAuditContext` throws `MissingAuditContextError` before anything is sent.
 *
 * @example
 * const prisma = new PrismaClient({ adapter, comments: [auditTrailComments()] })
 *   .$extends(auditTrail({ models: { Item: { resourceType: 'item', name: 'name' } } }))
 * await auditTrailReady(prisma)
 */
export function auditTrail(options: PrismaAuditOptions = {}): <Client extends object>(client: Client) => Client {
  return <Client extends object>(client: Client): Client => {
    const base = client as unknown as BasePrismaClient
    const tables = readModelTables(base)
    // Every implicit relation table counts as a model here, so options may name one before the
    // database says which exist; the startup check plans again with the tables that do.
    planCapture([...tables.models, ...tables.linkCandidates], options)
    // Started now, before the app can open a transaction: on PGlite (one transaction at a time)
    // or a pool of one, a check queued behind the app's own open transaction would wait forever.
    const check = checkPrismaSetup({ client: base, tables, options })
    check.catch(() => undefined) // re-thrown by every write and by auditTrailReady()

    return base.$extends({
      name: '@audit-trail/prisma',
      client: { [READY_METHOD]: () => check },
      query: {
        async $allOperations(params: QueryHookParams) {
          if (!isWriteOperation(params)) return params.query(params.args)
          if (options.requireContext && getAuditContext() === undefined) {
            throw MissingAuditContextError.forWrite(params.model ?? 'raw', params.operation)
          }
          await check
          return params.query(params.args)
        },
      },
    }) as Client
  }
}

/**
 * Resolves when the startup check of the `auditTrail()` extension on `prisma` has passed;
 * rejects with its `AuditConfigurationError` otherwise. Call it at boot, before serving requests.
 * Rejects with `AuditConfigurationError` as well if `prisma` has no `auditTrail()` extension.
 */
export function auditTrailReady(prisma: object): Promise<void> {
  const ready = (prisma as Record<string, unknown>)[READY_METHOD]
  if (typeof ready === 'function') return (ready as () => Promise<void>)()
  return Promise.reject(
    new AuditConfigurationError(
      'audit-trail: this Prisma client has no auditTrail() extension. Use new PrismaClient({ adapter, comments: [auditTrailComments()] }).$extends(auditTrail(options)).',
    ),
  )
}
