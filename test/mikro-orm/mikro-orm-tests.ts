import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MikroORM } from '@mikro-orm/postgresql'
import { AuditConfigurationError, MissingAuditContextError, runWithAuditContext } from '@audit-trail/core'
import { readAuditContextTag, type AuditPluginOptions } from '@audit-trail/core/plugin'
import { checkMikroOrmCapture, entityTables, withAuditTrail } from '@audit-trail/mikro-orm'
import { PLUGIN_TEST_MODELS, createBusinessSchema } from '../support/business-schema.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'
import type { IArticle, IClient, IItem } from './entities.js'
import { mikroOrmSetup, type MikroOrmModules } from './mikro-orm-driver.js'

// Rows as pg returns them; `changes` is deep JSON indexed freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LogEntry = Record<string, any>

const options: AuditPluginOptions = { models: { ...PLUGIN_TEST_MODELS }, exclude: ['Setting'] }
const jan = { actor: { id: 'u-jan', name: 'Jan' }, requestId: 'req-jan' }
const eve = { actor: { id: 'u-eve', name: 'Eve' }, requestId: 'req-eve' }

/** The MikroORM plugin's own scenarios, run once per major (7 here, 6.6 in test/mikro-orm-6). */
export function defineMikroOrmTests(modules: MikroOrmModules): void {
  describe(`@audit-trail/mikro-orm on ${modules.name}`, () => {
    const setup = mikroOrmSetup(modules)
    const { Client, Item, Article, Tag, Setting } = setup.entities
    let db: TestDatabase
    let orm: MikroORM
    const opened: MikroORM[] = []
    // Every statement the audited ORM logs (MikroORM logs each one after sending it, BEGIN/COMMIT included).
    const sent: string[] = []
    // Without colours (MikroORM 6 colours the SQL anyway: the escapes are removed).
    const logged = (into: string[]) => ({
      debug: ['query' as const],
      colors: false,
      logger: (message: string) => into.push(message.replace(/\u001b\[[0-9;]*m/g, '')),
    })

    beforeAll(async () => {
      db = await createTestDatabase()
      await createBusinessSchema(db)
      await setup.prepare(db.url, options)
      orm = await setup.openAudited(db.url, options, 3, logged(sent))
      opened.push(orm)
    })
    afterAll(async () => {
      for (const o of opened) await o.close(true)
      await db?.drop()
    })

    async function watermark(): Promise<number> {
      return (await db.one<{ max: number }>(`SELECT coalesce(max(id), 0)::int AS max FROM audit_trail.activity_log`)).max
    }
    async function entriesSince(since: number): Promise<LogEntry[]> {
      return db.query<LogEntry>(
        `SELECT action, actor_type, actor_id, request_id, source, resource_type, resource_id, resource_name, changes
         FROM audit_trail.activity_log WHERE id > $1 ORDER BY id`,
        [since],
      )
    }
    const item = (client: IClient | number, name: string, price = '1.50') => ({ client, name, price, available: true }) as never

    it('enableMikroOrmCapture captured every audited table and the pivot table, under the names MikroORM uses', async () => {
      const tables = entityTables(orm.em)
      expect(tables.map((t) => [t.model, t.name.table, t.links ?? null])).toEqual(
        expect.arrayContaining([
          ['Article', 'article', null],
          ['Tag', 'tag', null],
          ['article_tags', 'article_tags', ['Article', 'Tag']],
          ['Client', 'clients', null],
        ]),
      )
      expect(tables.find((t) => t.model === 'Client')!.columns).toContainEqual({ column: 'email_address', field: 'email' })
      const captured = await db.query<{ table_name: string; resource_type: string }>(
        `SELECT table_name, resource_type FROM audit_trail.capture_settings() ORDER BY table_name`,
      )
      expect(captured.map((row) => [row.table_name, row.resource_type])).toEqual([
        ['article', 'article'],
        ['article_tags', 'article_tag'],
        ['clients', 'client'],
        ['coupons', 'coupons'],
        ['item_translations', 'item_translations'],
        ['items', 'item'],
        ['tag', 'tag'],
      ])
    })

    // Regression (issue 14): any flush that changed a @ManyToMany collection was rejected with NativeWriteNotAuditedError and rolled back.
    it('a flush that adds and removes @ManyToMany links records them as link entries with the actor, never rejected', async () => {
      const em = orm.em.fork()
      const article = em.create(Article, { title: 'Links' }) as IArticle
      const red = em.create(Tag, { name: 'red' })
      const blue = em.create(Tag, { name: 'blue' })
      await runWithAuditContext(jan, () => em.flush())
      let since = await watermark()
      await runWithAuditContext(jan, async () => {
        article.tags.add(red, blue)
        await em.flush()
      })
      const link = (tagId: number) => JSON.stringify([String(article.id), String(tagId)])
      expect((await entriesSince(since)).map((e) => [e.action, e.resource_type, e.resource_id, e.actor_id])).toEqual([
        ['created', 'article_tag', link(red.id), 'u-jan'],
        ['created', 'article_tag', link(blue.id), 'u-jan'],
      ])
      since = await watermark()
      await runWithAuditContext(eve, async () => {
        article.tags.remove(red)
        article.tags.add(em.create(Tag, { name: 'green' }))
        await em.flush()
      })
      const green = await em.findOneOrFail(Tag, { name: 'green' })
      expect((await entriesSince(since)).map((e) => [e.action, e.resource_type, e.resource_id, e.actor_id]).sort()).toEqual(
        [
          ['created', 'tag', String(green.id), 'u-eve'],
          ['created', 'article_tag', link(green.id), 'u-eve'],
          ['deleted', 'article_tag', link(red.id), 'u-eve'],
        ].sort(),
      )
    })

    it('nativeUpdate, nativeDelete, QueryBuilder and em.execute writes are recorded with the actor', async () => {
      const em = orm.em.fork()
      const client = em.create(Client, { name: 'Native' })
      const a = em.create(Item, item(client, 'NA', '1.00')) as IItem
      em.create(Item, item(client, 'NB', '2.00'))
      await em.flush()
      const since = await watermark()
      await runWithAuditContext(jan, async () => {
        expect(await orm.em.fork().nativeUpdate(Item, { client: client.id }, { price: '3.00' })).toBe(2)
        expect(await orm.em.fork().nativeDelete(Item, { id: a.id })).toBe(1)
        await orm.em.fork().createQueryBuilder(Client).update({ name: 'Native QB' }).where({ id: client.id }).execute()
        await orm.em.fork().execute(`update clients set email_address = ? where id = ?`, ['n@example.com', client.id])
      })
      expect((await entriesSince(since)).map((e) => [e.action, e.resource_type, e.actor_id, e.request_id, e.source, Object.keys(e.changes).sort()])).toEqual([
        ['updated', 'item', 'u-jan', 'req-jan', 'orm', ['price']],
        ['updated', 'item', 'u-jan', 'req-jan', 'orm', ['price']],
        ['deleted', 'item', 'u-jan', 'req-jan', 'orm', ['attributes', 'available', 'client_id', 'id', 'name', 'photo', 'price', 'released_at', 'sku']],
        ['updated', 'client', 'u-jan', 'req-jan', 'orm', ['name']],
        ['updated', 'client', 'u-jan', 'req-jan', 'orm', ['email_address']],
      ])
    })

    it('placeholders and values line up when the context and the values hold question marks', async () => {
      const em = orm.em.fork()
      const client = em.create(Client, { name: 'Q?' })
      await em.flush()
      const since = await watermark()
      const asking = { actor: { id: 'u-?', name: 'Who? Me?' }, requestId: '??' }
      await runWithAuditContext(asking, async () => {
        await orm.em.fork().execute(`update clients set name = ?, email_address = ? where id = ?`, ['A ? B', '?@example.com', client.id])
        await orm.em.fork().nativeUpdate(Client, { id: client.id, name: 'A ? B' }, { name: '?' })
      })
      expect(await db.query(`SELECT name, email_address FROM clients WHERE id = $1`, [client.id])).toEqual([{ name: '?', email_address: '?@example.com' }])
      expect((await entriesSince(since)).map((e) => [e.actor_id, e.request_id, e.changes.name])).toEqual([
        ['u-?', '??', { old: 'Q?', new: 'A ? B' }],
        ['u-?', '??', { old: 'A ? B', new: '?' }],
      ])
    })

    it('cascade remove of a client with loaded items records every row with the actor', async () => {
      const em = orm.em.fork()
      const client = em.create(Client, { name: 'Cascade' })
      client.items.add(em.create(Item, item(client, 'C1')) as IItem, em.create(Item, item(client, 'C2')) as IItem)
      await em.flush()
      const since = await watermark()
      const em2 = orm.em.fork()
      em2.remove(await em2.findOneOrFail(Client, client.id, { populate: ['items'] }))
      await runWithAuditContext(eve, () => em2.flush())
      const entries = await entriesSince(since)
      expect(entries.map((e) => [e.action, e.resource_type, e.resource_name, e.actor_id]).sort()).toEqual([
        ['deleted', 'client', 'Cascade', 'u-eve'],
        ['deleted', 'item', 'C1', 'u-eve'],
        ['deleted', 'item', 'C2', 'u-eve'],
      ])
      for (const entry of entries.filter((e) => e.resource_type === 'item')) expect(entry.changes.client_id).toEqual({ old: client.id, new: null })
    })

    it('two actors in one em.transactional: each statement carries its own context', async () => {
      const since = await watermark()
      await orm.em.fork().transactional(async (em) => {
        await runWithAuditContext(jan, async () => {
          em.create(Client, { name: 'By Jan' })
          await em.flush()
        })
        await runWithAuditContext(eve, async () => {
          em.create(Client, { name: 'By Eve' })
          await em.flush()
          await em.nativeUpdate(Client, { name: 'By Jan' }, { email: 'eve@example.com' })
        })
        em.create(Client, { name: 'By nobody' })
      })
      expect((await entriesSince(since)).map((e) => [e.action, e.resource_name, e.actor_type, e.actor_id])).toEqual([
        ['created', 'By Jan', 'user', 'u-jan'],
        ['created', 'By Eve', 'user', 'u-eve'],
        ['updated', 'By Jan', 'user', 'u-eve'],
        ['created', 'By nobody', 'system', null],
      ])
    })

    it('requireContext rejects a flush, a nativeUpdate, a QueryBuilder write and an em.execute UPDATE without context, before anything is sent', async () => {
      const strictSent: string[] = []
      const strict = await setup.openAudited(db.url, { ...options, requireContext: true }, 2, logged(strictSent))
      opened.push(strict)
      const since = await watermark()
      const em = strict.em.fork()
      em.create(Client, { name: 'Strict' })
      await expect(em.flush()).rejects.toBeInstanceOf(MissingAuditContextError)
      // nativeUpdate and em.execute go through MikroORM's driver, which wraps every error, this one
      // included, in its DriverException: the message is kept, the class is not.
      const rejected = { name: 'DriverException', message: expect.stringMatching(/^audit-trail: a writing statement \(update .* ran without an audit context and requireContext is true/) }
      await expect(strict.em.fork().nativeUpdate(Client, { name: 'Cascade' }, { name: 'Strict2' })).rejects.toMatchObject(rejected)
      await expect(strict.em.fork().createQueryBuilder(Client).update({ name: 'Strict3' }).where({ name: 'Cascade' }).execute()).rejects.toBeInstanceOf(
        MissingAuditContextError,
      )
      await expect(strict.em.fork().execute(`update clients set name = 'Strict4' where name = 'Cascade'`)).rejects.toMatchObject(rejected)
      // The connection's own execute is not wrapped.
      await expect(strict.em.getConnection().execute(`update clients set name = 'Strict5' where name = 'Cascade'`)).rejects.toBeInstanceOf(MissingAuditContextError)
      expect(strictSent.filter((line) => /insert|update/i.test(line))).toEqual([])
      expect(await db.query(`SELECT name FROM clients WHERE name LIKE 'Strict%'`)).toEqual([])
      expect(await entriesSince(since)).toEqual([])
      // Reads pass; a context lets the same writes through.
      expect(await strict.em.fork().count(Client, { name: 'Strict' })).toBe(0)
      await runWithAuditContext(jan, () => strict.em.fork().execute(`update clients set name = 'Strict4' where name = 'By nobody'`))
      expect((await entriesSince(since)).map((e) => [e.resource_name, e.actor_id])).toEqual([['Strict4', 'u-jan']])
    })

    it('capture that differs from the code fails the first flush with AuditConfigurationError naming the table and option', async () => {
      const drifted: AuditPluginOptions = { ...options, models: { ...options.models, Article: { resourceType: 'post', name: 'title' } } }
      const other = await setup.openAudited(db.url, drifted, 2)
      opened.push(other)
      const since = await watermark()
      await expect(checkMikroOrmCapture(other, drifted)).rejects.toThrow(/Article \("public"\."article"\): resourceType is "article" in the database, "post" in the code/)
      const em = other.em.fork()
      em.create(Article, { title: 'Never written' })
      const failure = await em.flush().catch((error: unknown) => error)
      expect(failure).toBeInstanceOf(AuditConfigurationError)
      expect((failure as Error).message).toMatch(/Article \("public"\."article"\): resourceType/)
      expect(await db.query(`SELECT id FROM article WHERE title = 'Never written'`)).toEqual([])
      expect(await entriesSince(since)).toEqual([])
      // Not cached as passed: the next flush checks again and fails the same way.
      await expect(em.flush()).rejects.toBeInstanceOf(AuditConfigurationError)
    })

    it('a table whose capture is off fails the startup check', async () => {
      await db.query(`SELECT audit_trail.disable_capture('public.article_tags')`)
      try {
        await expect(checkMikroOrmCapture(orm, options)).rejects.toThrow(/article_tags \("public"\."article_tags"\): capture is not enabled/)
      } finally {
        await setup.prepare(db.url, options)
      }
      await checkMikroOrmCapture(orm, options)
    })

    it('a flush sends the same statements as plain MikroORM, each tagged with the context', async () => {
      const plainSent: string[] = []
      const plain = await setup.openPlain(db.url, 2, logged(plainSent))
      opened.push(plain)
      const flushOn = async (target: MikroORM, into: string[]): Promise<string[]> => {
        const em = target.em.fork()
        const client = em.create(Client, { name: 'Count' })
        em.create(Item, item(client, 'Count item'))
        await em.flush()
        const start = into.length
        client.name = 'Count 2'
        em.remove(client)
        await em.flush()
        return into.slice(start)
      }
      const audited = await runWithAuditContext(jan, () => flushOn(orm, sent))
      const bare = await flushOn(plain, plainSent)
      expect(audited.length).toBeGreaterThan(2)
      expect(audited).toHaveLength(bare.length)
      const written = audited.filter((line) => /\b(insert|update|delete)\b/i.test(line))
      expect(written.length).toBeGreaterThan(0)
      for (const line of written) expect(line).toMatch(/\/\*audit_trail='[A-Za-z0-9_-]+'\*\//)
    })

    it("the app's own onQuery and subscribers are kept; the tag goes after the app's SQL", async () => {
      const seen: string[] = []
      const flushes: number[] = []
      const app = await modules.MikroORM.init(
        withAuditTrail(
          {
            clientUrl: db.url,
            entities: setup.entities.all,
            pool: { min: 0, max: 1 },
            ensureDatabase: false,
            allowGlobalContext: false,
            onQuery: (sql: string) => `${sql} /* app */`,
            subscribers: [{ afterFlush: async () => void flushes.push(1) }],
            ...logged(seen),
          },
          options,
        ),
      )
      opened.push(app)
      const since = await watermark()
      const em = app.em.fork()
      em.create(Setting, { key: 'kept', value: 1 })
      em.create(Client, { name: 'Kept' })
      await runWithAuditContext(eve, () => em.flush())
      expect(flushes).toEqual([1])
      const insert = seen.find((line) => /insert into "clients"/i.test(line))!
      expect(insert).toMatch(/\/\* app \*\/ \/\*audit_trail='[A-Za-z0-9_-]+'\*\//)
      expect(readAuditContextTag(insert.replace(/^\[query\] /, '').replace(/ \[took .*$/, ''))).toMatchObject({ actor_id: 'u-eve' })
      expect((await entriesSince(since)).map((e) => [e.resource_name, e.actor_id])).toEqual([['Kept', 'u-eve']])
    })
  })
}
