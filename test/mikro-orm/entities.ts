import type { Cascade as CascadeType, InferEntity, defineEntity as defineEntityType, p as pType } from '@mikro-orm/core'

/** The parts of `@mikro-orm/core` the entities are defined with: MikroORM 7's, or MikroORM 6.6's (same API). */
export interface EntityBuilders {
  defineEntity: typeof defineEntityType
  p: typeof pType
  Cascade: typeof CascadeType
}

/**
 * The test entities, defined with the given major's builders. Client .. ItemTranslation map onto
 * test/behaviour/business-schema.sql (field names differ from column names where the schema says
 * so); Article and Tag use MikroORM's default naming: tables `article`, `tag` and the pivot
 * `article_tags` (article_id, tag_id), which the driver creates.
 */
export function defineEntities(builders: EntityBuilders) {
  let defined = definedEntities.get(builders)
  if (!defined) definedEntities.set(builders, (defined = define(builders)))
  return defined
}

const definedEntities = new WeakMap<EntityBuilders, ReturnType<typeof define>>()

function define({ defineEntity, p, Cascade }: EntityBuilders) {
  const Client = defineEntity({
    name: 'Client',
    tableName: 'clients',
    properties: {
      id: p.integer().primary().autoincrement(),
      name: p.text(),
      email: p.text().fieldName('email_address').nullable(),
      passwordHash: p.text().fieldName('password_hash').nullable(),
      updatedAt: p.datetime().fieldName('updated_at').nullable(),
      items: () => p.oneToMany(Item).mappedBy('client').cascade(Cascade.PERSIST, Cascade.REMOVE),
    },
  })

  const Item = defineEntity({
    name: 'Item',
    tableName: 'items',
    properties: {
      id: p.integer().primary().autoincrement(),
      client: () => p.manyToOne(Client).fieldName('client_id').nullable(),
      name: p.text(),
      price: p.decimal('string').columnType('numeric(10,2)'),
      available: p.boolean(),
      sku: p.bigint('string').nullable(),
      photo: p.blob().nullable(),
      attributes: p.json<unknown>().nullable(),
      releasedAt: p.datetime().fieldName('released_at').nullable(),
      updatedAt: p.datetime().fieldName('updated_at').nullable(),
      translations: () => p.oneToMany(ItemTranslation).mappedBy('item'),
    },
  })

  const Setting = defineEntity({
    name: 'Setting',
    tableName: 'settings',
    properties: {
      key: p.text().primary(),
      value: p.json<unknown>().nullable(),
    },
  })

  const Coupon = defineEntity({
    name: 'Coupon',
    tableName: 'coupons',
    properties: {
      id: p.uuid().primary(),
      code: p.text(),
      percent: p.integer(),
      deletedAt: p.datetime().fieldName('deleted_at').nullable(),
    },
  })

  const ItemTranslation = defineEntity({
    name: 'ItemTranslation',
    tableName: 'item_translations',
    properties: {
      item: () => p.manyToOne(Item).fieldName('item_id').primary(),
      locale: p.text().primary(),
      title: p.text(),
    },
  })

  const Article = defineEntity({
    name: 'Article',
    properties: {
      id: p.integer().primary().autoincrement(),
      title: p.string(),
      tags: () => p.manyToMany(Tag).owner(),
    },
  })

  const Tag = defineEntity({
    name: 'Tag',
    properties: {
      id: p.integer().primary().autoincrement(),
      name: p.string(),
    },
  })

  return { Client, Item, Setting, Coupon, ItemTranslation, Article, Tag, all: [Client, Item, Setting, Coupon, ItemTranslation, Article, Tag] }
}

type Entities = ReturnType<typeof defineEntities>
export type IClient = InferEntity<Entities['Client']>
export type IItem = InferEntity<Entities['Item']>
export type IArticle = InferEntity<Entities['Article']>
export type ITag = InferEntity<Entities['Tag']>

/** Creates the Article / Tag tables as MikroORM names them by default, if missing; the pivot's keys cascade. */
export const ARTICLE_SCHEMA_SQL = `
  CREATE TABLE IF NOT EXISTS article (id serial PRIMARY KEY, title varchar(255) NOT NULL);
  CREATE TABLE IF NOT EXISTS tag (id serial PRIMARY KEY, name varchar(255) NOT NULL);
  CREATE TABLE IF NOT EXISTS article_tags (
    article_id integer NOT NULL REFERENCES article (id) ON UPDATE CASCADE ON DELETE CASCADE,
    tag_id integer NOT NULL REFERENCES tag (id) ON UPDATE CASCADE ON DELETE CASCADE,
    PRIMARY KEY (article_id, tag_id)
  )`
