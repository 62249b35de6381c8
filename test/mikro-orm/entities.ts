import { Cascade, defineEntity, p, type InferEntity } from '@mikro-orm/core'

// Mapped onto test/behaviour/business-schema.sql, which the tests create: MikroORM never creates
// or alters the schema. Field names differ from column names where the schema comment says so.

export const Client = defineEntity({
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

export const Item = defineEntity({
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

export const Setting = defineEntity({
  name: 'Setting',
  tableName: 'settings',
  properties: {
    key: p.text().primary(),
    value: p.json<unknown>().nullable(),
  },
})

export const Coupon = defineEntity({
  name: 'Coupon',
  tableName: 'coupons',
  properties: {
    id: p.uuid().primary(),
    code: p.text(),
    percent: p.integer(),
    deletedAt: p.datetime().fieldName('deleted_at').nullable(),
  },
})

export const ItemTranslation = defineEntity({
  name: 'ItemTranslation',
  tableName: 'item_translations',
  properties: {
    item: () => p.manyToOne(Item).fieldName('item_id').primary(),
    locale: p.text().primary(),
    title: p.text(),
  },
})

export type IClient = InferEntity<typeof Client>
export type IItem = InferEntity<typeof Item>
export type ISetting = InferEntity<typeof Setting>
export type ICoupon = InferEntity<typeof Coupon>
export type IItemTranslation = InferEntity<typeof ItemTranslation>

export const entities = [Client, Item, Setting, Coupon, ItemTranslation]
