import { AsyncLocalStorage } from 'node:async_hooks'
import { writeEntries, type AuditContext, type AuditRecorder, type RowChange } from '@audit-trail/core'
import { LockMode, type EntityManager, type EntityMetadata } from '@mikro-orm/core'
import { entityColumns, rowFromDatabase } from './entity-columns.js'
import { NativeWriteNotAuditedError } from './native-write-error.js'
import { transactionExecutor, type KyselyLike } from './transaction-executor.js'

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

const WRITE_STATEMENT = /^\s*(?:insert\s+into|update|delete\s+from|merge\s+into)\s+((?:"(?:[^"]|"")+"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[\w$]+))?)/i

/**
 * Everything MikroORM writes goes through five driver methods and, below them, the write
 * connection's `execute`. The guard wraps those on the driver instance: writes of the unit of
 * work (recognised by their change set payloads) pass; `em.nativeUpdate` / `em.nativeDelete`
 * (recognised by the `em` the EntityManager passes along) are audited; any other write to an
 * audited table is rejected before it runs, unless `rejectUnaudited` is off.
 */
export class NativeWriteGuard {
  private readonly trusted = new AsyncLocalStorage<true>()
  private readonly flushPayloads = new WeakSet<object>()
  private readonly installed = new WeakSet<object>()
  private auditedTables: Map<string, string> | undefined

  constructor(
    private readonly args: {
      readonly recorder: AuditRecorder
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
      fromFlush(data) ? this.trust$(() => original.nativeInsert(entityName, data, options)) : this.unaudited(driver, entityName, 'em.insert', () => original.nativeInsert(entityName, data, options))
    driver.nativeInsertMany = (entityName, data, options) =>
      fromFlush(data) ? this.trust$(() => original.nativeInsertMany(entityName, data, options)) : this.unaudited(driver, entityName, 'em.insertMany', () => original.nativeInsertMany(entityName, data, options))
    driver.nativeUpdateMany = (entityName, where, data, options) =>
      fromFlush(data) ? this.trust$(() => original.nativeUpdateMany(entityName, where, data, options)) : this.unaudited(driver, entityName, 'em.upsertMany', () => original.nativeUpdateMany(entityName, where, data, options))
    driver.nativeUpdate = (entityName, where, data, options) => {
      if (fromFlush(data)) return this.trust$(() => original.nativeUpdate(entityName, where, data, options))
      const native = (options ?? {}) as NativeOptions
      if (native.em && !native.upsert) {
        return this.auditNative(driver, { action: 'updated', entityName, where, options: native, run: (o) => original.nativeUpdate(entityName, where, data, o) })
      }
      return this.unaudited(driver, entityName, 'em.upsert', () => original.nativeUpdate(entityName, where, data, options))
    }
    driver.nativeDelete = (entityName, where, options) => {
      const native = (options ?? {}) as NativeOptions
      // The unit of work deletes without passing an EntityManager; em.nativeDelete passes its own.
      if (!native.em) return this.trust$(() => original.nativeDelete(entityName, where, options))
      return this.auditNative(driver, { action: 'deleted', entityName, where, options: native, run: (o) => original.nativeDelete(entityName, where, o) })
    }

    const connection = driver.getConnection('write')
    const execute = connection.execute.bind(connection)
    connection.execute = (sql, ...rest) => {
      if (this.args.rejectUnaudited && !this.trusted.getStore() && typeof sql === 'string') {
        const table = this.writtenAuditedTable(driver, sql)
        if (table) return Promise.reject(NativeWriteNotAuditedError.forWrite({ table, via: 'QueryBuilder or raw SQL' }))
      }
      return execute(sql, ...rest)
    }
  }

  private isFlushPayload(value: unknown): boolean {
    return value !== null && typeof value === 'object' && this.flushPayloads.has(value)
  }

  private trust$<T>(fn: () => Promise<T>): Promise<T> {
    return this.trusted.run(true, fn)
  }

  private unaudited<T>(driver: GuardedDriver, entityName: unknown, via: string, run: () => Promise<T>): Promise<T> {
    const meta = driver.getMetadata().find(entityName)
    if (this.args.rejectUnaudited && meta && this.args.recorder.model(entityColumns(meta).descriptor)) {
      return Promise.reject(NativeWriteNotAuditedError.forWrite({ table: meta.tableName, via }))
    }
    return this.trust$(run)
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

  private writtenAuditedTable(driver: GuardedDriver, sql: string): string | null {
    const match = WRITE_STATEMENT.exec(sql)
    if (!match) return null
    const name = match[1]!.split('.').pop()!.trim().replace(/^"|"$/g, '').replace(/""/g, '"')
    if (!this.auditedTables) {
      this.auditedTables = new Map()
      for (const meta of driver.getMetadata().getAll().values()) {
        if (meta.tableName && this.args.recorder.model(entityColumns(meta).descriptor)) this.auditedTables.set(meta.tableName, meta.className)
      }
    }
    return this.auditedTables.has(name) ? name : null
  }
}

function propertyOf(meta: EntityMetadata, column: string): string {
  return meta.props.find((prop) => prop.fieldNames?.length === 1 && prop.fieldNames[0] === column)?.name ?? column
}

function keyText(primaryKey: readonly string[], row: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(primaryKey.map((column) => String(row[column])))
}
