import type { ModelDescriptor, Row, ValueKind } from '@audit-trail/core'
import type { Sequelize } from 'sequelize'
import { deletedAtAttribute, queryGenerator, type AnyModelStatic } from './sequelize-internals.js'

/** How one Sequelize model maps onto its table: what core needs, plus the SQL fragments the bulk paths use. */
export interface ModelColumns {
  readonly descriptor: ModelDescriptor
  /** `[attribute, column]` of every stored (non-virtual) attribute. */
  readonly attributes: ReadonlyArray<readonly [string, string]>
  /** Primary key columns, in key order. */
  readonly primaryKey: readonly string[]
  /** The paranoid `deletedAt` attribute and its column, or null. */
  readonly deletedAt: { readonly attribute: string; readonly column: string } | null
  /** The table's schema when the model names one, else undefined (the connection's current schema). */
  readonly schema: string | undefined
  /** The schema-qualified, quoted table name. */
  readonly quotedTable: string
  /** Quoted column list for SELECT: `"id", "email_address", ...`. */
  readonly selectList: string
}

const cache = new WeakMap<AnyModelStatic, ModelColumns>()

// pg returns these as strings (bigint, numeric, bytea in text form) or parsed JSON; the kind
// tells core how to encode them so every plugin writes the same JSON.
const KINDS: Record<string, ValueKind> = {
  BIGINT: 'bigint',
  DECIMAL: 'decimal',
  NUMERIC: 'decimal',
  JSON: 'json',
  JSONB: 'json',
  BLOB: 'bytes',
}

export function modelColumns(sequelize: Sequelize, model: AnyModelStatic): ModelColumns {
  const cached = cache.get(model)
  if (cached) return cached
  const attributes: Array<readonly [string, string]> = []
  const columns: Array<ModelDescriptor['columns'][number]> = []
  const columnOf = new Map<string, string>()
  for (const [attribute, definition] of Object.entries(model.getAttributes())) {
    if (typeKey(definition.type) === 'VIRTUAL') continue
    const column = definition.field ?? attribute
    attributes.push([attribute, column])
    columnOf.set(attribute, column)
    const kind = KINDS[typeKey(definition.type) ?? '']
    columns.push({ column, ...(attribute !== column ? { field: attribute } : {}), ...(kind ? { kind } : {}) })
  }
  const table = model.getTableName()
  const primaryKey = model.primaryKeyAttributes.map((attribute) => columnOf.get(attribute) ?? attribute)
  const deletedAt = deletedAtAttribute(model)
  const generator = queryGenerator(sequelize)
  const result: ModelColumns = {
    descriptor: {
      name: model.name,
      table: typeof table === 'string' ? table : table.tableName,
      primaryKey,
      columns,
    },
    attributes,
    primaryKey,
    deletedAt: deletedAt ? { attribute: deletedAt, column: columnOf.get(deletedAt) ?? deletedAt } : null,
    schema: typeof table === 'string' ? undefined : table.schema || undefined,
    quotedTable: generator.quoteTable(table),
    selectList: attributes.map(([, column]) => generator.quoteIdentifier(column)).join(', '),
  }
  cache.set(model, result)
  return result
}

/**
 * Re-keys Sequelize values (by attribute name, or by column name as some raw results come back)
 * to database column names, keeping only the model's stored columns.
 */
export function rowOf(columns: ModelColumns, values: Readonly<Record<string, unknown>>): Row {
  const row: Record<string, unknown> = {}
  for (const [attribute, column] of columns.attributes) {
    if (attribute in values) row[column] = values[attribute]
    else if (column in values) row[column] = values[column]
  }
  return row
}

/** The primary key of a column-keyed row as one comparable string. */
export function keyOf(columns: ModelColumns, row: Row): string {
  return JSON.stringify(columns.primaryKey.map((column) => normaliseKey(row[column])))
}

function normaliseKey(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  return value
}

function typeKey(type: unknown): string | undefined {
  if (!type) return undefined
  const key = (type as { key?: unknown }).key ?? (type as { constructor?: { key?: unknown } }).constructor?.key
  return typeof key === 'string' ? key : undefined
}
