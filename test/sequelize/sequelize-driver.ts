import type { Transaction } from 'sequelize'
import { attachAuditHooks } from '@audit-trail/sequelize'
import type { BehaviourDriver, ClientInput, ItemInput, OrmSession } from '../behaviour/driver.js'
import { defineModels, openSequelize, setUpCapture, type Models } from './sequelize-models.js'

/** The shared behaviour suite's driver for Sequelize 6, through the models' normal API. */
export const sequelizeDriver: BehaviourDriver = {
  name: 'sequelize',
  articleTables: { article: 'Articles', tag: 'Tags', link: 'ArticleTags' },
  // The through table's primary key is ("ArticleId", "TagId"): the source model's key first.
  linkResourceId: (articleId, tagId) => JSON.stringify([String(articleId), String(tagId)]),
  async open({ url, options, poolSize, audited = true }) {
    const sequelize = openSequelize(url, { pool: { max: poolSize ?? 5 } })
    const models = defineModels(sequelize)
    try {
      await setUpCapture(sequelize, models, options)
      if (audited) attachAuditHooks(sequelize, options)
    } catch (error) {
      await sequelize.close()
      throw error
    }
    const session = (transaction?: Transaction): OrmSession =>
      sessionOf(models, transaction, {
        openTransaction: (fn) => sequelize.transaction((t) => fn(session(t))),
        managed: (fn) => sequelize.transaction(fn),
        raw: async (sql, params) => {
          await sequelize.query(sql, { ...(params ? { bind: params } : {}), transaction })
        },
      })
    return { session: session(), close: () => sequelize.close() }
  },
}

function sessionOf(
  { Client, Item, Setting, ItemTranslation, Article, Tag }: Models,
  transaction: Transaction | undefined,
  through: {
    openTransaction: <T>(fn: (tx: OrmSession) => Promise<T>) => Promise<T>
    managed: <T>(fn: (transaction: Transaction) => Promise<T>) => Promise<T>
    raw: (sql: string, params?: unknown[]) => Promise<void>
  },
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
      const create = (transaction: Transaction) =>
        Client.create({ ...client, items: items.map(item) }, { include: [{ association: 'items' }], transaction })
      // Sequelize sends an include-create as separate autocommit INSERTs; an app that wants it
      // atomic wraps it in a transaction, as here (the plugin opens none of its own).
      const created = transaction ? await create(transaction) : await through.managed(create)
      return created.id
    },
    transaction: (fn) => through.openTransaction(fn),
    rawExecute: (sql, params) => through.raw(sql, params),
    async createArticle(title) {
      return (await Article.create({ title }, t)).id
    },
    async createTag(name) {
      return (await Tag.create({ name }, t)).id
    },
    async tagArticle(articleId, tagId) {
      await found(await Article.findByPk(articleId, t), 'article').addTag(tagId, t)
    },
    async untagArticle(articleId, tagId) {
      await found(await Article.findByPk(articleId, t), 'article').removeTag(tagId, t)
    },
    async deleteArticle(id) {
      await found(await Article.findByPk(id, t), 'article').destroy(t)
    },
  }
}
