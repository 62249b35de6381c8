// The example's MikroORM entities: users, articles and tags, with a many-to-many relation
// (`p.manyToMany(Tag).owner()`, the defineEntity form of `@ManyToMany`) whose pivot table
// `article_tags` (article_id, tag_id) MikroORM's schema generator creates with ON DELETE CASCADE.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core'

export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.uuid().primary(),
    username: p.string().unique(),
    email: p.string().unique(),
    passwordHash: p.string(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
})

export const Article = defineEntity({
  name: 'Article',
  properties: {
    id: p.integer().primary().autoincrement(),
    title: p.string(),
    body: p.text(),
    author: () => p.manyToOne(User).deleteRule('cascade'),
    tags: () => p.manyToMany(Tag).owner(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
})

export const Tag = defineEntity({
  name: 'Tag',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().unique(),
  },
})

export type IUser = InferEntity<typeof User>
export type IArticle = InferEntity<typeof Article>
export type ITag = InferEntity<typeof Tag>
export const entities = [User, Article, Tag]
