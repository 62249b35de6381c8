import { AsyncLocalStorage } from 'node:async_hooks'
import {
  auditContextSetting,
  getAuditContext,
  mergeAuditContexts,
  writeEntries,
  type AuditContext,
  type AuditRecorder,
  type RowChange,
} from '@audit-trail/core'
import { LockMode, type EntityManager, type EntityMetadata } from '@mikro-orm/core'
import { AUDIT_CONTEXT_KEY } from './audit-fork-options.js'
import { entityTable, type CaptureHandoff, type TableName } from './capture-handoff.js'
import { entityColumns, rowFromDatabase } from './entity-columns.js'
import { NativeWriteNotAuditedError } from './native-write-error.js'
import { isKyselyLike, transactionExecutor, type KyselyLike } from './transaction-executor.js'

type DriverMethod = (...args: unknown[]) => Promise<unknown>

interface RawQueryBuilder {
  select(fields: string): RawQueryBuilder
  where(cond: unknown): RawQueryBuilder
  setLockMode(mode: LockMode): RawQueryBuilder
  execute(method: 'all', mapResults: false): Promise<Array<Record<string, unknown>>>
}

interface GuardedConnection {
  execute: DriverMethod
  transactional<T>(cb: (trx: KyselyLike) => Promise<T>): Promise<T>
}

/** The parts of MikroORM's SQL driver the guard wraps and uses (structural: no driver import). */
export interface GuardedDriver {
  nativeInsert: DriverMethod
  nativeInsertMany: DriverMethod
  nativeUpdate: DriverMethod
  nativeUpdateMany: DriverMethod
  nativeDelete: DriverMethod
  getConnection(type?: 'read' | 'write'): GuardedConnection
  getMetadata(): { find(entityName: unknown): EntityMetadata | undefined; getAll(): Map<unknown, EntityMetadata> }
  createQueryBuilder(entityName: unknown, ctx: unknown, type: 'write', convertCustomTypes: boolean): RawQueryBuilder
}

interface NativeOptions {
  em?: EntityManager
  ctx?: KyselyLike
  upsert?: boolean
}

const WRITE_STATEMENT = /^\s*(?:insert\s+into|update(?:\s+only)?|delete\s+from(?:\s+only)?|merge\s+into)\s+((?:"(?:[^"]|"")+"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[\w$]+))?)/i
const WRITING_SQL = /^\s*(?:insert|update|delete|merge|with|truncate|call)\b/i

/**
 * Everything MikroORM writes goes through five driver methods and, below them, the write
 * connection's `execute`. The guard wraps those on the driver instance: writes of the unit of
 * work (recognised by their change set payloads) pass; `em.nativeUpdate` / `em.nativeDelete`
 * (recognised by the `em` the EntityManager passes along) are audited; any other write to an
 * audited table is rejected before it runs, unless `rejectUnaudited` is off.
 *
 * On a table with database capture, the triggers record every write, so none is rejected: each
 * gets the context instead (`set_config` in its transaction, one opened for it if it has none).
 */
export class NativeWriteGuard {
  private readonly trusted = new AsyncLocalStorage<true>()
  private readonly flushPayloads = new WeakSet<object>()
  private readonly installed = new WeakSet<object>()
  private auditedTables: Map<string, EntityMetadata> | undefined

  constructor(
    private readonly args: {
      readonly recorder: AuditRecorder
      readonly capture: CaptureHandoff
      readonly rejectUnaudited: boolean
      readonly contextFor: (em: EntityManager, model: string, operation: string) => AuditContext | undefined
    },
  ) {}

  /** Marks a change set payload as the unit of work's own, so its write passes. */
  trust(payload: object): void {
    this.flushPayloads.add(payload)
  }

