import { describe, expect, it } from 'vitest'
import { AuditConfigurationError } from '@audit-trail/core'
import { readModelTables } from './prisma-models.js'

// The `_runtimeDataModel` shape of Prisma 7.10's generated client (trimmed).
const runtimeDataModel = {
  models: {
    Tag: {
      dbName: null,
      schema: null,
      fields: [
        { name: 'id', kind: 'scalar', type: 'Int' },
        { name: 'articles', kind: 'object', type: 'Article', relationName: 'ArticleToTag' },
      ],
    },
    Article: {
      dbName: null,
      schema: 'blog',
      fields: [
        { name: 'id', kind: 'scalar', type: 'Int' },
        { name: 'authorId', kind: 'scalar', type: 'Int', dbName: 'author_id' },
        { name: 'status', kind: 'enum', type: 'Status' },
        { name: 'tags', kind: 'object', type: 'Tag', relationName: 'ArticleToTag' },
        { name: 'author', kind: 'object', type: 'User', relationName: 'ArticleToUser' },
      ],
    },
    User: {
      dbName: 'users',
      schema: null,
      fields: [
        { name: 'id', kind: 'scalar', type: 'Int' },
        { name: 'articles', kind: 'object', type: 'Article', relationName: 'ArticleToUser' },
      ],
    },
  },
}

describe('readModelTables', () => {
  it('maps models to exact table names and scalar fields to columns', () => {
    const { models } = readModelTables({ _runtimeDataModel: runtimeDataModel })
    expect(models).toEqual([
      { model: 'Tag', name: { table: 'Tag' }, columns: [{ column: 'id' }] },
      {
        model: 'Article',
        name: { schema: 'blog', table: 'Article' },
        columns: [{ column: 'id' }, { column: 'author_id', field: 'authorId' }, { column: 'status' }],
      },
      { model: 'User', name: { table: 'users' }, columns: [{ column: 'id' }] },
    ])
  })

  it('offers _<relationName> for each relation, column A for the model that sorts first, in its schema', () => {
    const { linkCandidates } = readModelTables({ _runtimeDataModel: runtimeDataModel })
    expect(linkCandidates).toEqual([
      { model: '_ArticleToTag', name: { schema: 'blog', table: '_ArticleToTag' }, columns: [{ column: 'A' }, { column: 'B' }], links: ['Article', 'Tag'] },
      { model: '_ArticleToUser', name: { schema: 'blog', table: '_ArticleToUser' }, columns: [{ column: 'A' }, { column: 'B' }], links: ['Article', 'User'] },
    ])
  })

  it('fails loudly when the data model is missing or has another shape', () => {
    expect(() => readModelTables({})).toThrow(AuditConfigurationError)
    expect(() => readModelTables({ _runtimeDataModel: { models: { A: { columns: [] } } } })).toThrow(/changed shape/)
  })
})
