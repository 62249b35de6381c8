import type { ModelTable } from '@audit-trail/core/plugin'
import type { EntityManagerLike, EntityMetadataLike, EntityPropertyLike } from './mikro-orm-like.js'

/**
 * Every table of the ORM's entities as core's `planCapture` takes them: each entity's table and
 * stored columns (scalar, many-to-one and owning one-to-one properties, with their property
 * names), and each `@ManyToMany` pivot table with the two entities it links.
 */
export function entityTables(em: EntityManagerLike): ModelTable[] {
  const all = em.getMetadata().getAll()
  const metas: EntityMetadataLike[] = all instanceof Map ? [...all.values()] : Object.values(all)
  const configured = em.config.get('schema')
  const defaultSchema = typeof configured === 'string' && configured !== '' ? configured : undefined
  const links = new Map<string, readonly [string, string]>()
  for (const meta of metas) {
    for (const prop of meta.props) {
      if (prop.kind === 'm:n' && prop.owner && prop.pivotTable) links.set(prop.pivotTable, [meta.className, targetName(prop)])
    }
  }
  const tables: ModelTable[] = []
  for (const meta of metas) {
    if (meta.embeddable || meta.virtual || !meta.tableName) continue
    // Single-table inheritance: children share the root's table and its metadata.
    if (meta.root && meta.root.className !== meta.className && meta.root.tableName === meta.tableName) continue
    // An abstract base entity has no table of its own, unless it is the root of single-table inheritance.
    if (meta.abstract && !meta.discriminatorColumn) continue
    const schema = meta.schema && meta.schema !== '*' ? meta.schema : defaultSchema
    const columns = meta.props.filter(isColumn).flatMap((prop) =>
      (prop.fieldNames ?? []).map((column) => (prop.fieldNames!.length === 1 ? { column, field: prop.name } : { column })),
    )
    const link = meta.pivotTable ? links.get(meta.tableName) : undefined
    tables.push({ model: meta.className, name: schema ? { schema, table: meta.tableName } : { table: meta.tableName }, columns, ...(link ? { links: link } : {}) })
  }
  return tables
}

function isColumn(prop: EntityPropertyLike): boolean {
  if (prop.persist === false || prop.formula || !prop.fieldNames?.length) return false
  switch (prop.kind) {
    case 'scalar':
    case 'm:1':
      return true
    case '1:1':
      return prop.owner === true
    case 'embedded':
      return prop.object === true
    default:
      return false
  }
}

function targetName(prop: EntityPropertyLike): string {
  return prop.targetMeta?.className ?? String(prop.type)
}