  install(driver: GuardedDriver): void {
    if (this.installed.has(driver)) return
    this.installed.add(driver)
    const original = {
      nativeInsert: driver.nativeInsert.bind(driver),
      nativeInsertMany: driver.nativeInsertMany.bind(driver),
      nativeUpdate: driver.nativeUpdate.bind(driver),
      nativeUpdateMany: driver.nativeUpdateMany.bind(driver),
      nativeDelete: driver.nativeDelete.bind(driver),
    }
    const fromFlush = (data: unknown): boolean =>
      Array.isArray(data) ? data.every((item) => this.isFlushPayload(item)) : this.isFlushPayload(data)

    driver.nativeInsert = (entityName, data, options) =>
      fromFlush(data)
        ? this.trust$(() => original.nativeInsert(entityName, data, options))
        : this.unaudited(driver, { entityName, via: 'em.insert', options, run: (o) => original.nativeInsert(entityName, data, o) })
    driver.nativeInsertMany = (entityName, data, options) =>
      fromFlush(data)
        ? this.trust$(() => original.nativeInsertMany(entityName, data, options))
        : this.unaudited(driver, { entityName, via: 'em.insertMany', options, run: (o) => original.nativeInsertMany(entityName, data, o) })
    driver.nativeUpdateMany = (entityName, where, data, options) =>
      fromFlush(data)
        ? this.trust$(() => original.nativeUpdateMany(entityName, where, data, options))
        : this.unaudited(driver, { entityName, via: 'em.upsertMany', options, run: (o) => original.nativeUpdateMany(entityName, where, data, o) })
    driver.nativeUpdate = (entityName, where, data, options) => {
      if (fromFlush(data)) return this.trust$(() => original.nativeUpdate(entityName, where, data, options))
      const native = (options ?? {}) as NativeOptions
      if (native.em && !native.upsert) {
        return this.auditNative(driver, { action: 'updated', entityName, where, options: native, run: (o) => original.nativeUpdate(entityName, where, data, o) })
      }
      return this.unaudited(driver, { entityName, via: 'em.upsert', options, run: (o) => original.nativeUpdate(entityName, where, data, o) })
    }
    driver.nativeDelete = (entityName, where, options) => {
      const native = (options ?? {}) as NativeOptions
      // The unit of work deletes without passing an EntityManager; em.nativeDelete passes its own.
      if (!native.em) return this.trust$(() => original.nativeDelete(entityName, where, options))
      return this.auditNative(driver, { action: 'deleted', entityName, where, options: native, run: (o) => original.nativeDelete(entityName, where, o) })
    }

    const connection = driver.getConnection('write')
    const execute = connection.execute.bind(connection)
    connection.execute = (sql, params, method, ctx, loggerContext) => {
      if (this.trusted.getStore() || typeof sql !== 'string' || !WRITING_SQL.test(sql)) return execute(sql, params, method, ctx, loggerContext)
      return this.rawWrite(driver, { sql, context: rawContext(loggerContext), ctx, run: (trx) => execute(sql, params, method, trx, loggerContext) })
    }
  }

  /**
   * A QueryBuilder or raw SQL write (`em.execute`, `qb.execute`). Captured table: runs with the
   * context of runWithAuditContext handed to the triggers (none outside it: the triggers then
   * record the database role). Audited table without capture: rejected. Anything else passes.
   * A statement whose table cannot be read from its text (CTE, TRUNCATE, CALL) gets the context
   * when there is one.
   */
  private rawWrite(
    driver: GuardedDriver,
    args: {
      readonly sql: string
      readonly context: AuditContext | undefined
      readonly ctx: unknown
      readonly run: (ctx: unknown) => Promise<unknown>
    },
  ): Promise<unknown> {
    const { capture, rejectUnaudited } = this.args
    const table = writtenTable(args.sql)
    const audited = table ? this.auditedEntity(driver, table) : undefined
    const reject = () => NativeWriteNotAuditedError.forWrite({ table: table!.name, via: 'QueryBuilder or raw SQL' })
    if (!args.context && !(audited && rejectUnaudited)) return args.run(args.ctx)
    if (table && capture.known && !capture.isCaptured(table)) {
      return audited && rejectUnaudited ? Promise.reject(reject()) : args.run(args.ctx)
    }
    if (table && capture.known && !args.context) return args.run(args.ctx)
    return this.inTransaction(driver, args.ctx, async (trx) => {
      await capture.load(trx)
      const captured = table !== null && capture.isCaptured(table)
      if (audited && !captured && rejectUnaudited) throw reject()
      if (args.context && (captured || !table)) {
        await capture.handOff(trx, auditContextSetting(args.context, this.args.recorder.options.logName))
      }
      return args.run(trx)
    })
  }

  /** Runs `work` in `ctx` (the caller's transaction), or in a transaction opened for it. */
  private inTransaction<T>(driver: GuardedDriver, ctx: unknown, work: (trx: KyselyLike) => Promise<T>): Promise<T> {
    if (isKyselyLike(ctx)) return work(ctx)
    return driver.getConnection('write').transactional(work)
  }

  private isFlushPayload(value: unknown): boolean {
    return value !== null && typeof value === 'object' && this.flushPayloads.has(value)
  }

  private trust$<T>(fn: () => Promise<T>): Promise<T> {
    return this.trusted.run(true, fn)
  }

  /**
   * `em.insert*` / `em.upsert*` on an entity: rejected on an audited table without capture (the
   * unit of work never sees them), run with the context handed to the triggers on a captured one.
   */
  private unaudited<T>(
    driver: GuardedDriver,
    args: { readonly entityName: unknown; readonly via: string; readonly options: unknown; readonly run: (options: unknown) => Promise<T> },
  ): Promise<T> {
    const { capture, recorder, rejectUnaudited } = this.args
    const meta = driver.getMetadata().find(args.entityName)
    if (!meta || !recorder.model(entityColumns(meta).descriptor)) return this.trust$(() => args.run(args.options))
    const table = entityTable(meta)
    const reject = () => NativeWriteNotAuditedError.forWrite({ table: meta.tableName, via: args.via })
    if (capture.known && !capture.isCaptured(table)) {
      return rejectUnaudited ? Promise.reject(reject()) : this.trust$(() => args.run(args.options))
    }
    const native = (args.options ?? {}) as NativeOptions
    // Read (and, with requireContext, enforce) the context before anything is sent.
    const context = native.em ? this.args.contextFor(native.em, meta.className, args.via) : recorder.context(meta.className, args.via)
    return this.inTransaction(driver, native.ctx, async (ctx) => {
      await capture.load(ctx)
      if (!capture.isCaptured(table)) {
        if (rejectUnaudited) throw reject()
      } else {
        await capture.handOff(ctx, auditContextSetting(context, recorder.options.logName))
      }
      return this.trust$(() => args.run({ ...native, ctx }))
    })
  }

