import { describe, expect, it } from 'vitest'
import { AuditConfigurationError } from '../errors.js'
import { linkResourceType, planCapture, type ModelTable } from './capture-plan.js'
import { parseTableName, quoteTableName } from './table-name.js'

const tables: ModelTable[] = [
  { model: 'Article', name: { table: 'Article' }, columns: [{ column: 'id' }, { column: 'title' }, { column: 'author_email', field: 'authorEmail' }] },
  { model: 'Tag', name: { schema: 'blog', table: 'Tag' }, columns: [{ column: 'id' }, { column: 'name' }] },
  { model: '_ArticleToTag', name: { table: '_ArticleToTag' }, columns: [{ column: 'A' }, { column: 'B' }], links: ['Article', 'Tag'] },
]

describe('planCapture', () => {
  it('maps field names to columns and gives link tables a readable resource type', () => {
    const plan = planCapture(tables, {
      models: { Article: { resourceType: 'article', name: 'title', redact: ['authorEmail'], toggle: false } },
    })
    expect(plan).toEqual([
      { model: 'Article', name: { table: 'Article' }, options: { resourceType: 'article', nameColumn: 'title', ignore: [], redact: ['author_email'], toggle: false } },
      { model: 'Tag', name: { schema: 'blog', table: 'Tag' }, options: { resourceType: 'Tag', nameColumn: null, ignore: [], redact: [] } },
      { model: '_ArticleToTag', name: { table: '_ArticleToTag' }, options: { resourceType: 'article_tag', nameColumn: null, ignore: [], redact: [] } },
    ])
  })

  it('leaves out excluded models, and link tables only when both linked models are out', () => {
    expect(planCapture(tables, { exclude: ['Tag'] }).map((t) => t.model)).toEqual(['Article', '_ArticleToTag'])
    expect(planCapture(tables, { exclude: ['Tag'], models: { Article: { audit: false } } }).map((t) => t.model)).toEqual([])
    expect(planCapture(tables, { exclude: ['_ArticleToTag'] }).map((t) => t.model)).toEqual(['Article', 'Tag'])
  })

  it('refuses unknown models, unknown option keys, unknown columns and name functions', () => {
    expect(() => planCapture(tables, { models: { Articel: {} } })).toThrow(/unknown model name\(s\) in options: Articel/)
    expect(() => planCapture(tables, { models: { Article: { redcat: ['title'] } as never } })).toThrow(/models.Article has unknown option\(s\) redcat/)
    expect(() => planCapture(tables, { models: { Article: { name: 'headline' } } })).toThrow(AuditConfigurationError)
    expect(() => planCapture(tables, { models: { Article: { name: (() => 'x') as never } } })).toThrow(/is a function/)
  })

  it('linkResourceType is snake_case, alphabetical', () => {
    expect(linkResourceType('Tag', 'Article')).toBe('article_tag')
    expect(linkResourceType('UserProfile', 'HTTPRoute')).toBe('http_route_user_profile')
  })
})

describe('parseTableName', () => {
  it.each([
    ['items', { table: 'items' }],
    ['public.TagLists', { schema: 'public', table: 'TagLists' }],
    ['public."Article"', { schema: 'public', table: 'Article' }],
    ['"my schema"."odd""name"', { schema: 'my schema', table: 'odd"name' }],
    ['"a.b"', { table: 'a.b' }],
  ])('%s', (text, name) => {
    expect(parseTableName(text)).toEqual(name)
  })

  it('refuses what is not a table name', () => {
    for (const bad of ['', 'a.b.c', '"open', 'a.', '"a"b']) expect(() => parseTableName(bad), bad).toThrow(/table name/)
  })

  it('quotes exactly', () => {
    expect(quoteTableName({ schema: 'public', table: 'odd"Name' })).toBe('"public"."odd""Name"')
  })
})
