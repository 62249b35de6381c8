import {
  AuditRecorder,
  auditContextSetting,
  getAuditContext,
  mergeAuditContexts,
  writeEntries,
  type ActivityLogRow,
  type AuditContext,
  type AuditedModel,
  type RowChange,
} from '@audit-trail/core'
import type {
  ChangeSet,
  EntityManager,
  EntityMetadata,
  EventSubscriber,
  FlushEventArgs,
  MikroORM,
  TransactionEventArgs,
  UnitOfWork,
} from '@mikro-orm/core'
import { auditContextOfEntityManager } from './audit-fork-options.js'
import { CaptureHandoff, entityTable } from './capture-handoff.js'
import { entityColumns, rowFromDatabase, snapshotRow, type EntityColumns } from './entity-columns.js'
import type { MikroOrmAuditOptions } from './mikro-orm-audit-options.js'
import { NativeWriteGuard, type GuardedDriver } from './native-write-guard.js'
import { isKyselyLike, transactionExecutor, type KyselyLike } from './transaction-executor.js'

/** One audited change set seen in onFlush, completed with generated keys when it is written. */
interface CapturedChange {
  readonly model: AuditedModel
  readonly columns: EntityColumns
  readonly action: RowChange['action']
  readonly changeSet: ChangeSet<object>
  /**
   * The row before the flush (updates, deletes), taken before MikroORM replaces its snapshot;
   * replaced by the row as locked in the flush's transaction (see `lockBefore`).
   */
  before: Readonly<Record<string, unknown>> | null
  /**
   * Set by `lockBefore` when the row to update or delete no longer exists in the database (a
   * native delete or another transaction removed it): the statement changes nothing, so no entry.
   */
  gone?: boolean
}

interface PendingFlush {
  readonly changes: readonly CapturedChange[]
  readonly context: AuditContext | undefined
  /** Set once the context went to the capture triggers (or none of the changes needed it). */
  handedOff: boolean
}

interface WrappedEntity {
  __originalEntityData?: Record<string, unknown>
  getPrimaryKey(): unknown
}

/**
 * Records every create, update and delete that `em.flush()` writes (cascades and collection
 * changes included) in `audit_trail.activity_log`, in the flush's own transaction, plus
 * `em.nativeUpdate` / `em.nativeDelete`. Writes that bypass the unit of work otherwise are
 * rejected on audited tables (see `unauditedWrites`).
 *
 * Tables with database capture enabled (`audit_trail.enable_capture`) are recorded by their
 * triggers instead: the subscriber hands them the context (`set_config`) in the write's
 * transaction before the write, for flushes, native writes, QueryBuilder and `em.execute`
 * writes (the last two only inside `runWithAuditContext`), and writes no entry of its own.
 * The list of captured tables is read on the first write; see `refreshCapturedTables()`.
 *
 * @example
 * ```ts
 * import { AuditSubscriber } from '@audit-trail/mikro-orm'
 * const audit = new AuditSubscriber({ models: { Item: { resourceType: 'item', name: 'name' } } })
 * const orm = await MikroORM.init({ ...config, subscribers: [audit], extensions: [audit] })
 * ```
 */
export class AuditSubscriber implements EventSubscriber {
  readonly recorder: AuditRecorder
  private readonly contextFromEm: MikroOrmAuditOptions['contextFromEntityManager']
  private readonly guard: NativeWriteGuard
  private readonly pending = new WeakMap<UnitOfWork, PendingFlush>()
  private readonly capture = new CaptureHandoff()
  private checkedModels = false

  constructor(options: MikroOrmAuditOptions = {}) {
    const { contextFromEntityManager, unauditedWrites, ...shared } = options
    this.recorder = new AuditRecorder(shared)
    this.contextFromEm = contextFromEntityManager ?? auditContextOfEntityManager
    if (unauditedWrites !== undefined && unauditedWrites !== 'reject' && unauditedWrites !== 'allow') {
      throw new TypeError(`audit-trail: unauditedWrites must be 'reject' or 'allow', got ${String(unauditedWrites)}.`)
    }
    this.guard = new NativeWriteGuard({
      recorder: this.recorder,
      capture: this.capture,
      rejectUnaudited: unauditedWrites !== 'allow',
      contextFor: (em, model, operation) => this.contextFor(em, model, operation),
    })
  }

  /**
   * Makes the subscriber read the list of captured tables again, on the next write (inside that
   * write's transaction when it has one). Call it after `enable_capture` / `disable_capture` on
   * a running app; a restart does the same. Sends no query itself.
   */
  refreshCapturedTables(): void {
    this.capture.refresh()
  }

  /**
   * MikroORM extension hook (`extensions: [subscriber]`), called while the ORM is constructed:
   * guards native writes from the first query on, not only from the first flush.
   */
  register(orm: Pick<MikroORM, 'driver'>): void {
    this.guard.install(orm.driver as unknown as GuardedDriver)
  }

