import type { ModelTable } from '@audit-trail/core/plugin'
import type { Association, Model, ModelStatic, Sequelize } from 'sequelize'

// `through` is set on every BelongsToMany association in Sequelize 6 (checked on 6.37) but is
// missing from its type declarations; this is the one place the plugin reads it.
interface ThroughAssociation extends Association {
  through?: { model?: ModelStatic<Model> }
}

/**
 * Every model of `sequelize` as the database sees it: exact table name and schema
 * (`Model.getTableName()`, no case folding), stored attributes with their column (`field`), and
 * for each `belongsToMany` through model the two models it links.
 */
export function modelTables(sequelize: Sequelize): ModelTable[] {
  const links = new Map<ModelStatic<Model>, readonly [string, string]>()
  for (const model of Object.values(sequelize.models)) {
    for (const association of Object.values(model.associations) as ThroughAssociation[]) {
      const through = association.associationType === 'BelongsToMany' ? association.through?.model : undefined
      if (through && !links.has(through)) links.set(through, [association.source.name, association.target.name])
    }
  }
  return Object.values(sequelize.models).map((model) => {
    const table = model.getTableName()
    const link = links.get(model)
    return {
      model: model.name,
      name: typeof table === 'string' ? { table } : { ...(table.schema ? { schema: table.schema } : {}), table: table.tableName },
      columns: Object.entries(model.getAttributes())
        .filter(([, attribute]) => !isVirtual(attribute.type))
        .map(([field, attribute]) => ({ column: attribute.field ?? field, field })),
      ...(link ? { links: link } : {}),
    }
  })
}

function isVirtual(type: unknown): boolean {
  return (type as { key?: unknown } | undefined)?.key === 'VIRTUAL'
}
