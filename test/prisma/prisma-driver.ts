import { PrismaPg } from '@prisma/adapter-pg'
import { auditTrail, enablePrismaCapture } from '@audit-trail/prisma'
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
    transaction,
  }
}

export const prismaDriver: BehaviourDriver = {
  name: 'prisma',
  async open({ url, options, poolSize }) {
    const base = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: poolSize ?? 5 }) })
    await enablePrismaCapture(base, options)
    const prisma = base.$extends(auditTrail(options))
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
