import { auditContextSetting, type AuditContext, type AuditedModel, type AuditRecorder, type Row, type RowChange } from '@audit-trail/core'
import { Op, type Model, type Sequelize, type Transaction, type WhereOptions } from 'sequelize'
import type { CaptureHandoff } from './capture-handoff.js'
import { keyOf, modelColumns, rowOf, type ModelColumns } from './model-columns.js'
import { lockRows, readRowsByKey } from './row-reader.js'
import { sequelizeExecutor } from './sequelize-executor.js'
import { currentValues, previousValues, type AnyModelStatic } from './sequelize-internals.js'

/** The hook options fields the plugin reads; Sequelize passes one object per call. */
export interface HookOptions {
  transaction?: Transaction | null
  logging?: unknown
  individualHooks?: boolean
  where?: WhereOptions
  model?: AnyModelStatic
  force?: boolean
  returning?: unknown
  instance?: Model
  [BULK_CREATED]?: ReadonlySet<Model>
}

interface Target {
  readonly model: AnyModelStatic
  readonly columns: ModelColumns
  readonly audited: AuditedModel
}

interface BulkState {
  readonly target: Target
  readonly context: AuditContext | undefined
  readonly before: Row[]
}

// bulkCreate with individualHooks saves each instance with a spread copy of its options, so the
// instances it manages are marked on the options themselves (spread and Sequelize's cloneDeep
// keep symbol keys). Only instances in the set are skipped: forwarding the options elsewhere
// does not silence other writes.
const BULK_CREATED: unique symbol = Symbol('audit-trail.bulkCreated')

/**
 * The hook bodies. Instance operations are recorded from the instance (old values are the values
 * it was loaded with); bulk operations lock and read the affected rows in `before*` and write all
 * entries in `after*`, a constant number of statements per call. Every statement runs in the
 * change's own transaction (`options.transaction`, which Sequelize fills from CLS).
 *
 * A model whose table has database capture triggers is recorded by those triggers only: its
 * `before*` hook hands the context to them (`set_config`, in the write's transaction, before the
 * write) and no hook reads old rows or writes entries for it.
 */
export class AuditHooks {
  // Bulk calls pass the same options object to their before and after hooks (and, with
  // individualHooks, to the per-instance hooks, which are then skipped).
  private readonly bulk = new WeakMap<object, BulkState>()
  private readonly snapshots = new WeakMap<Model, Row>()
  /** Instances whose row no longer existed when their update or destroy locked it: no entry. */
  private readonly gone = new WeakSet<Model>()
  // The instance's previous values as they were when the app called save/destroy/restore:
  // Sequelize's set() overwrites `_previousDataValues` when a hook sets a changed field again.
  private readonly previous = new WeakMap<Model, Record<string, unknown>>()

  constructor(
    private readonly sequelize: Sequelize,
    private readonly recorder: AuditRecorder,
    private readonly preparedStatements: boolean,
    private readonly capture: CaptureHandoff,
  ) {}

  target(model: AnyModelStatic | undefined): Target | null {
    if (!model || !this.recorder.isAudited(model.name)) return null
    const columns = modelColumns(this.sequelize, model)
    const audited = this.recorder.model(columns.descriptor)
    return audited ? { model, columns, audited } : null
  }

  // ---- single instances ----

  /** Called by the method wrappers on entry, before any hook of the app runs. */
  instanceCall = (instance: Model): void => {
    if (!instance.isNewRecord) this.previous.set(instance, { ...previousValues(instance) })
  }

  private previousRow(target: Target, instance: Model): Row {
    const previous = this.previous.get(instance) ?? previousValues(instance)
    this.previous.delete(instance)
    return rowOf(target.columns, previous)
  }

  beforeCreate = async (instance: Model, options: HookOptions): Promise<void> => {
    if (options[BULK_CREATED]?.has(instance)) return
    const target = this.target(modelOf(instance))
    if (target) await this.handOffIfCaptured(target, options, this.recorder.context(target.model.name, 'create'))
  }

