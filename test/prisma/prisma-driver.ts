import { readFileSync } from 'node:fs'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { auditTrail, auditTrailComments, auditTrailReady, enablePrismaCapture } from '@audit-trail/prisma'
import type { BehaviourDriver, ItemInput, OrmSession } from '../behaviour/driver.js'
import { Prisma, PrismaClient } from './generated/client.ts'

type Db = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>

function itemData(data: Partial<ItemInput>) {
  return {
    clientId: data.clientId,
    name: data.name,
    price: data.price === undefined ? undefined : new Prisma.Decimal(data.price),
    available: data.available,
    sku: data.sku === undefined ? undefined : data.sku === null ? null : BigInt(data.sku),
    photo: data.photo === undefined ? undefined : data.photo === null ? null : new Uint8Array(data.photo),
    attributes:
      data.attributes === undefined ? undefined : data.attributes === null ? Prisma.DbNull : (data.attributes as Prisma.InputJsonValue),
    releasedAt: data.releasedAt,
  }
}

function session(db: Db, transaction: OrmSession['transaction']): OrmSession {
  return {
    async createClient(data) {
      return (await db.client.create({ data })).id
    },
    async updateClient(id, data) {
      await db.client.update({ where: { id }, data })
    },
    async deleteClient(id) {
      await db.client.delete({ where: { id } })
    },
    async createItem(data) {
      return (await db.item.create({ data: itemData(data) as Prisma.ItemUncheckedCreateInput })).id
    },
    async updateItem(id, data) {
      await db.item.update({ where: { id }, data: itemData(data) as Prisma.ItemUncheckedUpdateInput })
    },
    async deleteItem(id) {
      await db.item.delete({ where: { id } })
    },
    async createItems(data) {
      await db.item.createMany({ data: data.map((item) => itemData(item) as Prisma.ItemCreateManyInput) })
    },
    async setPriceOfClientItems(clientId, price) {
      return (await db.item.updateMany({ where: { clientId }, data: { price: new Prisma.Decimal(price) } })).count
    },
    async deleteClientItems(clientId) {
      return (await db.item.deleteMany({ where: { clientId } })).count
    },
    async upsertSetting(key, value) {
      const json = value as Prisma.InputJsonValue
      await db.setting.upsert({ where: { key }, create: { key, value: json }, update: { value: json } })
    },
    async createTranslation(itemId, locale, title) {
      await db.itemTranslation.create({ data: { itemId, locale, title } })
    },
    async updateTranslation(itemId, locale, title) {
      await db.itemTranslation.update({ where: { itemId_locale: { itemId, locale } }, data: { title } })
    },
    async createClientWithItems(client, items) {
      const created = await db.client.create({
        data: {
          ...client,
          items: { create: items.map(({ clientId: _ignored, ...item }) => itemData(item) as Prisma.ItemCreateWithoutClientInput) },
        },
      })
      return created.id
    },
    async rawExecute(sql, params = []) {
      await db.$executeRawUnsafe(sql, ...params)
    },
    async createArticle(title) {
      return (await db.article.create({ data: { title } })).id
    },
    async createTag(name) {
      return (await db.tag.create({ data: { name } })).id
    },
    async tagArticle(articleId, tagId) {
      await db.article.update({ where: { id: articleId }, data: { tags: { connect: { id: tagId } } } })
    },
    async untagArticle(articleId, tagId) {
      await db.article.update({ where: { id: articleId }, data: { tags: { disconnect: { id: tagId } } } })
    },
    async deleteArticle(id) {
      await db.article.delete({ where: { id } })
    },
    transaction,
  }
}

/** Creates "Article", "Tag" and "_ArticleToTag" as Prisma names them by default (idempotent). */
export async function createArticleTables(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(readFileSync(new URL('./article-tag.sql', import.meta.url), 'utf8'))
  } finally {
    await client.end()
  }
}

export const prismaDriver: BehaviourDriver = {
  name: 'prisma',
  articleTables: { article: 'Article', tag: 'Tag', link: '_ArticleToTag' },
  // "_ArticleToTag" has no primary key: capture keys a row by every column, in column order (A, B).
  linkResourceId: (articleId, tagId) => JSON.stringify([String(articleId), String(tagId)]),
  async open({ url, options, poolSize, audited = true }) {
    await createArticleTables(url)
    const owner = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 1 }) })
    try {
      await enablePrismaCapture(owner, options)
    } finally {
      await owner.$disconnect()
    }
    const adapter = new PrismaPg({ connectionString: url, max: poolSize ?? 5 })
    if (!audited) {
      const plain = new PrismaClient({ adapter })
      const transaction: OrmSession['transaction'] = (fn) => plain.$transaction((tx) => fn(session(tx as unknown as Db, transaction)))
      return { session: session(plain as unknown as Db, transaction), close: () => plain.$disconnect() }
    }
    const base = new PrismaClient({ adapter, comments: [auditTrailComments({ logName: options.logName })] })
    const prisma = base.$extends(auditTrail(options))
    // Let the startup check finish before the suite opens a transaction (PGlite runs one at a
    // time); a failed check still fails every write, which is what tests of it look at.
    await auditTrailReady(prisma).catch(() => undefined)
    const transaction: OrmSession['transaction'] = (fn) =>
      prisma.$transaction((tx) => fn(session(tx as unknown as Db, transaction)))
    return {
      session: session(prisma as unknown as Db, transaction),
      async close() {
        await base.$disconnect()
      },
    }
  },
}
