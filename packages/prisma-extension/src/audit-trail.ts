import {
  AuditConfigurationError,
  AuditRecorder,
  ENABLE_CAPTURE_SQL,
  SET_AUDIT_CONTEXT_SQL,
  auditContextSetting,
  getAuditContext,
  type AuditPluginOptions,
} from '@audit-trail/core'
import { captureOptionsFor, readModelTables, type PrismaModelTable } from './prisma-models.js'
import type { BasePrismaClient, QueryHookParams } from './prisma-client-shape.js'
import { runInSameTransaction } from './transaction-routing.js'

/** Options of `auditTrail()`: the shared plugin options plus Prisma's transaction limits. */
export interface PrismaAuditOptions extends AuditPluginOptions {
  /**
   * Limits of the interactive transaction the plugin opens around a top-level write (Prisma's
   * own defaults of 2 s / 5 s would cut long bulk writes). Default: `{ maxWait: 10000, timeout: 600000 }`.
   */
  transactionOptions?: { maxWait?: number; timeout?: number }
}

const WRITE_OPERATIONS = new Set([
  'create',
  'createMany',
  'createManyAndReturn',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'upsert',
  'delete',
  'deleteMany',
])
const RAW_WRITE_OPERATIONS = new Set(['$executeRaw', '$executeRawUnsafe'])
const RAW_QUERY_OPERATIONS = new Set(['$queryRaw', '$queryRawUnsafe'])
const WRITING_SQL = /^\s*(insert|update|delete|merge|with|truncate|call)\b/i

/**
 * The Prisma 7 client extension. Every write is recorded by the database capture triggers of
 * `sql/` — the one place that sees every row a Prisma call touches (nested writes, `*Many`,
 * both branches of `upsert`) with its old values, inside the same transaction. The extension
 * hands them the request's audit context with `set_config(..., true)` in the transaction of
 * the write; reads pass through untouched.
 *
 * Enable capture for the audited models once, as the role that owns the log
 * (`enablePrismaCapture(prisma, options)` or `audit_trail.enable_capture(...)` in SQL).
 *
 * @example
 * const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString }) })
 *   .$extends(auditTrail({ models: { Item: { resourceType: 'item', name: 'name' } } }))
 */
export function auditTrail(options: PrismaAuditOptions = {}): <Client extends object>(client: Client) => Client {
  const { transactionOptions, ...pluginOptions } = options
  const recorder = new AuditRecorder(pluginOptions)
  const limits = { maxWait: transactionOptions?.maxWait ?? 10_000, timeout: transactionOptions?.timeout ?? 600_000 }

  return <Client extends object>(client: Client): Client => {
    // Query extensions do not change the client's API, so the extended client keeps its type.
    const base = client as unknown as BasePrismaClient
    const tables = readModelTables(base._runtimeDataModel)
    recorder.assertKnownModels(tables.keys())
    const audited = [...tables.values()].filter((table) => recorder.isAudited(table.model))
    for (const table of audited) captureOptionsFor(table, pluginOptions)
    // Checked once, before any transaction of the app is open (on PGlite, a query on a second
    // connection during a transaction would wait forever), and re-thrown at every write.
    const captureCheck = checkCapture(base, audited)
    captureCheck.catch(() => undefined)

    return base.$extends({
      name: '@audit-trail/prisma',
      query: {
        async $allOperations(params: QueryHookParams) {
          const { model, operation } = params
          let isWrite = false
          if (model) {
            isWrite = WRITE_OPERATIONS.has(operation)
          } else if (RAW_WRITE_OPERATIONS.has(operation)) {
            isWrite = getAuditContext() !== undefined
          } else if (RAW_QUERY_OPERATIONS.has(operation)) {
            isWrite = getAuditContext() !== undefined && WRITING_SQL.test(rawSqlText(params.args))
          }
          if (!isWrite) return params.query(params.args)

          const context =
            model && recorder.isAudited(model) ? recorder.context(model, operation) : getAuditContext()
          await captureCheck
          return runInSameTransaction({
            base,
            params,
            statement: { sql: SET_AUDIT_CONTEXT_SQL, values: [auditContextSetting(context, recorder.options.logName)] },
            transactionOptions: limits,
          })
        },
      },
    }) as Client
  }
}

/** Fails when an audited model's table has no capture trigger: such writes would go unrecorded. */
async function checkCapture(base: BasePrismaClient, audited: readonly PrismaModelTable[]): Promise<void> {
  if (audited.length === 0) return
  let rows: Array<{ schema: string; names: string[] }>
  try {
    rows = (await base.$queryRawUnsafe(
      'SELECT current_schema() AS schema, ARRAY(SELECT audit_trail.captured_table_names()) AS names',
    )) as Array<{ schema: string; names: string[] }>
  } catch (error) {
    throw new AuditConfigurationError(
      `audit-trail: cannot read the capture catalog (${(error as Error).message}). Apply the sql/ migrations first (audit-trail migrate).`,
      { cause: error },
    )
  }
  const { schema, names } = rows[0] ?? { schema: 'public', names: [] }
  const captured = new Set(names)
  const missing = audited.filter((table) => !captured.has(table.table.includes('.') ? table.table : `${schema}.${table.table}`))
  if (missing.length > 0) {
    throw new AuditConfigurationError(
      `audit-trail: capture is not enabled for ${missing.map((t) => `${t.model} (${t.table})`).join(', ')}, so their writes ` +
        'would go unrecorded. Run enablePrismaCapture(prisma, options) as the log owner, or exclude those models. Nothing was written.',
    )
  }
}

function rawSqlText(args: unknown): string {
  if (Array.isArray(args)) {
    const first = args[0] as unknown
    if (typeof first === 'string') return first
    if (first && typeof first === 'object' && 'strings' in first) return String((first as { strings: string[] }).strings[0] ?? '')
  }
  if (args && typeof args === 'object' && 'strings' in args) return String((args as { strings: string[] }).strings[0] ?? '')
  return ''
}

/**
 * Enables database capture for every audited model of `prisma`, with the plugin's model options
 * (resource type, name column, ignore, redact, toggle). Run it as the role that owns the log —
 * at deploy time, not on every start. Idempotent. Returns the tables it enabled.
 */
export async function enablePrismaCapture(prisma: object, options: AuditPluginOptions = {}): Promise<string[]> {
  const client = prisma as BasePrismaClient
  const recorder = new AuditRecorder(options)
  const tables = readModelTables(client._runtimeDataModel)
  recorder.assertKnownModels(tables.keys())
  const enabled: string[] = []
  for (const table of tables.values()) {
    if (!recorder.isAudited(table.model)) continue
    const capture = captureOptionsFor(table, options)
    // $executeRaw: enable_capture returns void, which $queryRaw cannot deserialize.
    await client.$executeRawUnsafe(
      ENABLE_CAPTURE_SQL,
      table.table,
      capture.resourceType ?? null,
      capture.nameColumn ?? null,
      capture.ignore ?? null,
      capture.redact ?? null,
      capture.toggle === false ? '' : (capture.toggle ?? null),
    )
    enabled.push(table.table)
  }
  return enabled
}