  afterCreate = async (instance: Model, options: HookOptions): Promise<void> => {
    if (options[BULK_CREATED]?.has(instance)) return
    const target = this.target(modelOf(instance))
    if (!target || this.captured(target)) return
    const after = rowOf(target.columns, currentValues(instance))
    await this.record(target, options, this.recorder.context(target.model.name, 'create'), [
      { action: 'created', before: null, after },
    ])
  }

  beforeUpdate = async (instance: Model, options: HookOptions): Promise<void> => {
    if (this.bulk.has(options)) return
    const target = this.target(modelOf(instance))
    if (!target) return
    if (await this.handOffIfCaptured(target, options, this.recorder.context(target.model.name, 'update'))) return
    // RETURNING * costs no round trip and gives the values as stored (numeric scale, defaults,
    // triggers), not as the app set them.
    if (!options.returning) options.returning = true
    await this.lockInstance(target, instance, options)
  }

  afterUpdate = async (instance: Model, options: HookOptions): Promise<void> => {
    if (this.bulk.has(options)) return
    const target = this.target(modelOf(instance))
    if (!target || this.captured(target)) return
    const locked = this.snapshots.get(instance)
    this.snapshots.delete(instance)
    if (this.gone.delete(instance)) return // the UPDATE matched no row
    const previous = this.previousRow(target, instance)
    const before = locked ?? previous
    const after = rowOf(target.columns, currentValues(instance))
    await this.record(target, options, this.recorder.context(target.model.name, 'update'), [
      { action: 'updated', before, after },
    ])
  }

  beforeDestroy = async (instance: Model, options: HookOptions): Promise<void> => {
    if (this.bulk.has(options)) return
    const target = this.target(modelOf(instance))
    if (!target) return
    if (await this.handOffIfCaptured(target, options, this.recorder.context(target.model.name, 'destroy'))) return
    // A paranoid destroy saves deletedAt before afterDestroy runs, which overwrites the previous values.
    const previous = this.previousRow(target, instance)
    if (!(await this.lockInstance(target, instance, options))) this.snapshots.set(instance, previous)
  }

  afterDestroy = async (instance: Model, options: HookOptions): Promise<void> => {
    if (this.bulk.has(options)) return
    const target = this.target(modelOf(instance))
    const before = this.snapshots.get(instance)
    this.snapshots.delete(instance)
    if (this.gone.delete(instance)) return // the DELETE matched no row
    if (!target || !before) return
    const deletedAt = target.columns.deletedAt
    if (deletedAt && !options.force && before[deletedAt.column] != null) return // already soft-deleted: nothing changed
    await this.record(target, options, this.recorder.context(target.model.name, 'destroy'), [
      { action: 'deleted', before, after: null },
    ])
  }

  beforeRestore = async (instance: Model, options: HookOptions): Promise<void> => {
    if (this.bulk.has(options)) return
    const target = this.target(modelOf(instance))
    if (!target) return
    if (await this.handOffIfCaptured(target, options, this.recorder.context(target.model.name, 'restore'))) return
    this.snapshots.set(instance, this.previousRow(target, instance))
  }

  afterRestore = async (instance: Model, options: HookOptions): Promise<void> => {
    if (this.bulk.has(options)) return
    const target = this.target(modelOf(instance))
    const before = this.snapshots.get(instance)
    this.snapshots.delete(instance)
    if (this.gone.delete(instance)) return // the DELETE matched no row
    if (!target || !before) return
    const deletedAt = target.columns.deletedAt
    if (deletedAt && before[deletedAt.column] == null) return // was not deleted: nothing restored
    const after = rowOf(target.columns, currentValues(instance))
    await this.record(target, options, this.recorder.context(target.model.name, 'restore'), [
      { action: 'restored', before, after },
    ])
  }

  // ---- bulk ----

  beforeBulkCreate = async (instances: Model[], options: HookOptions): Promise<void> => {
    const target = this.target(options.model)
    if (!target) return
    if (await this.handOffIfCaptured(target, options, this.recorder.context(target.model.name, 'bulkCreate'))) return
    // Without RETURNING, pg gives back neither generated keys nor defaults for the entries.
    if (!options.returning) options.returning = true
    if (options.individualHooks) options[BULK_CREATED] = new Set(instances)
  }

