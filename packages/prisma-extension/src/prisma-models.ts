import { AuditConfigurationError, type AuditPluginOptions, type CaptureOptions } from '@audit-trail/core'
import type { RuntimeDataModel, RuntimeModel } from './prisma-client-shape.js'

/** One Prisma model as the database sees it. */
export interface PrismaModelTable {
  model: string
  /** `schema.table` when the model names a schema, else the bare table name. */
  table: string
  /** ORM field name → column name, for scalar fields. */
  columns: Map<string, string>
}

/** Tables and columns of every model, from the client's runtime data model. */
export function readModelTables(dataModel: RuntimeDataModel | undefined): Map<string, PrismaModelTable> {
  if (!dataModel?.models) {
    throw new AuditConfigurationError(
      'audit-trail: cannot read the Prisma client’s data model (_runtimeDataModel); this Prisma version is not supported.',
    )
  }
  const tables = new Map<string, PrismaModelTable>()
  for (const [model, definition] of Object.entries(dataModel.models)) {
    tables.set(model, { model, table: tableName(model, definition), columns: scalarColumns(definition) })
  }
  return tables
}

function tableName(model: string, definition: RuntimeModel): string {
  const table = definition.dbName ?? model
  return definition.schema ? `${definition.schema}.${table}` : table
}

function scalarColumns(definition: RuntimeModel): Map<string, string> {
  const columns = new Map<string, string>()
  for (const field of definition.fields) {
    if (field.kind === 'scalar' || field.kind === 'enum') columns.set(field.name, field.dbName ?? field.name)
  }
  return columns
}

/**
 * `enable_capture` options for one audited model, from the plugin's model options. Field names
 * become column names. A `name` function cannot run inside the database, so it is refused.
 */
export function captureOptionsFor(table: PrismaModelTable, options: AuditPluginOptions): CaptureOptions {
  const modelOptions = options.models?.[table.model] ?? {}
  const column = (name: string, option: string): string => {
    const mapped = table.columns.get(name) ?? ([...table.columns.values()].includes(name) ? name : undefined)
    if (!mapped) {
      throw new AuditConfigurationError(
        `audit-trail: models.${table.model}.${option} names "${name}", which is neither a field nor a column of ${table.model}.`,
      )
    }
    return mapped
  }
  if (typeof modelOptions.name === 'function') {
    throw new AuditConfigurationError(
      `audit-trail: models.${table.model}.name is a function, but @audit-trail/prisma records through database capture, ` +
        'which reads the name from a column. Give the field or column name instead.',
    )
  }
  return {
    resourceType: modelOptions.resourceType,
    nameColumn: modelOptions.name === undefined ? undefined : column(modelOptions.name, 'name'),
    ignore: modelOptions.ignore?.map((name) => column(name, 'ignore')),
    redact: modelOptions.redact?.map((name) => column(name, 'redact')),
    toggle: modelOptions.toggle === undefined || modelOptions.toggle === false ? modelOptions.toggle : column(modelOptions.toggle, 'toggle'),
  }
}
