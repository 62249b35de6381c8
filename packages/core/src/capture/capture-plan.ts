import { AuditConfigurationError } from '../errors.js'
import type { AuditPluginOptions, ModelAuditOptions } from '../plugin/plugin-options.js'
import type { CaptureOptions, CaptureTarget } from './captured-tables.js'
import type { TableName } from './table-name.js'

/** One ORM model (or link table) as the database sees it: what an adapter reads from its ORM's metadata. */
export interface ModelTable {
  /** The model or entity name: the key of `options.models`. For an implicit link table, the name the ORM gives it (Prisma: `_ArticleToTag`). */
  readonly model: string
  /** Schema and exact table name (no quoting, no case folding). */
  readonly name: TableName
  /** Every stored column, with the ORM field name when it differs. */
  readonly columns: ReadonlyArray<{ readonly column: string; readonly field?: string }>
  /**
   * For a many-to-many link table (Prisma implicit tables, MikroORM pivots, Sequelize `through`):
   * the two models it links. It is audited when either is, unless it is excluded itself, and its
   * default `resource_type` is `linkResourceType(a, b)`.
   */
  readonly links?: readonly [string, string]
}

const MODEL_OPTION_KEYS = new Set<keyof ModelAuditOptions>(['resourceType', 'name', 'redact', 'ignore', 'toggle', 'audit'])

/**
 * The readable `resource_type` of the link table between models `a` and `b`: both names in
 * snake_case, in alphabetical order, joined by `_` (`Article` + `Tag` → `article_tag`), the same
 * for every ORM.
 */
export function linkResourceType(a: string, b: string): string {
  return [a, b].map(snakeCase).sort().join('_')
}

function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase()
}

/**
 * Which tables to capture and with which options, from the ORM's models and the plugin's options:
 * field names in options become column names, excluded models are left out, link tables follow
 * the models they link. Throws `AuditConfigurationError` for unknown model names, unknown option
 * keys, names that are neither a field nor a column, and `name` functions (the trigger reads the
 * name from a column).
 */
export function planCapture(tables: readonly ModelTable[], options: AuditPluginOptions = {}): CaptureTarget[] {
  const byModel = new Map(tables.map((table) => [table.model, table]))
  const unknown = [...Object.keys(options.models ?? {}), ...(options.exclude ?? [])].filter((name) => !byModel.has(name))
  if (unknown.length > 0) throw AuditConfigurationError.unknownModels(unknown, [...byModel.keys()])
  for (const [model, modelOptions] of Object.entries(options.models ?? {})) {
    const typos = Object.keys(modelOptions ?? {}).filter((key) => !MODEL_OPTION_KEYS.has(key as keyof ModelAuditOptions))
    if (typos.length > 0) {
      throw new AuditConfigurationError(
        `audit-trail: models.${model} has unknown option(s) ${typos.join(', ')}; known: ${[...MODEL_OPTION_KEYS].join(', ')}.`,
      )
    }
  }
  const selfAudited = (model: string) => !options.exclude?.includes(model) && options.models?.[model]?.audit !== false
  const audited = (table: ModelTable) =>
    selfAudited(table.model) && (!table.links || table.links.some((linked) => byModel.has(linked) && selfAudited(linked)))

  return tables.filter(audited).map((table) => ({
    model: table.model,
    name: table.name,
    options: captureOptions(table, options.models?.[table.model] ?? {}),
  }))
}

function captureOptions(table: ModelTable, modelOptions: ModelAuditOptions): CaptureOptions {
  const column = (name: string, option: string): string => {
    const found = table.columns.find((c) => c.field === name) ?? table.columns.find((c) => c.column === name)
    if (!found) {
      throw new AuditConfigurationError(
        `audit-trail: models.${table.model}.${option} names "${name}", which is neither a field nor a column of ${table.model} ` +
          `(columns: ${table.columns.map((c) => c.column).join(', ')}).`,
      )
    }
    return found.column
  }
  if (typeof modelOptions.name === 'function') {
    throw new AuditConfigurationError(
      `audit-trail: models.${table.model}.name is a function; the capture trigger reads the name from a column. Give the field or column name instead.`,
    )
  }
  const resourceType = modelOptions.resourceType ?? (table.links ? linkResourceType(...table.links) : table.name.table)
  return {
    resourceType,
    nameColumn: modelOptions.name === undefined ? null : column(modelOptions.name, 'name'),
    ignore: (modelOptions.ignore ?? []).map((name) => column(name, 'ignore')),
    redact: (modelOptions.redact ?? []).map((name) => column(name, 'redact')),
    ...(modelOptions.toggle === undefined ? {} : { toggle: modelOptions.toggle === false ? false : column(modelOptions.toggle, 'toggle') }),
  }
}