  afterBulkCreate = async (instances: readonly Model[], options: HookOptions): Promise<void> => {
    const target = this.target(options.model)
    if (!target || this.captured(target)) return
    const changes = instances.map((instance): RowChange => ({
      action: 'created',
      before: null,
      after: rowOf(target.columns, currentValues(instance)),
    }))
    await this.record(target, options, this.recorder.context(target.model.name, 'bulkCreate'), changes)
  }

  beforeBulkUpdate = async (options: HookOptions): Promise<void> => {
    // Model.update has already added the paranoid `deletedAt IS NULL` clause to `where`.
    await this.lockBulk(options, 'update', options.where)
  }

  afterBulkUpdate = async (options: HookOptions): Promise<void> => {
    await this.recordBulkChange(options, 'updated')
  }

  beforeBulkDestroy = async (options: HookOptions): Promise<void> => {
    const target = this.target(options.model)
    const deletedAt = target?.columns.deletedAt
    // Model.destroy adds `deletedAt IS NULL` for a soft delete only after this hook.
    const where =
      deletedAt && !options.force
        ? ({ [Op.and]: [options.where ?? {}, { [deletedAt.attribute]: null }] } as WhereOptions)
        : options.where
    await this.lockBulk(options, 'destroy', where)
  }

  afterBulkDestroy = async (options: HookOptions): Promise<void> => {
    const state = this.bulk.get(options)
    this.bulk.delete(options)
    if (!state) return
    const changes = state.before.map((before): RowChange => ({ action: 'deleted', before, after: null }))
    await this.record(state.target, options, state.context, changes)
  }

  beforeBulkRestore = async (options: HookOptions): Promise<void> => {
    await this.lockBulk(options, 'restore', options.where, (target, row) => {
      const deletedAt = target.columns.deletedAt
      return !deletedAt || row[deletedAt.column] != null
    })
  }

  afterBulkRestore = async (options: HookOptions): Promise<void> => {
    await this.recordBulkChange(options, 'restored')
  }

  // ---- upsert ----

  beforeUpsert = async (values: object, options: HookOptions): Promise<void> => {
    const target = this.target(options.model)
    if (!target) return
    const context = this.recorder.context(target.model.name, 'upsert')
    if (await this.handOffIfCaptured(target, options, context)) return
    const where = conflictWhere(target.model, options.instance ? currentValues(options.instance) : (values as Record<string, unknown>))
    const before = where
      ? await lockRows({ ...this.statementArgs(options), model: target.model, columns: target.columns, where })
      : []
    this.bulk.set(options, { target, context, before })
  }

  afterUpsert = async (result: readonly [Model, boolean | null], options: HookOptions): Promise<void> => {
    const state = this.bulk.get(options)
    this.bulk.delete(options)
    if (!state) return
    const after = rowOf(state.target.columns, currentValues(result[0]))
    const key = keyOf(state.target.columns, after)
    const before = state.before.find((row) => keyOf(state.target.columns, row) === key) ?? null
    await this.record(state.target, options, state.context, [
      before ? { action: 'updated', before, after } : { action: 'created', before: null, after },
    ])
  }

  // ---- shared ----

  /**
   * Locks and reads the instance's row in the write's transaction, before the write, as the
   * entry's old values. The instance's own previous values are what the app loaded, possibly
   * long ago: another request may have changed the row since, and the entry would then show
   * an old value the row never had just before this change. Returns false when the row is gone.
   */
  private async lockInstance(target: Target, instance: Model, options: HookOptions): Promise<boolean> {
    if (!options.transaction) return false
    const previous = this.previous.get(instance) ?? previousValues(instance)
    const where = Object.fromEntries(target.model.primaryKeyAttributes.map((attribute) => [attribute, previous[attribute] ?? instance.get(attribute)]))
    const [row] = await lockRows({ ...this.statementArgs(options), model: target.model, columns: target.columns, where: where as WhereOptions })
    if (!row) {
      // Another statement or transaction removed the row: the write will change nothing.
      this.gone.add(instance)
      return false
    }
    this.snapshots.set(instance, row)
    return true
  }

