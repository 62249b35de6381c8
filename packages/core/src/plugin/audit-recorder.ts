import { getAuditContext, type AuditContext } from '../context/audit-context.js'
import {
  DEFAULT_IGNORED_COLUMNS,
  DEFAULT_REDACT_PATTERN,
  DEFAULT_TOGGLE_COLUMNS,
  diffRows,
  type ColumnRules,
  type Row,
  type RowAction,
} from '../diff/diff-rows.js'
import type { ValueKind } from '../diff/encode-value.js'
import { AuditConfigurationError, MissingAuditContextError } from '../errors.js'
import type { ActivityLogRow } from '../writer/activity-log-row.js'
import { cleanText, contextColumns } from '../writer/context-columns.js'
import type { AuditExecutor } from '../writer/executor.js'
import { writeEntries } from '../writer/write-entries.js'
import type { AuditPluginOptions, ModelAuditOptions, ModelDescriptor } from './plugin-options.js'
import { formatResourceId } from './resource-id.js'

/** One row-level change an adapter saw, with rows keyed by database column names. */
export interface RowChange {
  action: RowAction
  before: Row | null
  after: Row | null
}

/** A model resolved against the plugin options: everything needed to turn its rows into entries. */
export interface AuditedModel {
  readonly descriptor: ModelDescriptor
  readonly resourceType: string
  readonly rules: ColumnRules
  /** Column name for a field name (or the name itself when it already is a column). */
  column(fieldOrColumn: string): string
  resourceName(row: Row): string | null
  resourceId(row: Row): string | null
}

/**
 * The ORM-independent half of every plugin: resolves model options, enforces
 * `requireContext`, turns row changes into activity log rows and writes them. An adapter only
 * finds the rows and supplies an executor on the ORM's own transaction.
 */
export class AuditRecorder {
  readonly options: Readonly<AuditPluginOptions>
  private readonly models = new Map<string, AuditedModel | null>()

  constructor(options: AuditPluginOptions = {}) {
    validateOptions(options)
    this.options = options
  }

  /**
   * Throws when `options.models` or `options.exclude` name a model the ORM does not have:
   * a typo there would otherwise silently audit with the wrong settings.
   */
  assertKnownModels(modelNames: Iterable<string>): void {
    const known = new Set(modelNames)
    const unknown = [...Object.keys(this.options.models ?? {}), ...(this.options.exclude ?? [])].filter(
      (name) => !known.has(name),
    )
    if (unknown.length > 0) {
      throw new AuditConfigurationError(
        `audit-trail: unknown model name(s) in options: ${unknown.join(', ')}. Known models: ${[...known].join(', ')}.`,
      )
    }
  }

  /** The audited model for `descriptor`, or null when options say it is not audited. Cached by name. */
  model(descriptor: ModelDescriptor): AuditedModel | null {
    const cached = this.models.get(descriptor.name)
    if (cached !== undefined) return cached
    const resolved = this.resolve(descriptor)
    this.models.set(descriptor.name, resolved)
    return resolved
  }

  /** Whether a model (by name) is audited at all, without needing its descriptor. */
  isAudited(modelName: string): boolean {
    if (this.options.exclude?.includes(modelName)) return false
    return this.options.models?.[modelName]?.audit !== false
  }

  /**
   * The context to record, read at the moment of the write. Throws MissingAuditContextError
   * when `requireContext` is set and there is none: call it before writing anything.
   */
  context(modelName: string, operation: string): AuditContext | undefined {
    const ctx = getAuditContext()
    if (!ctx && this.options.requireContext) throw MissingAuditContextError.forWrite(modelName, operation)
    return ctx
  }

  /** Activity log rows for `changes` of `model` (no-op updates produce none). */
  entries(model: AuditedModel, changes: readonly RowChange[], ctx: AuditContext | undefined): ActivityLogRow[] {
    const shared = contextColumns(ctx, this.options.logName)
    const rows: ActivityLogRow[] = []
    for (const change of changes) {
      const diff = diffRows({ action: change.action, before: change.before, after: change.after, rules: model.rules })
      if (!diff) continue
      const row = (change.action === 'deleted' ? change.before : change.after) ?? change.before ?? {}
      rows.push({
        ...shared,
        action: diff.action,
        resource_type: model.resourceType,
        resource_id: model.resourceId(row),
        resource_name: model.resourceName(row),
        changes: diff.changes,
        changed_fields: diff.changedFields,
        description: null,
        source: 'orm',
      })
    }
    return rows
  }

