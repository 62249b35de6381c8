import { MikroORM, type EntityManager } from '@mikro-orm/postgresql'
import type { AuditPluginOptions } from '@audit-trail/core'
import { AuditSubscriber, type MikroOrmAuditOptions } from '@audit-trail/mikro-orm'
import type { BehaviourDriver, ClientInput, ItemInput, OpenedOrm, OrmSession } from '../behaviour/driver.js'
import { Client, Item, ItemTranslation, Setting, entities, type IItem } from './entities.js'

/** Opens MikroORM on `url` (schema already there) with the audit subscriber registered. */
export async function openMikroOrm(args: {
  url: string
  options: MikroOrmAuditOptions
  poolSize?: number
}): Promise<{ orm: MikroORM; subscriber: AuditSubscriber }> {
  const subscriber = new AuditSubscriber(args.options)
  const orm = await MikroORM.init({
    clientUrl: args.url,
    entities,
    subscribers: [subscriber],
    extensions: [subscriber],
    pool: { max: args.poolSize ?? 5 },
    // The suite creates the schema; MikroORM must not check or change it.
    ensureDatabase: false,
    allowGlobalContext: false,
  })
  return { orm, subscriber }
}

function itemData(data: Partial<ItemInput>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue
    if (key === 'clientId') out.client = value
    else out[key] = value
  }
  return out
}

/**
 * Each session method forks the EntityManager, as a request handler would; inside
 * `transaction(fn)` every method uses the transaction's own fork.
 */
function session(fork: () => EntityManager, inTransaction: boolean): OrmSession {
  const run = async <T>(fn: (em: EntityManager) => Promise<T>): Promise<T> => {
    const em = fork()
    const result = await fn(em)
    if (inTransaction) await em.flush()
    return result
  }
  return {
    createClient: (data: ClientInput) =>
      run(async (em) => {
        const client = em.create(Client, data)
        await em.flush()
        return client.id
      }),
    updateClient: (id, data) =>
      run(async (em) => {
        const client = await em.findOneOrFail(Client, id)
        em.assign(client, data)
        await em.flush()
      }),
    deleteClient: (id) =>
      run(async (em) => {
        const client = await em.findOneOrFail(Client, id, { populate: ['items'] })
        em.remove(client)
        await em.flush()
      }),
    createItem: (data) =>
      run(async (em) => {
        const item = em.create(Item, itemData(data) as never) as IItem
        await em.flush()
        return item.id
      }),
    updateItem: (id, data) =>
      run(async (em) => {
        const item = await em.findOneOrFail(Item, id)
        em.assign(item, itemData(data) as never)
        await em.flush()
      }),
    deleteItem: (id) =>
      run(async (em) => {
        em.remove(await em.findOneOrFail(Item, id))
        await em.flush()
      }),
    createItems: (data) =>
      run(async (em) => {
        for (const item of data) em.create(Item, itemData(item) as never)
        await em.flush()
      }),
    setPriceOfClientItems: (clientId, price) => run((em) => em.nativeUpdate(Item, { client: clientId }, { price })),
    deleteClientItems: (clientId) => run((em) => em.nativeDelete(Item, { client: clientId })),
    upsertSetting: (key, value) =>
      run(async (em) => {
        const existing = await em.findOne(Setting, key)
        if (existing) existing.value = value
        else em.create(Setting, { key, value })
        await em.flush()
      }),
    createTranslation: (itemId, locale, title) =>
      run(async (em) => {
        em.create(ItemTranslation, { item: itemId, locale, title })
        await em.flush()
      }),
    updateTranslation: (itemId, locale, title) =>
      run(async (em) => {
        const translation = await em.findOneOrFail(ItemTranslation, { item: itemId, locale })
        translation.title = title
        await em.flush()
      }),
    createClientWithItems: (client, items) =>
      run(async (em) => {
        const created = em.create(Client, client)
        for (const item of items) created.items.add(em.create(Item, { ...itemData(item), client: created } as never) as IItem)
        await em.flush()
        return created.id
      }),
    transaction: (fn) => fork().transactional((tx) => fn(session(() => tx, true))),
  }
}

export const mikroOrmDriver: BehaviourDriver = {
  name: 'mikro-orm',
  async open(args: { url: string; options: AuditPluginOptions; poolSize?: number }): Promise<OpenedOrm> {
    const { orm } = await openMikroOrm(args)
    return {
      session: session(() => orm.em.fork(), false),
      close: () => orm.close(true),
    }
  },
}
