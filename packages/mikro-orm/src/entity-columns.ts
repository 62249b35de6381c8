import type { ModelDescriptor, Row, ValueKind } from '@audit-trail/core'
import type { EntityMetadata, EntityProperty } from '@mikro-orm/core'

/** One persisted property of an entity and the database column(s) it maps to. */
export interface ColumnProperty {
  readonly name: string
  /** One column, or several for a relation to an entity with a composite key. */
  readonly fieldNames: readonly string[]
  readonly kind: ValueKind
  /** Snapshots hold json columns as JSON text: parsed back before diffing. */
  readonly json: boolean
}

/** An entity's table as core sees it, plus how to turn MikroORM snapshots into column rows. */
export interface EntityColumns {
  readonly descriptor: ModelDescriptor
  readonly properties: readonly ColumnProperty[]
}

const cache = new WeakMap<EntityMetadata, EntityColumns>()

/** The ModelDescriptor and column properties of `meta`, from MikroORM's own metadata. Cached. */
export function entityColumns(meta: EntityMetadata): EntityColumns {
  const cached = cache.get(meta)
  if (cached) return cached
  const properties: ColumnProperty[] = []
  const columns: Array<ModelDescriptor['columns'][number]> = []
  for (const prop of meta.props) {
    if (!isColumn(prop)) continue
    const kind = valueKind(prop)
    properties.push({ name: prop.name, fieldNames: prop.fieldNames, kind, json: kind === 'json' })
    for (const column of prop.fieldNames) {
      columns.push({ column, field: prop.fieldNames.length === 1 ? prop.name : undefined, kind })
    }
  }
  const primaryKey = meta.primaryKeys.flatMap((name) => meta.properties[name]?.fieldNames ?? [name])
  const resolved: EntityColumns = {
    descriptor: { name: meta.className, table: meta.tableName, primaryKey, columns },
    properties,
  }
  cache.set(meta, resolved)
  return resolved
}

/**
 * A MikroORM entity snapshot (`__originalEntityData`, a change set's `payload`: keyed by
 * property name, holding database values) as a row keyed by column name. Properties missing
 * from the snapshot are null when `fill` is set (an insert that did not set them), left out
 * otherwise. Relation values are primary keys; an entity still in the snapshot (a relation
 * to an entity inserted in the same flush) is read through `keyOf`.
 */
export function snapshotRow(
  columns: EntityColumns,
  snapshot: Readonly<Record<string, unknown>>,
  options: { readonly fill: boolean; readonly keyOf: (value: object) => unknown },
): Record<string, unknown> {
  const row: Record<string, unknown> = {}
  for (const prop of columns.properties) {
    if (!(prop.name in snapshot)) {
      if (options.fill) for (const column of prop.fieldNames) row[column] = null
      continue
    }
    let value = snapshot[prop.name]
    if (value !== null && typeof value === 'object' && !isPlainValue(value)) value = options.keyOf(value)
    if (prop.fieldNames.length === 1) {
      row[prop.fieldNames[0]!] = prop.json ? parseJson(value) : value
    } else {
      const parts = Array.isArray(value) ? value : []
      prop.fieldNames.forEach((column, i) => (row[column] = parts[i] ?? null))
    }
  }
  return row
}

/** A raw row read from the table (keyed by column) reduced to the entity's columns. */
export function rowFromDatabase(columns: EntityColumns, raw: Row): Record<string, unknown> {
  const row: Record<string, unknown> = {}
  for (const { column } of columns.descriptor.columns) row[column] = raw[column] ?? null
  return row
}

function isColumn(prop: EntityProperty): boolean {
  if (prop.persist === false || prop.formula || !prop.fieldNames?.length) return false
  switch (prop.kind) {
    case 'scalar':
    case 'm:1':
      return true
    case '1:1':
      return prop.owner === true
    default:
      return false
  }
}

function valueKind(prop: EntityProperty): ValueKind {
  const columnType = (prop.columnTypes?.[0] ?? '').toLowerCase()
  if (/^(numeric|decimal)\b/.test(columnType)) return 'decimal'
  if (/^(bigint|int8|bigserial)\b/.test(columnType)) return 'bigint'
  if (/^jsonb?\b/.test(columnType)) return 'json'
  if (/^bytea\b/.test(columnType)) return 'bytes'
  return 'auto'
}

function isPlainValue(value: object): boolean {
  return value instanceof Date || value instanceof Uint8Array || Array.isArray(value) || isPlainObject(value)
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value
  try {
    return JSON.parse(value) as unknown
  } catch {
    return value
  }
}