  async onFlush(args: FlushEventArgs): Promise<void> {
    const { em, uow } = args
    if (!this.checkedModels) {
      this.recorder.assertKnownModels([...em.getMetadata().getAll().values()].map((meta) => meta.className))
      this.checkedModels = true
    }
    this.guard.install(em.getDriver() as unknown as GuardedDriver)
    const changes: CapturedChange[] = []
    let context: AuditContext | undefined
    let contextRead = false
    for (const changeSet of uow.getChangeSets() as Array<ChangeSet<object>>) {
      this.guard.trust(changeSet.payload)
      const columns = entityColumns(changeSet.meta as EntityMetadata)
      const model = this.recorder.model(columns.descriptor)
      if (!model) continue
      const action = actionOf(changeSet)
      // Read (and, with requireContext, enforce) the context here: onFlush runs before MikroORM
      // opens the flush transaction, so a rejection leaves nothing written.
      if (!contextRead) {
        context = this.contextFor(em, changeSet.meta.className, action === 'created' ? 'create' : action === 'updated' ? 'update' : 'delete')
        contextRead = true
      }
      const snapshot = action === 'created' ? null : (changeSet.originalEntity ?? wrapped(changeSet.entity).__originalEntityData ?? null)
      const before = snapshot ? snapshotRow(columns, snapshot as Record<string, unknown>, { fill: action === 'deleted', keyOf }) : null
      changes.push({ model, columns, action, changeSet, before })
    }
    if (changes.length === 0) {
      this.pending.delete(uow)
      return
    }
    const pending: PendingFlush = { changes, context, handedOff: false }
    this.pending.set(uow, pending)
    // Inside em.transactional / em.begin the flush writes in the caller's transaction, which is
    // open now; otherwise MikroORM opens the flush's own one next (afterTransactionStart).
    const transaction = em.getTransactionContext()
    if (isKyselyLike(transaction)) await this.handOff(pending, transaction)
  }

  /** The flush's own transaction has just begun: hand the context over before its first write. */
  async afterTransactionStart(args: TransactionEventArgs): Promise<void> {
    const pending = args.uow ? this.pending.get(args.uow) : undefined
    if (!pending || pending.handedOff || !isKyselyLike(args.transaction)) return
    try {
      await this.handOff(pending, args.transaction)
    } catch (error) {
      // MikroORM's begin() does not roll back when this event throws: the connection would stay
      // checked out, idle in an aborted transaction, for good. Roll back its own transaction
      // here (a savepoint is rolled back by the enclosing em.transactional) and rethrow.
      const transaction = args.transaction as { savepointName?: string; rollback?: () => { execute(): Promise<unknown> } }
      if (!transaction.savepointName && typeof transaction.rollback === 'function') await transaction.rollback().execute().catch(() => undefined)
      throw error
    }
  }

  /** The flush's own transaction when MikroORM opened one for it: write before it commits. */
  async beforeTransactionCommit(args: TransactionEventArgs): Promise<void> {
    const pending = args.uow ? this.pending.get(args.uow) : undefined
    if (!pending || !args.uow || !isKyselyLike(args.transaction)) return
    this.pending.delete(args.uow)
    await this.write(pending, args.transaction)
  }

  /** A flush inside `em.transactional` / `em.begin()`: the caller's transaction is still open here. */
  async afterFlush(args: FlushEventArgs): Promise<void> {
    const pending = this.pending.get(args.uow)
    if (!pending) return
    this.pending.delete(args.uow)
    const transaction = args.em.getTransactionContext()
    // Without a transaction (implicitTransactions: false) MikroORM autocommits each statement;
    // the entries then follow in their own statement.
    const target = isKyselyLike(transaction) ? transaction : (args.em.getConnection('write') as unknown as { getClient(): KyselyLike }).getClient()
    await this.write(pending, target)
  }

  afterTransactionRollback(args: TransactionEventArgs): void {
    if (args.uow) this.pending.delete(args.uow)
  }

  /** The context of a write by `em`: runWithAuditContext's over the one attached to the EntityManager. */
  contextFor(em: EntityManager, modelName: string, operation: string): AuditContext | undefined {
    const fromEm = this.contextFromEm ? (this.contextFromEm({ em }) ?? undefined) : undefined
    const fromAls = getAuditContext()
    if (fromEm && fromAls) return mergeAuditContexts(fromEm, fromAls)
    if (fromEm) return fromEm
    return this.recorder.context(modelName, operation)
  }

  /** Sends the flush's context to the capture triggers when any of its changes is on a captured table. */
  private async handOff(pending: PendingFlush, transaction: KyselyLike): Promise<void> {
    await this.capture.load(transaction)
    pending.handedOff = true
    await this.lockBefore(pending, transaction)
    if (!pending.changes.some((change) => this.isCaptured(change))) return
    await this.capture.handOff(transaction, auditContextSetting(pending.context, this.recorder.options.logName))
  }

