import { setTimeout as sleep } from 'node:timers/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { MissingAuditContextError, runWithAuditContext } from '@audit-trail/core'
import { BUSINESS_OPTIONS } from '../support/business-schema.js'
import { useOrmDatabase } from '../support/orm-database.js'
import type { BehaviourDriver, ItemInput, OrmSession } from './driver.js'

// Rows as pg returns them; `changes` is deep JSON the assertions index into freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LogEntry = Record<string, any>

/**
 * The scenarios every ORM plugin must pass, run once per driver: the same business schema, the
 * same calls through each ORM's normal API, and the same expected rows in the log.
 */
export function defineBehaviourSuite(driver: BehaviourDriver): void {
  describe(`behaviour suite: ${driver.name}`, () => {
    const { db, orm } = useOrmDatabase(driver, { poolSize: 5 })
    let s: OrmSession
    beforeAll(() => {
      s = orm.session
    })

    const actor = { id: 'u-jan', name: 'Jan Manager', email: 'jan@example.com' }
    const as = <T>(fn: () => Promise<T>) =>
      runWithAuditContext({ actor, ipAddress: '192.168.1.100', locationId: 'paris', requestId: 'req-1' }, fn)

    /** Entries written after `since` (an id watermark), oldest first. */
    async function entriesSince(since: number) {
      return db.query<LogEntry>(
        `SELECT id, action, actor_type, actor_id, actor_name, resource_type, resource_id, resource_name,
                changes, changed_fields, ip_address, location_id, request_id, source, transaction_id
         FROM audit_trail.activity_log WHERE id > $1 ORDER BY id`,
        [since],
      )
    }
    async function watermark(): Promise<number> {
      const { max } = await db.one<{ max: number }>(`SELECT coalesce(max(id), 0)::int AS max FROM audit_trail.activity_log`)
      return max
    }
    const pizza = (clientId: number, extra: Partial<ItemInput> = {}): ItemInput => ({
      clientId,
      name: 'Margherita Pizza',
      price: '12.50',
      available: true,
      sku: '9007199254740993',
      photo: Buffer.from([0, 1, 2, 255]),
      attributes: { vegetarian: true, allergens: ['gluten', 'milk'] },
      releasedAt: new Date('2024-01-15T14:30:00.000Z'),
      ...extra,
    })
    /** A new client named `clientName` and one pizza of it, each written as the suite's actor: the pizza's id. */
    async function newPizza(clientName: string, extra: Partial<ItemInput> = {}): Promise<number> {
      const clientId = await as(() => s.createClient({ name: clientName }))
      return as(() => s.createItem(pizza(clientId, extra)))
    }

    it('create: one entry with every column keyed by database column name, with the context', async () => {
      const since = await watermark()
      const id = await as(() => s.createClient({ name: 'Acme', email: 'a@acme.test', passwordHash: 'h1' }))
      const [entry, ...rest] = await entriesSince(since)
      expect(rest).toEqual([])
      expect(entry).toMatchObject({
        action: 'created',
        actor_type: 'user',
        actor_id: 'u-jan',
        actor_name: 'Jan Manager',
        resource_type: 'client',
        resource_id: String(id),
        resource_name: 'Acme',
        ip_address: '192.168.1.100',
        location_id: 'paris',
        request_id: 'req-1',
        changes: {
          id: { old: null, new: id },
          name: { old: null, new: 'Acme' },
          email_address: { old: null, new: 'a@acme.test' },
          password_hash: { old: null, new: '[REDACTED]' },
        },
      })
      expect(Object.keys(entry!.changes).sort()).toEqual(['email_address', 'id', 'name', 'password_hash'])
      expect([...entry!.changed_fields].sort()).toEqual(['email_address', 'id', 'name', 'password_hash'])
    })

    it('values of every type are encoded the same way by every plugin', async () => {
      const clientId = await as(() => s.createClient({ name: 'Types' }))
      const since = await watermark()
      const id = await as(() => s.createItem(pizza(clientId)))
      const [entry] = await entriesSince(since)
      expect(entry!.changes).toEqual({
        id: { old: null, new: id },
        client_id: { old: null, new: clientId },
        name: { old: null, new: 'Margherita Pizza' },
        price: { old: null, new: { $decimal: '12.5' } },
        available: { old: null, new: true },
        sku: { old: null, new: { $bigint: '9007199254740993' } },
        photo: { old: null, new: { $bytes: 'AAEC/w==' } },
        attributes: { old: null, new: { vegetarian: true, allergens: ['gluten', 'milk'] } },
        released_at: { old: null, new: { $date: '2024-01-15T14:30:00.000Z' } },
      })
      expect(entry!.resource_name).toBe('Margherita Pizza')
    })

    it('update: only the changed columns, with the old values', async () => {
      const id = await newPizza('Upd')
      const since = await watermark()
      await as(() => s.updateItem(id, { price: '13.50', name: 'Margherita' }))
      const entries = await entriesSince(since)
      expect(entries).toHaveLength(1)
      expect(entries[0]).toMatchObject({
        action: 'updated',
        resource_id: String(id),
        resource_name: 'Margherita',
        changes: {
          name: { old: 'Margherita Pizza', new: 'Margherita' },
          price: { old: { $decimal: '12.5' }, new: { $decimal: '13.5' } },
        },
      })
      expect([...entries[0]!.changed_fields].sort()).toEqual(['name', 'price'])
    })

    it('an update that changes nothing writes no entry', async () => {
      const id = await newPizza('Noop')
      const since = await watermark()
      await as(() => s.updateItem(id, { price: '12.50', name: 'Margherita Pizza' }))
      expect(await entriesSince(since)).toEqual([])
    })

    it('a lone change of the toggle column is recorded as disabled / enabled', async () => {
      const id = await newPizza('Toggle')
      const since = await watermark()
      await as(() => s.updateItem(id, { available: false }))
      await as(() => s.updateItem(id, { available: true }))
      const entries = await entriesSince(since)
      expect(entries.map((e) => [e.action, e.changes])).toEqual([
        ['disabled', { available: { old: true, new: false } }],
        ['enabled', { available: { old: false, new: true } }],
      ])
    })

    it('delete: every column with its old value', async () => {
      const id = await newPizza('Del', { name: 'Old Salad', sku: null, photo: null })
      const since = await watermark()
      await as(() => s.deleteItem(id))
      const entries = await entriesSince(since)
      expect(entries).toHaveLength(1)
      expect(entries[0]).toMatchObject({
        action: 'deleted',
        resource_id: String(id),
        resource_name: 'Old Salad',
        changes: {
          id: { old: id, new: null },
          name: { old: 'Old Salad', new: null },
          price: { old: { $decimal: '12.5' }, new: null },
          sku: { old: null, new: null },
          released_at: { old: { $date: '2024-01-15T14:30:00.000Z' }, new: null },
        },
      })
    })

    it('bulk create, update and delete: one entry per row with correct old values', async () => {
      const clientId = await as(() => s.createClient({ name: 'Bulk' }))
      let since = await watermark()
      await as(() =>
        s.createItems(Array.from({ length: 25 }, (_, i) => pizza(clientId, { name: `Bulk ${i}`, price: `${i}.25` }))),
      )
      const created = await entriesSince(since)
      expect(created).toHaveLength(25)
      expect(new Set(created.map((e) => e.action))).toEqual(new Set(['created']))
      expect(created.map((e) => e.resource_name).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `Bulk ${i}`).sort())

      since = await watermark()
      expect(await as(() => s.setPriceOfClientItems(clientId, '3.25'))).toBe(25)
      const updated = await entriesSince(since)
      expect(updated).toHaveLength(24) // Bulk 3 already cost 3.25: no-op, no entry
      for (const entry of updated) {
        const i = Number((entry.resource_name as string).slice(5))
        expect(entry.action).toBe('updated')
        expect(entry.changes).toEqual({ price: { old: { $decimal: `${i}.25` }, new: { $decimal: '3.25' } } })
      }

      since = await watermark()
      expect(await as(() => s.deleteClientItems(clientId))).toBe(25)
      const deleted = await entriesSince(since)
      expect(deleted).toHaveLength(25)
      expect(deleted.every((e) => e.action === 'deleted' && e.changes.price.old.$decimal === '3.25')).toBe(true)
    })

    it('upsert of a JSON setting records created, then updated with old and new JSON', async () => {
      const since = await watermark()
      await as(() => s.upsertSetting('vat', { rate: 0.2 }))
      await as(() => s.upsertSetting('vat', { rate: 0.21, since: '2025' }))
      const entries = await entriesSince(since)
      expect(entries.map((e) => [e.action, e.resource_id, e.changes])).toEqual([
        ['created', 'vat', { key: { old: null, new: 'vat' }, value: { old: null, new: { rate: 0.2 } } }],
        ['updated', 'vat', { value: { old: { rate: 0.2 }, new: { rate: 0.21, since: '2025' } } }],
      ])
    })

    it('composite primary keys give a JSON array resource_id', async () => {
      const itemId = await newPizza('Comp')
      const since = await watermark()
      await as(() => s.createTranslation(itemId, 'fr', 'Pizza Margherita'))
      await as(() => s.updateTranslation(itemId, 'fr', 'La Margherita'))
      const entries = await entriesSince(since)
      expect(entries.map((e) => [e.action, e.resource_type, e.resource_id])).toEqual([
        ['created', 'item_translations', `["${itemId}","fr"]`],
        ['updated', 'item_translations', `["${itemId}","fr"]`],
      ])
    })

    it('nested or cascaded create records every row', async () => {
      const since = await watermark()
      const clientId = await as(() =>
        s.createClientWithItems({ name: 'Nested' }, [
          pizza(0, { name: 'N1', clientId: undefined }),
          pizza(0, { name: 'N2', clientId: undefined }),
        ]),
      )
      const entries = await entriesSince(since)
      expect(entries.map((e) => [e.action, e.resource_type, e.resource_name]).sort()).toEqual([
        ['created', 'client', 'Nested'],
        ['created', 'item', 'N1'],
        ['created', 'item', 'N2'],
      ])
      for (const entry of entries.filter((e) => e.resource_type === 'item')) {
        expect(entry.changes.client_id).toEqual({ old: null, new: clientId })
      }
      expect(new Set(entries.map((e) => e.transaction_id)).size).toBe(1)
    })

    describe('atomicity', () => {
      it('a committed transaction leaves every entry, in that transaction', async () => {
        const since = await watermark()
        await as(() =>
          s.transaction(async (tx) => {
            const clientId = await tx.createClient({ name: 'TxOk' })
            await tx.createItem(pizza(clientId))
          }),
        )
        const entries = await entriesSince(since)
        expect(entries.map((e) => e.action)).toEqual(['created', 'created'])
        expect(new Set(entries.map((e) => e.transaction_id)).size).toBe(1)
      })

      it('a transaction that throws after its writes leaves no entry and no row', async () => {
        const since = await watermark()
        const failure = new Error('forced failure after the writes')
        await expect(
          as(() =>
            s.transaction(async (tx) => {
              const clientId = await tx.createClient({ name: 'TxFail' })
              const id = await tx.createItem(pizza(clientId))
              await tx.updateItem(id, { price: '99.00' })
              await tx.deleteItem(id)
              throw failure
            }),
          ),
        ).rejects.toBe(failure)
        expect(await entriesSince(since)).toEqual([])
        expect(await db.query(`SELECT id FROM clients WHERE name = 'TxFail'`)).toEqual([])
      })

      it('a bulk update rolled back leaves no entry', async () => {
        const clientId = await as(() => s.createClient({ name: 'BulkFail' }))
        await as(() => s.createItems([pizza(clientId), pizza(clientId)]))
        const since = await watermark()
        await expect(
          as(() =>
            s.transaction(async (tx) => {
              await tx.setPriceOfClientItems(clientId, '1.00')
              throw new Error('rollback')
            }),
          ),
        ).rejects.toThrow('rollback')
        expect(await entriesSince(since)).toEqual([])
      })

      it('a write that fails in the database leaves no entry', async () => {
        const since = await watermark()
        await expect(as(() => s.createItem(pizza(999_999)))).rejects.toThrow()
        expect(await entriesSince(since)).toEqual([])
      })
    })

    describe('tables as the ORM names them, link tables and cascades', () => {
      it('tables with the ORM’s default names (no mapping) are captured with their options', async () => {
        const since = await watermark()
        const id = await as(() => s.createArticle('Hello "World"'))
        const [entry, ...rest] = await entriesSince(since)
        expect(rest).toEqual([])
        expect(entry).toMatchObject({
          action: 'created',
          actor_id: 'u-jan',
          resource_type: 'article',
          resource_id: String(id),
          resource_name: 'Hello "World"',
        })
        const { table } = await db.one<{ table: string }>(
          `SELECT table_name::text AS table FROM audit_trail.capture_catalog WHERE resource_type = 'article'`,
        )
        expect(table.replace(/"/g, '')).toBe(driver.articleTables.article)
      })

      it('adding and removing a many-to-many link records link entries with the actor', async () => {
        const article = await as(() => s.createArticle('Linked'))
        const tag = await as(() => s.createTag(`tag-${article}`))
        const since = await watermark()
        await as(() => s.tagArticle(article, tag))
        await runWithAuditContext({ actor: { id: 'u-editor' } }, () => s.untagArticle(article, tag))
        const entries = await entriesSince(since)
        expect(entries.map((e) => [e.action, e.resource_type, e.resource_id, e.actor_id])).toEqual([
          ['created', 'article_tag', driver.linkResourceId(article, tag), 'u-jan'],
          ['deleted', 'article_tag', driver.linkResourceId(article, tag), 'u-editor'],
        ])
      })

      it('deleting an article records its cascaded link rows with the actor of the delete', async () => {
        const article = await as(() => s.createArticle('Doomed'))
        const tags = [await as(() => s.createTag(`a-${article}`)), await as(() => s.createTag(`b-${article}`))]
        for (const tag of tags) await as(() => s.tagArticle(article, tag))
        const since = await watermark()
        await runWithAuditContext({ actor: { id: 'u-deleter' } }, () => s.deleteArticle(article))
        const entries = await entriesSince(since)
        expect(entries.map((e) => [e.action, e.resource_type, e.resource_id, e.actor_id]).sort()).toEqual(
          [
            ['deleted', 'article', String(article), 'u-deleter'],
            ...tags.map((tag) => ['deleted', 'article_tag', driver.linkResourceId(article, tag), 'u-deleter']),
          ].sort(),
        )
        expect(new Set(entries.map((e) => e.transaction_id)).size).toBe(1)
      })

      it('ON DELETE CASCADE children are recorded with the actor of the parent’s delete', async () => {
        const clientId = await as(() => s.createClient({ name: 'Cascading' }))
        await as(() => s.createItems([pizza(clientId, { name: 'C1' }), pizza(clientId, { name: 'C2' })]))
        const since = await watermark()
        await runWithAuditContext({ actor: { id: 'u-cascade' } }, () => s.deleteClient(clientId))
        const entries = await entriesSince(since)
        expect(entries.map((e) => [e.action, e.resource_type, e.resource_name, e.actor_id]).sort()).toEqual([
          ['deleted', 'client', 'Cascading', 'u-cascade'],
          ['deleted', 'item', 'C1', 'u-cascade'],
          ['deleted', 'item', 'C2', 'u-cascade'],
        ])
      })
    })

    describe('context per statement', () => {
      it('two actors in one transaction: each write carries its own context, a write outside any is system', async () => {
        const clientId = await as(() => s.createClient({ name: 'TwoActors' }))
        const since = await watermark()
        await s.transaction(async (tx) => {
          await runWithAuditContext({ actor: { id: 'u-first' } }, () => tx.updateClient(clientId, { name: 'First' }))
          await runWithAuditContext({ actor: { id: 'u-second' } }, () => tx.updateClient(clientId, { name: 'Second' }))
          await tx.updateClient(clientId, { name: 'Nobody' })
        })
        const entries = await entriesSince(since)
        expect(entries.map((e) => [e.resource_name, e.actor_type, e.actor_id])).toEqual([
          ['First', 'user', 'u-first'],
          ['Second', 'user', 'u-second'],
          ['Nobody', 'system', null],
        ])
        expect(new Set(entries.map((e) => e.transaction_id)).size).toBe(1)
      })

      it('raw SQL sent through the ORM carries the context, in and out of a transaction', async () => {
        const clientId = await as(() => s.createClient({ name: 'Raw' }))
        const since = await watermark()
        await as(() => s.rawExecute('UPDATE clients SET name = $1 WHERE id = $2', ['Raw 1', clientId]))
        await runWithAuditContext({ actor: { id: 'u-raw-tx' } }, () =>
          s.transaction((tx) => tx.rawExecute('UPDATE clients SET name = $1 WHERE id = $2', ['Raw 2', clientId])),
        )
        await s.rawExecute('UPDATE clients SET name = $1 WHERE id = $2', ['Raw 3', clientId])
        const entries = await entriesSince(since)
        expect(entries.map((e) => [e.resource_name, e.actor_type, e.actor_id, e.source])).toEqual([
          ['Raw 1', 'user', 'u-jan', 'orm'],
          ['Raw 2', 'user', 'u-raw-tx', 'orm'],
          ['Raw 3', 'system', null, 'orm'],
        ])
      })

      it('a value that looks like a tag is stored as data and never taken as context', async () => {
        const forged = `x'*/ /*audit_trail='${Buffer.from('{"actor_type":"user","actor_id":"ceo"}').toString('base64url')}'*/`
        const since = await watermark()
        const id = await as(() => s.createClient({ name: forged }))
        await as(() => s.rawExecute('UPDATE clients SET email_address = $1 WHERE id = $2', [forged, id]))
        const entries = await entriesSince(since)
        expect(entries.map((e) => [e.actor_id, e.resource_name])).toEqual([
          ['u-jan', forged],
          ['u-jan', forged],
        ])
      })

      it('1,000 concurrent writes through a pool of 2: plain and audited ORMs both complete, no entry misattributed', async () => {
        const plain = await driver.open({ url: db.url, options: BUSINESS_OPTIONS, poolSize: 2, audited: false })
        const audited = await driver.open({ url: db.url, options: BUSINESS_OPTIONS, poolSize: 2 })
        try {
          const ids = [] as number[]
          for (let i = 0; i < 10; i += 1) ids.push(await as(() => s.createClient({ name: `Pool ${i}` })))
          const run = async (session: OrmSession, label: string) => {
            const results = await Promise.allSettled(
              Array.from({ length: 1000 }, (_, i) =>
                runWithAuditContext({ actor: { id: `${label}-${i}` }, requestId: `${label}-req-${i}` }, () =>
                  session.updateClient(ids[i % ids.length]!, { email: `${label}-${i}@example.com` }),
                ),
              ),
            )
            return results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))
          }
          expect(await run(plain.session, 'plain')).toEqual([])
          const since = await watermark()
          expect(await run(audited.session, 'audited')).toEqual([])
          const entries = await db.query<LogEntry>(
            `SELECT actor_id, request_id, changes FROM audit_trail.activity_log WHERE id > $1 AND resource_type = 'client'`,
            [since],
          )
          expect(entries).toHaveLength(1000)
          const wrong = entries.filter((e) => {
            const i = (e.changes.email_address.new as string).split('@')[0]!.slice('audited-'.length)
            return e.actor_id !== `audited-${i}` || e.request_id !== `audited-req-${i}`
          })
          expect(wrong).toEqual([])
        } finally {
          await plain.close()
          await audited.close()
        }
      })
    })

    describe('context', () => {
      it('a write with no context is recorded as system', async () => {
        const since = await watermark()
        await s.createClient({ name: 'Cron' })
        const [entry] = await entriesSince(since)
        expect(entry).toMatchObject({ actor_type: 'system', actor_id: null, ip_address: null })
      })

      it('the context reaches the entry when the call is returned, not awaited, from the callback', async () => {
        const since = await watermark()
        await runWithAuditContext({ actor: { id: 'u-returned' } }, () => s.createClient({ name: 'Returned' }))
        const [entry] = await entriesSince(since)
        expect(entry?.actor_id).toBe('u-returned')
      })

      it('50 concurrent requests through a pool of 5 never get each other’s actor', async () => {
        const since = await watermark()
        await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            runWithAuditContext({ actor: { id: `user-${i}`, name: `User ${i}` } }, async () => {
              await sleep(i % 7)
              const id = await s.createClient({ name: `Concurrent ${i}` })
              await s.updateClient(id, { email: `c${i}@example.com` })
            }),
          ),
        )
        const entries = await entriesSince(since)
        expect(entries).toHaveLength(100)
        for (const entry of entries) {
          const i = entry.action === 'created' ? (entry.changes.name.new as string).slice(11) : null
          if (i !== null) expect(entry.actor_id).toBe(`user-${i}`)
          else expect(entry.actor_id).toBe(`user-${(entry.changes.email_address.new as string).slice(1).split('@')[0]}`)
        }
      })

      it('requireContext rejects model and raw writes without context before anything is written', async () => {
        const strict = await driver.open({ url: db.url, options: { ...BUSINESS_OPTIONS, requireContext: true }, poolSize: 2 })
        try {
          const since = await watermark()
          await expect(strict.session.createClient({ name: 'NoCtx' })).rejects.toBeInstanceOf(MissingAuditContextError)
          await expect(
            strict.session.rawExecute(`UPDATE clients SET name = 'NoCtxRaw' WHERE name = 'Acme'`),
          ).rejects.toBeInstanceOf(MissingAuditContextError)
          await expect(
            strict.session.transaction((tx) => tx.rawExecute(`INSERT INTO clients (name) VALUES ('NoCtxRawTx')`)),
          ).rejects.toBeInstanceOf(MissingAuditContextError)
          expect(await entriesSince(since)).toEqual([])
          expect(await db.query(`SELECT id FROM clients WHERE name LIKE 'NoCtx%'`)).toEqual([])
          await runWithAuditContext({ actor }, () => strict.session.createClient({ name: 'WithCtx' }))
          expect(await entriesSince(since)).toHaveLength(1)
        } finally {
          await strict.close()
        }
      })
    })
  })
}