  /**
   * em.nativeUpdate / em.nativeDelete: lock and read the matching rows, run the statement, read
   * the updated rows back, and write one entry per changed row, all in one transaction (the
   * caller's, or one opened here).
   */
  private async auditNative(
    driver: GuardedDriver,
    args: {
      readonly action: 'updated' | 'deleted'
      readonly entityName: unknown
      readonly where: unknown
      readonly options: NativeOptions
      readonly run: (options: NativeOptions) => Promise<unknown>
    },
  ): Promise<unknown> {
    const meta = driver.getMetadata().find(args.entityName)
    const columns = meta ? entityColumns(meta) : null
    const model = columns ? this.args.recorder.model(columns.descriptor) : null
    if (!meta || !columns || !model) return this.trust$(() => args.run(args.options))
    const operation = args.action === 'updated' ? 'nativeUpdate' : 'nativeDelete'
    const context = this.args.contextFor(args.options.em!, meta.className, operation)
    const primaryKey = columns.descriptor.primaryKey

    const work = async (ctx: KyselyLike): Promise<unknown> => {
      await this.args.capture.load(ctx)
      if (this.args.capture.isCaptured(entityTable(meta))) {
        // The triggers record every row with its old values: no lock, no read, no entry here.
        await this.args.capture.handOff(ctx, auditContextSetting(context, this.args.recorder.options.logName))
        return this.trust$(() => args.run({ ...args.options, ctx }))
      }
      const read = (where: unknown) =>
        driver.createQueryBuilder(args.entityName, ctx, 'write', true).select('*').where(where).setLockMode(LockMode.PESSIMISTIC_WRITE).execute('all', false)
      const beforeRows = (await this.trust$(() => read(args.where))).map((row) => rowFromDatabase(columns, row))
      const result = await this.trust$(() => args.run({ ...args.options, ctx }))
      let changes: RowChange[]
      if (args.action === 'deleted') {
        changes = beforeRows.map((before) => ({ action: 'deleted', before, after: null }))
      } else {
        const after = new Map<string, Record<string, unknown>>()
        if (beforeRows.length > 0) {
          const keys = beforeRows.map((row) => Object.fromEntries(primaryKey.map((column) => [propertyOf(meta, column), row[column]])))
          const rows = await this.trust$(() => read(keys.length === 1 ? keys[0] : { $or: keys }))
          for (const row of rows) after.set(keyText(primaryKey, row), rowFromDatabase(columns, row))
        }
        changes = beforeRows.map((before) => ({ action: 'updated', before, after: after.get(keyText(primaryKey, before)) ?? before }))
      }
      await writeEntries(transactionExecutor(ctx), this.args.recorder.entries(model, changes, context))
      return result
    }
    if (args.options.ctx) return work(args.options.ctx)
    return driver.getConnection('write').transactional(work)
  }

  /** The audited entity mapped to `table`, if any. */
  private auditedEntity(driver: GuardedDriver, table: TableName): EntityMetadata | undefined {
    if (!this.auditedTables) {
      this.auditedTables = new Map()
      for (const meta of driver.getMetadata().getAll().values()) {
        if (meta.tableName && this.args.recorder.model(entityColumns(meta).descriptor)) this.auditedTables.set(meta.tableName, meta)
      }
    }
    const meta = this.auditedTables.get(table.name)
    return meta && (table.schema === undefined || entityTable(meta).schema === undefined || entityTable(meta).schema === table.schema) ? meta : undefined
  }
}

/** The table a single-table INSERT / UPDATE / DELETE / MERGE writes, or null (CTE, TRUNCATE, CALL). */
function writtenTable(sql: string): TableName | null {
  const match = WRITE_STATEMENT.exec(sql)
  if (!match) return null
  const parts = match[1]!.split(/\s*\.\s*/).map((part) => (part.startsWith('"') ? part.slice(1, -1).replace(/""/g, '"') : part.toLowerCase()))
  return parts.length === 2 ? { schema: parts[0], name: parts[1]! } : { name: parts[0]! }
}

/** A raw write's context: runWithAuditContext's over the one an EntityManager fork carries in its logger context. */
function rawContext(loggerContext: unknown): AuditContext | undefined {
  const fromEm = (loggerContext as Record<string, unknown> | undefined)?.[AUDIT_CONTEXT_KEY] as AuditContext | undefined
  const fromAls = getAuditContext()
  if (fromEm && fromAls) return mergeAuditContexts(fromEm, fromAls)
  return fromAls ?? fromEm
}


function propertyOf(meta: EntityMetadata, column: string): string {
  return meta.props.find((prop) => prop.fieldNames?.length === 1 && prop.fieldNames[0] === column)?.name ?? column
}

function keyText(primaryKey: readonly string[], row: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(primaryKey.map((column) => String(row[column])))
}