  /**
   * Locks and reads, in the flush's transaction and before its writes, the rows it updates or
   * deletes, as the entries' old values: the entity's snapshot is what this EntityManager
   * loaded, possibly before another request changed the row. One statement per table.
   */
  private async lockBefore(pending: PendingFlush, transaction: KyselyLike): Promise<void> {
    const byTable = new Map<EntityColumns, CapturedChange[]>()
    for (const change of pending.changes) {
      if (change.action === 'created' || !change.before || this.isCaptured(change)) continue
      const list = byTable.get(change.columns) ?? []
      list.push(change)
      byTable.set(change.columns, list)
    }
    const executor = transactionExecutor(transaction)
    const quote = (name: string) => `"${name.replace(/"/g, '""')}"`
    for (const [columns, changes] of byTable) {
      const { descriptor } = columns
      const table = entityTable(changes[0]!.changeSet.meta)
      const quoted = table.schema ? `${quote(table.schema)}.${quote(table.name)}` : quote(table.name)
      const keyList = descriptor.primaryKey.map(quote).join(', ')
      const keyOfRow = (row: Readonly<Record<string, unknown>>) => JSON.stringify(descriptor.primaryKey.map((column) => String(row[column])))
      const keys = changes.map((change) => Object.fromEntries(descriptor.primaryKey.map((column) => [column, change.before![column]])))
      const { rows } = await executor.query(
        `SELECT ${descriptor.columns.map((c) => quote(c.column)).join(', ')} FROM ${quoted} WHERE (${keyList}) IN ` +
          `(SELECT ${keyList} FROM json_populate_recordset(NULL::${quoted}, $1::json)) FOR UPDATE`,
        [JSON.stringify(keys)],
      )
      // The driver hands timestamps back as text: read timestamptz as Date, as the entity holds
      // it; for other date/time columns keep the snapshot's value (its form depends on the entity).
      const dates = new Set<string>()
      const keepSnapshot = new Set<string>()
      for (const prop of changes[0]!.changeSet.meta.props) {
        const type = (prop.columnTypes?.[0] ?? '').toLowerCase()
        if (/^timestamptz|^timestamp.*with time zone/.test(type)) prop.fieldNames?.forEach((c) => dates.add(c))
        else if (/^(timestamp|date|time)/.test(type)) prop.fieldNames?.forEach((c) => keepSnapshot.add(c))
      }
      const locked = new Map(rows.map((row) => [keyOfRow(row), rowFromDatabase(columns, row)]))
      for (const change of changes) {
        const row = locked.get(keyOfRow(change.before!))
        if (!row) {
          change.gone = true
          continue
        }
        for (const column of dates) if (typeof row[column] === 'string') row[column] = new Date(row[column] as string)
        for (const column of keepSnapshot) row[column] = change.before![column] ?? null
        change.before = row
      }
    }
  }

  private isCaptured(change: CapturedChange): boolean {
    return this.capture.isCaptured(entityTable(change.changeSet.meta))
  }

  private async write(pending: PendingFlush, target: KyselyLike): Promise<void> {
    // Without a transaction (implicitTransactions: false) nothing has read the catalog yet.
    await this.capture.load(target)
    const byModel = new Map<AuditedModel, RowChange[]>()
    for (const change of pending.changes) {
      // Captured tables: their triggers wrote the entries, one per row.
      if (this.isCaptured(change) || change.gone) continue
      let list = byModel.get(change.model)
      if (!list) byModel.set(change.model, (list = []))
      list.push(rowChange(change))
    }
    const rows: ActivityLogRow[] = []
    for (const [model, changes] of byModel) rows.push(...this.recorder.entries(model, changes, pending.context))
    // One INSERT for every entry of the flush, whatever the number of entities and models.
    await writeEntries(transactionExecutor(target), rows)
  }
}

/** Completes a captured change with what the database assigned: keys after insert, resolved FKs. */
function rowChange(change: CapturedChange): RowChange {
  const { columns, changeSet, before } = change
  switch (change.action) {
    case 'created':
      return { action: 'created', before: null, after: snapshotRow(columns, changeSet.payload as Record<string, unknown>, { fill: true, keyOf }) }
    case 'updated':
      return {
        action: 'updated',
        before,
        after: { ...before, ...snapshotRow(columns, changeSet.payload as Record<string, unknown>, { fill: false, keyOf }) },
      }
    default:
      return { action: 'deleted', before, after: null }
  }
}

function actionOf(changeSet: ChangeSet<object>): RowChange['action'] {
  switch (changeSet.type) {
    case 'create':
      return 'created'
    case 'update':
    case 'update_early':
      return 'updated'
    default:
      return 'deleted'
  }
}

function wrapped(entity: object): WrappedEntity {
  return (entity as { __helper: WrappedEntity }).__helper
}

/** The key of a relation value still held as an object in a snapshot (an entity or an identifier). */
function keyOf(value: object): unknown {
  const identifier = value as { getValue?: () => unknown }
  if (typeof identifier.getValue === 'function') return identifier.getValue()
  const helper = (value as { __helper?: WrappedEntity }).__helper
  return helper ? helper.getPrimaryKey() : null
}
