import type { EntityManager, MikroORM, Options } from '@mikro-orm/postgresql'
import type { AuditPluginOptions } from '@audit-trail/core/plugin'
import { enableMikroOrmCapture, withAuditTrail } from '@audit-trail/mikro-orm'
import type { BehaviourDriver, ClientInput, ItemInput, OpenedOrm, OrmSession } from '../behaviour/driver.js'
import { ARTICLE_SCHEMA_SQL, defineEntities, type EntityBuilders, type IArticle, type IItem } from './entities.js'

/**
 * One MikroORM major: its `MikroORM` class (from `@mikro-orm/postgresql`) and entity builders
 * (from `@mikro-orm/core`). Typed as MikroORM 7; MikroORM 6.6 has the same API for all the
 * driver uses and is passed with a cast.
 */
export interface MikroOrmModules {
  /** Shown in test names, e.g. 'mikro-orm 7'. */
  readonly name: string
  readonly MikroORM: typeof MikroORM
  readonly builders: EntityBuilders
}

/** Everything the tests open MikroORM with, for one major. */
export function mikroOrmSetup(modules: MikroOrmModules) {
  const entities = defineEntities(modules.builders)
  const baseConfig = (url: string, poolSize: number): Options => ({
    clientUrl: url,
    entities: entities.all,
    pool: { min: 0, max: poolSize },
    // The tests create the schema; MikroORM must not check or change it.
    ensureDatabase: false,
    allowGlobalContext: false,
  })
  return {
    entities,
    /** A plain MikroORM (no plugin), as the log owner uses for `enableMikroOrmCapture`. */
    openPlain: (url: string, poolSize = 1, extra: Partial<Options> = {}) => modules.MikroORM.init({ ...baseConfig(url, poolSize), ...extra }),
    /** MikroORM with the audit trail attached. */
    openAudited: (url: string, options: AuditPluginOptions, poolSize = 5, extra: Partial<Options> = {}) =>
      modules.MikroORM.init(withAuditTrail({ ...baseConfig(url, poolSize), ...extra }, options)),
    /** Creates the Article / Tag tables if missing and enables capture as the owner. */
    async prepare(url: string, options: AuditPluginOptions): Promise<string[]> {
      const owner = await modules.MikroORM.init(baseConfig(url, 1))
      try {
        await owner.em.getConnection().execute(ARTICLE_SCHEMA_SQL)
        return await enableMikroOrmCapture(owner, options)
      } finally {
        await owner.close(true)
      }
    },
  }
}

/** `$1`, `$2` ... → MikroORM's `?` placeholders, parameters in their order of use. */
export function questionMarks(sql: string, params: readonly unknown[] = []): { sql: string; params: unknown[] } {
  const ordered: unknown[] = []
  return { sql: sql.replace(/\$(\d+)/g, (_, n: string) => (ordered.push(params[Number(n) - 1]), '?')), params: ordered }
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
function session(entities: ReturnType<typeof defineEntities>, fork: () => EntityManager, inTransaction: boolean): OrmSession {
  const { Client, Item, Setting, ItemTranslation, Article, Tag } = entities
  const run = async <T>(fn: (em: EntityManager) => Promise<T>): Promise<T> => {
    const em = fork()
    const result = await fn(em)
    if (inTransaction) await em.flush()
    return result
  }
  const articleWithTags = (em: EntityManager, id: number) => em.findOneOrFail(Article, id, { populate: ['tags'] }) as Promise<IArticle>
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
    transaction: (fn) => fork().transactional((tx) => fn(session(entities, () => tx, true))),
    // The connection's execute rather than em.execute: em.execute wraps every error, requireContext's
    // MissingAuditContextError included, in MikroORM's DriverException (mikro-orm.test.ts covers it).
    rawExecute: (sql, params) =>
      run(async (em) => {
        const query = questionMarks(sql, params)
        await em.getConnection().execute(query.sql, query.params, 'run', em.getTransactionContext())
      }),
    createArticle: (title) =>
      run(async (em) => {
        const article = em.create(Article, { title })
        await em.flush()
        return article.id
      }),
    createTag: (name) =>
      run(async (em) => {
        const tag = em.create(Tag, { name })
        await em.flush()
        return tag.id
      }),
    tagArticle: (articleId, tagId) =>
      run(async (em) => {
        ;(await articleWithTags(em, articleId)).tags.add(em.getReference(Tag, tagId))
        await em.flush()
      }),
    untagArticle: (articleId, tagId) =>
      run(async (em) => {
        ;(await articleWithTags(em, articleId)).tags.remove(em.getReference(Tag, tagId))
        await em.flush()
      }),
    deleteArticle: (id) =>
      run(async (em) => {
        em.remove(await em.findOneOrFail(Article, id))
        await em.flush()
      }),
  }
}

/** The shared behaviour suite's driver for one MikroORM major. */
export function mikroOrmDriver(modules: MikroOrmModules): BehaviourDriver {
  const setup = mikroOrmSetup(modules)
  return {
    name: modules.name,
    articleTables: { article: 'article', tag: 'tag', link: 'article_tags' },
    linkResourceId: (articleId, tagId) => JSON.stringify([String(articleId), String(tagId)]),
    async open(args: { url: string; options: AuditPluginOptions; poolSize?: number; audited?: boolean }): Promise<OpenedOrm> {
      await setup.prepare(args.url, args.options)
      const orm =
        args.audited === false ? await setup.openPlain(args.url, args.poolSize ?? 5) : await setup.openAudited(args.url, args.options, args.poolSize ?? 5)
      return {
        session: session(setup.entities, () => orm.em.fork(), false),
        close: () => orm.close(true),
      }
    },
  }
}
