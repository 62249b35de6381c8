import type { Transaction } from 'sequelize'
import { attachAuditHooks } from '@audit-trail/sequelize'
import type { BehaviourDriver, ClientInput, ItemInput, OrmSession } from '../behaviour/driver.js'
import { defineModels, openSequelize, type Models } from './sequelize-models.js'

/** The shared behaviour suite's driver for Sequelize 6, through the models' normal API. */
export const sequelizeDriver: BehaviourDriver = {
  name: 'sequelize',
  async open({ url, options, poolSize }) {
    const sequelize = openSequelize(url, { pool: { max: poolSize ?? 5 } })
    const models = defineModels(sequelize)
    attachAuditHooks(sequelize, options)
    const session = (transaction?: Transaction): OrmSession => sessionOf(models, transaction, (fn) =>
      sequelize.transaction((t) => fn(session(t))),
    )
    return { session: session(), close: () => sequelize.close() }
  },
}

function sessionOf(
  { Client, Item, Setting, ItemTranslation }: Models,
  transaction: Transaction | undefined,
  openTransaction: <T>(fn: (tx: OrmSession) => Promise<T>) => Promise<T>,
): OrmSession {
  const t = { transaction }
  const found = <T>(row: T | null, what: string): T => {
    if (!row) throw new Error(`${what} not found`)
    return row
  }
  const item = (data: Partial<ItemInput>) => ({ ...data })
  return {
    async createClient(data: ClientInput) {
      return (await Client.create({ ...data }, t)).id
    },
    async updateClient(id, data) {
      await found(await Client.findByPk(id, t), 'client').update({ ...data }, t)
    },
    async deleteClient(id) {
      await found(await Client.findByPk(id, t), 'client').destroy(t)
    },
    async createItem(data) {
      return (await Item.create(item(data), t)).id
    },
    async updateItem(id, data) {
      await found(await Item.findByPk(id, t), 'item').update(item(data), t)
    },
    async deleteItem(id) {
      await found(await Item.findByPk(id, t), 'item').destroy(t)
    },
    async createItems(data) {
      await Item.bulkCreate(data.map(item), t)
    },
    async setPriceOfClientItems(clientId, price) {
      const [count] = await Item.update({ price }, { where: { clientId }, ...t })
      return count
    },
    async deleteClientItems(clientId) {
      return Item.destroy({ where: { clientId }, ...t })
    },
    async upsertSetting(key, value) {
      await Setting.upsert({ key, value }, t)
    },
    async createTranslation(itemId, locale, title) {
      await ItemTranslation.create({ itemId, locale, title }, t)
    },
    async updateTranslation(itemId, locale, title) {
      await found(await ItemTranslation.findOne({ where: { itemId, locale }, ...t }), 'translation').update({ title }, t)
    },
    async createClientWithItems(client, items) {
      const created = await Client.create({ ...client, items: items.map(item) }, { include: [{ association: 'items' }], ...t })
      return created.id
    },
    transaction: (fn) => openTransaction(fn),
  }
}
