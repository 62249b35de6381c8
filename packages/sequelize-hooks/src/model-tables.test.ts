import { afterAll, describe, expect, it } from 'vitest'
import { DataTypes, Sequelize } from 'sequelize'
import { linkResourceType, planCapture } from '@audit-trail/core/plugin'
import { modelTables } from './model-tables.js'

// No connection is made: Sequelize connects on the first query, and none is sent here.
const sequelize = new Sequelize('postgres://nobody@127.0.0.1:1/none', { logging: false })
afterAll(() => sequelize.close())

sequelize.define(
  'Client',
  {
    email: { type: DataTypes.TEXT, field: 'email_address' },
    passwordHash: DataTypes.TEXT,
    label: { type: DataTypes.VIRTUAL, get: () => 'x' },
  },
  { tableName: 'clients', underscored: true, timestamps: false },
)
sequelize.define('Invoice', { total: DataTypes.DECIMAL }, { tableName: 'Invoices', schema: 'billing', timestamps: false })
const Article = sequelize.define('Article', { title: DataTypes.STRING })
const Tag = sequelize.define('Tag', { name: DataTypes.STRING })
Article.belongsToMany(Tag, { through: 'ArticleTags' })
Tag.belongsToMany(Article, { through: 'ArticleTags' })

describe('modelTables', () => {
  const tables = new Map(modelTables(sequelize).map((table) => [table.model, table]))

  it('maps attributes to columns (field, underscored) and leaves VIRTUAL attributes out', () => {
    expect(tables.get('Client')).toEqual({
      model: 'Client',
      name: { table: 'clients' },
      columns: [
        { column: 'id', field: 'id' },
        { column: 'email_address', field: 'email' },
        { column: 'password_hash', field: 'passwordHash' },
      ],
    })
  })

  it('keeps exact table names and the schema', () => {
    expect(tables.get('Invoice')!.name).toEqual({ schema: 'billing', table: 'Invoices' })
    expect(tables.get('Article')!.name).toEqual({ table: 'Articles' })
  })

  it('marks a belongsToMany through model as the link of its two models', () => {
    const link = tables.get('ArticleTags')!
    expect(link.name).toEqual({ table: 'ArticleTags' })
    expect(link.links).toEqual(['Article', 'Tag'])
    expect(link.columns.map((c) => c.column)).toEqual(['createdAt', 'updatedAt', 'ArticleId', 'TagId'])
    expect(tables.get('Article')!.links).toBeUndefined()
  })

  it('feeds planCapture: the link table follows its models and gets a readable resource type', () => {
    const targets = planCapture([...tables.values()], {
      models: { Client: { redact: ['email'], name: 'email' } },
      exclude: ['Invoice', 'Tag'],
    })
    expect(targets.map((t) => [t.model, t.options.resourceType])).toEqual([
      ['Client', 'clients'],
      ['Article', 'Articles'],
      ['ArticleTags', linkResourceType('Article', 'Tag')],
    ])
    expect(targets[0]!.options).toMatchObject({ nameColumn: 'email_address', redact: ['email_address'] })
  })
})