  /** Builds and inserts the entries for `changes` in one statement through `executor`. */
  async record(args: {
    readonly executor: AuditExecutor
    readonly model: AuditedModel
    readonly changes: readonly RowChange[]
    readonly context: AuditContext | undefined
  }): Promise<number> {
    const rows = this.entries(args.model, args.changes, args.context)
    await writeEntries(args.executor, rows)
    return rows.length
  }

  private resolve(descriptor: ModelDescriptor): AuditedModel | null {
    if (!this.isAudited(descriptor.name)) return null
    const modelOptions: ModelAuditOptions = this.options.models?.[descriptor.name] ?? {}
    const fieldToColumn = new Map<string, string>()
    const kinds: Record<string, ValueKind> = {}
    for (const { column, field, kind } of descriptor.columns) {
      fieldToColumn.set(column, column)
      if (field) fieldToColumn.set(field, column)
      if (kind && kind !== 'auto') kinds[column] = kind
    }
    const column = (name: string): string => fieldToColumn.get(name) ?? name
    const columnsOf = (names: readonly string[] | undefined, option: string): Set<string> => {
      const out = new Set<string>()
      for (const name of names ?? []) {
        if (!fieldToColumn.has(name)) {
          throw new AuditConfigurationError(
            `audit-trail: models.${descriptor.name}.${option} names "${name}", which is neither a field nor a column of ${descriptor.name}.`,
          )
        }
        out.add(column(name))
      }
      return out
    }
    const ignore = columnsOf(modelOptions.ignore, 'ignore')
    for (const name of DEFAULT_IGNORED_COLUMNS) if (fieldToColumn.has(name)) ignore.add(column(name))
    const redactExtra = columnsOf(modelOptions.redact, 'redact')
    const toggle = modelOptions.toggle
    let isToggle: (column: string) => boolean
    if (toggle === false) isToggle = () => false
    else if (typeof toggle === 'string') {
      const toggleColumn = columnsOf([toggle], 'toggle')
      isToggle = (name) => toggleColumn.has(name)
    } else {
      const defaults = new Set(DEFAULT_TOGGLE_COLUMNS)
      isToggle = (name) => defaults.has(name)
    }

    const nameOption = modelOptions.name
    let resourceName: (row: Row) => string | null
    if (typeof nameOption === 'function') {
      const fieldOf = new Map(descriptor.columns.filter((c) => c.field).map((c) => [c.column, c.field!]))
      resourceName = (row) => {
        const both: Record<string, unknown> = { ...row }
        for (const [col, field] of fieldOf) if (col in row) both[field] = row[col]
        return cleanText(nameOption(both))
      }
    } else if (typeof nameOption === 'string') {
      const nameColumn = columnsOf([nameOption], 'name').values().next().value as string
      resourceName = (row) => cleanText(stringOrNull(row[nameColumn]))
    } else {
      resourceName = () => null
    }

    const primaryKey = descriptor.primaryKey
    return {
      descriptor,
      resourceType: modelOptions.resourceType ?? descriptor.table,
      rules: {
        ignore,
        redact: (name) => redactExtra.has(name) || DEFAULT_REDACT_PATTERN.test(name),
        toggle: isToggle,
        kinds,
        maxValueBytes: this.options.maxValueBytes,
      },
      column,
      resourceName,
      resourceId: (row) => (primaryKey.length === 0 ? null : formatResourceId(primaryKey.map((key) => row[key]))),
    }
  }
}

function stringOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null
  return typeof value === 'string' ? value : String(value)
}

function validateOptions(options: AuditPluginOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new AuditConfigurationError('audit-trail: plugin options must be an object.')
  }
  const known = new Set(['models', 'exclude', 'requireContext', 'logName', 'maxValueBytes'])
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new AuditConfigurationError(
        `audit-trail: unknown option "${key}". Known options: ${[...known].join(', ')}.`,
      )
    }
  }
  if (options.maxValueBytes !== undefined && (!Number.isInteger(options.maxValueBytes) || options.maxValueBytes < 64)) {
    throw new AuditConfigurationError('audit-trail: maxValueBytes must be an integer of at least 64.')
  }
  if (options.exclude !== undefined && !Array.isArray(options.exclude)) {
    throw new AuditConfigurationError('audit-trail: exclude must be an array of model names.')
  }
}