  private async lockBulk(
    options: HookOptions,
    operation: string,
    where: WhereOptions | undefined,
    keep?: (target: Target, row: Row) => boolean,
  ): Promise<void> {
    const target = this.target(options.model)
    if (!target) return
    const context = this.recorder.context(target.model.name, operation)
    if (await this.handOffIfCaptured(target, options, context)) return
    const rows = await lockRows({ ...this.statementArgs(options), model: target.model, columns: target.columns, where })
    this.bulk.set(options, { target, context, before: keep ? rows.filter((row) => keep(target, row)) : rows })
  }

  private async recordBulkChange(options: HookOptions, action: 'updated' | 'restored'): Promise<void> {
    const state = this.bulk.get(options)
    this.bulk.delete(options)
    if (!state || state.before.length === 0) return
    const { columns } = state.target
    const afterRows = await readRowsByKey({ ...this.statementArgs(options), columns, keys: state.before })
    const afterByKey = new Map(afterRows.map((row) => [keyOf(columns, row), row]))
    const changes: RowChange[] = []
    for (const before of state.before) {
      const after = afterByKey.get(keyOf(columns, before))
      if (after) changes.push({ action, before, after })
    }
    await this.record(state.target, options, state.context, changes)
  }

  /**
   * For a model whose table is captured: hands `context` to the capture triggers in the write's
   * transaction and returns true (the caller then records nothing). Reads the capture catalog
   * in that same transaction the first time.
   */
  private async handOffIfCaptured(target: Target, options: HookOptions, context: AuditContext | undefined): Promise<boolean> {
    const executor = sequelizeExecutor(this.sequelize, options, false)
    await this.capture.load(executor)
    if (!this.captured(target)) return false
    // ensureTransaction gives every audited write a transaction; without one a transaction-local
    // setting would end with its own statement, so there is nothing to hand over.
    if (options.transaction) {
      await this.capture.handOff({ executor, transaction: options.transaction, setting: auditContextSetting(context, this.recorder.options.logName) })
    }
    return true
  }

  private captured(target: Target): boolean {
    return this.capture.isCaptured(target.columns.descriptor.table, target.columns.schema)
  }

  private statementArgs(options: HookOptions) {
    return { sequelize: this.sequelize, executor: sequelizeExecutor(this.sequelize, options, false) }
  }

  private async record(
    target: Target,
    options: HookOptions,
    context: AuditContext | undefined,
    changes: readonly RowChange[],
  ): Promise<void> {
    if (changes.length === 0) return
    await this.recorder.record({
      executor: sequelizeExecutor(this.sequelize, options, this.preparedStatements),
      model: target.audited,
      changes,
      context,
    })
  }
}

function modelOf(instance: Model): AnyModelStatic {
  return instance.constructor as AnyModelStatic
}

/**
 * The rows an upsert can conflict with: its primary key, else its unique attributes, when the
 * values hold all of their fields (the keys Sequelize's own upsert picks its conflict target from).
 */
function conflictWhere(model: AnyModelStatic, values: Record<string, unknown>): WhereOptions | null {
  const present = (attributes: readonly string[]) =>
    attributes.length > 0 && attributes.every((attribute) => values[attribute] !== undefined && values[attribute] !== null)
  const keys: string[][] = []
  if (present(model.primaryKeyAttributes)) keys.push([...model.primaryKeyAttributes])
  const groups = new Map<string, string[]>()
  for (const [attribute, definition] of Object.entries(model.getAttributes())) {
    const unique = definition.unique
    if (!unique) continue
    const name = typeof unique === 'string' ? unique : typeof unique === 'object' ? unique.name ?? attribute : attribute
    groups.set(name, [...(groups.get(name) ?? []), attribute])
  }
  for (const attributes of groups.values()) if (present(attributes)) keys.push(attributes)
  if (keys.length === 0) return null
  const conditions = keys.map((attributes) => Object.fromEntries(attributes.map((attribute) => [attribute, values[attribute]])))
  return (conditions.length === 1 ? conditions[0] : { [Op.or]: conditions }) as WhereOptions
}
