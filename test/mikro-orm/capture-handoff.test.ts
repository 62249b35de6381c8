import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MikroORM } from '@mikro-orm/postgresql'
import { MissingAuditContextError, runWithAuditContext } from '@audit-trail/core'
import { NativeWriteNotAuditedError, type AuditSubscriber, type MikroOrmAuditOptions } from '@audit-trail/mikro-orm'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'
import { enableBusinessCapture } from '../sequelize/captured-driver.js'
import { Client, Coupon, Item, type IItem } from './entities.js'
import { openMikroOrm } from './mikro-orm-driver.js'

// Rows as pg returns them; `changes` is deep JSON indexed freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LogEntry = Record<string, any>

// clients, items, settings and item_translations are captured; coupons stays on the ORM path.
const options: MikroOrmAuditOptions = {
  models: { Client: { resourceType: 'client', name: 'name' }, Item: { resourceType: 'item', name: 'name' } },
}
const CAPTURED = { Client: 'clients', Item: 'items', Setting: 'settings', ItemTranslation: 'item_translations' }

let db: TestDatabase
let orm: MikroORM
let subscriber: AuditSubscriber
const opened: MikroORM[] = []

// Every statement MikroORM's pool sends, to count hand-offs exactly. @mikro-orm/postgresql may
// bring its own copy of pg: the spy goes on the Client class that copy exports.
const sent: string[] = []
const require = createRequire(import.meta.url)
const mikroPg = createRequire(require.resolve('@mikro-orm/postgresql'))('pg') as typeof pg
const pgQuery = mikroPg.Client.prototype.query
beforeAll(async () => {
  mikroPg.Client.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
    sent.push(typeof config === 'string' ? config : String((config as { text?: string } | null)?.text ?? ''))
    return (pgQuery as (...args: unknown[]) => unknown).call(this, config, ...rest)
  } as typeof pgQuery
  db = await createTestDatabase()
  await db.query(readFileSync(new URL('../behaviour/business-schema.sql', import.meta.url), 'utf8'))
  await enableBusinessCapture(db.url, options, CAPTURED)
  ;({ orm, subscriber } = await openMikroOrm({ url: db.url, options, poolSize: 3 }))
  opened.push(orm)
})
afterAll(async () => {
  mikroPg.Client.prototype.query = pgQuery
  for (const o of opened) await o.close(true)
  await db?.drop()
})

const context = { actor: { id: 'u-cap', name: 'Cap User' }, ipAddress: '10.1.2.3', requestId: 'req-cap', locationId: 'lyon' }
const as = <T>(fn: () => Promise<T>) => runWithAuditContext(context, fn)
const byContext = { actor_type: 'user', actor_id: 'u-cap', actor_name: 'Cap User', ip: '10.1.2.3', request_id: 'req-cap', location_id: 'lyon', source: 'orm' }
const pizza = (client: number, name = 'Pizza', price = '12.50') => ({
  client,
  name,
  price,
  available: true,
  sku: '9007199254740993',
  photo: Buffer.from([0, 1, 2, 255]),
  attributes: { vegetarian: true },
  releasedAt: new Date('2024-01-15T14:30:00.000Z'),
})

async function watermark(): Promise<number> {
  return (await db.one<{ max: number }>(`SELECT coalesce(max(id), 0)::int AS max FROM audit_trail.activity_log`)).max
}
async function entriesSince(since: number): Promise<LogEntry[]> {
  return db.query<LogEntry>(
    `SELECT action, actor_type, actor_id, actor_name, host(ip_address) AS ip, request_id, location_id, source,
            resource_type, resource_id, resource_name, changes, transaction_id::text AS transaction_id
     FROM audit_trail.activity_log WHERE id > $1 ORDER BY id`,
    [since],
  )
}
/** Runs `fn` and returns the statements it made pg send. */
async function statementsOf(fn: () => Promise<unknown>): Promise<string[]> {
  const start = sent.length
  await fn()
  return sent.slice(start)
}
const handOffs = (statements: readonly string[]) => statements.filter((sql) => sql.includes("set_config('audit_trail.context'")).length
const logInserts = (statements: readonly string[]) => statements.filter((sql) => /insert into audit_trail\.activity_log/i.test(sql)).length
async function newClient(name: string): Promise<number> {
  const em = orm.em.fork()
  const client = em.create(Client, { name })
  await as(() => em.flush())
  return client.id
}

describe('flushes on captured tables: one entry per row, written by the trigger with the app context', () => {
  it('a flush with its implicit transaction: set_config right after BEGIN, no ORM-side entry', async () => {
    const since = await watermark()
    const em = orm.em.fork()
    let clientId = 0
    const statements = await statementsOf(() =>
      as(async () => {
        const client = em.create(Client, { name: 'Cap', email: 'a@cap.test' })
        await em.flush()
        clientId = client.id
        client.email = 'b@cap.test'
        await em.flush()
        em.remove(client)
        await em.flush()
      }),
    )
    expect(handOffs(statements)).toBe(3)
    expect(logInserts(statements)).toBe(0)
    // Each transaction sets the context before its write.
    let handedOff = false
    for (const sql of statements) {
      if (/^begin/i.test(sql)) handedOff = false
      if (sql.includes("set_config('audit_trail.context'")) handedOff = true
      if (/^(insert|update|delete)/i.test(sql)) expect(handedOff).toBe(true)
    }
    expect((await entriesSince(since)).map(({ transaction_id: _t, ...entry }) => entry)).toEqual([
      {
        ...byContext,
        action: 'created',
        resource_type: 'client',
        resource_id: String(clientId),
        resource_name: 'Cap',
        changes: {
          id: { old: null, new: clientId },
          name: { old: null, new: 'Cap' },
          email_address: { old: null, new: 'a@cap.test' },
          password_hash: { old: null, new: null },
        },
      },
      { ...byContext, action: 'updated', resource_type: 'client', resource_id: String(clientId), resource_name: 'Cap', changes: { email_address: { old: 'a@cap.test', new: 'b@cap.test' } } },
      {
        ...byContext,
        action: 'deleted',
        resource_type: 'client',
        resource_id: String(clientId),
        resource_name: 'Cap',
        changes: {
          id: { old: clientId, new: null },
          name: { old: 'Cap', new: null },
          email_address: { old: 'b@cap.test', new: null },
          password_hash: { old: null, new: null },
        },
      },
    ])
  })

  it('em.transactional: several flushes, one set_config, one transaction id; a throw leaves nothing', async () => {
    let since = await watermark()
    const statements = await statementsOf(() =>
      as(() =>
        orm.em.fork().transactional(async (em) => {
          const client = em.create(Client, { name: 'Tx' })
          await em.flush()
          em.create(Item, pizza(client.id) as never)
          await em.flush()
          client.name = 'Tx 2'
        }),
      ),
    )
    expect(handOffs(statements)).toBe(1)
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.action, e.resource_type, e.actor_id])).toEqual([
      ['created', 'client', 'u-cap'],
      ['created', 'item', 'u-cap'],
      ['updated', 'client', 'u-cap'],
    ])
    expect(new Set(entries.map((e) => e.transaction_id)).size).toBe(1)

    since = await watermark()
    await expect(
      as(() =>
        orm.em.fork().transactional(async (em) => {
          em.create(Client, { name: 'Tx gone' })
          await em.flush()
          throw new Error('rollback')
        }),
      ),
    ).rejects.toThrow('rollback')
    expect(await entriesSince(since)).toEqual([])
  })

  it('a flush touching a captured and an uncaptured table: the trigger records one, the ORM the other', async () => {
    const since = await watermark()
    const em = orm.em.fork()
    const statements = await statementsOf(() =>
      as(async () => {
        em.create(Client, { name: 'Mixed' })
        em.create(Coupon, { id: '0b3cf7b8-8f37-4d5e-9a55-2f3f1d8a7c01', code: 'MIXED', percent: 5 })
        await em.flush()
      }),
    )
    expect(handOffs(statements)).toBe(1)
    expect(logInserts(statements)).toBe(1)
    expect((await entriesSince(since)).map((e) => [e.resource_type, e.actor_id, e.source]).sort()).toEqual([
      ['client', 'u-cap', 'orm'],
      ['coupons', 'u-cap', 'orm'],
    ])
  })

  it('a flush with no context is recorded as system', async () => {
    const since = await watermark()
    const em = orm.em.fork()
    em.create(Client, { name: 'No ctx' })
    await em.flush()
    expect((await entriesSince(since)).map((e) => [e.actor_type, e.actor_id])).toEqual([['system', null]])
  })
})

describe('native writes on captured tables', () => {
  it('em.nativeUpdate / em.nativeDelete: one entry per row with old values, no lock-and-read, one set_config each', async () => {
    const clientId = await newClient('Native')
    const em = orm.em.fork()
    for (const i of [1, 2]) em.create(Item, pizza(clientId, `N${i}`, `${i}.00`) as never)
    await as(() => em.flush())
    let since = await watermark()
    const statements = await statementsOf(() => as(() => orm.em.fork().nativeUpdate(Item, { client: clientId }, { price: '5.00' })))
    expect(handOffs(statements)).toBe(1)
    expect(statements.some((sql) => /for update/i.test(sql))).toBe(false)
    expect((await entriesSince(since)).map((e) => [e.action, e.resource_name, e.changes, e.actor_id])).toEqual([
      ['updated', 'N1', { price: { old: { $decimal: '1' }, new: { $decimal: '5' } } }, 'u-cap'],
      ['updated', 'N2', { price: { old: { $decimal: '2' }, new: { $decimal: '5' } } }, 'u-cap'],
    ])
    since = await watermark()
    expect(await as(() => orm.em.fork().nativeDelete(Item, { client: clientId }))).toBe(2)
    expect((await entriesSince(since)).map((e) => [e.action, e.changes.price.old, e.actor_id])).toEqual([
      ['deleted', { $decimal: '5' }, 'u-cap'],
      ['deleted', { $decimal: '5' }, 'u-cap'],
    ])
  })

  it('em.insert, QueryBuilder and em.execute writes are allowed on captured tables and carry the actor', async () => {
    const since = await watermark()
    await as(async () => {
      await orm.em.fork().insert(Client, { name: 'Inserted' })
      await orm.em.fork().createQueryBuilder(Client).update({ name: 'Inserted 2' }).where({ name: 'Inserted' }).execute()
      await orm.em.fork().execute(`DELETE FROM clients WHERE name = ?`, ['Inserted 2'])
    })
    expect((await entriesSince(since)).map((e) => [e.action, e.actor_id, e.ip, e.request_id])).toEqual([
      ['created', 'u-cap', '10.1.2.3', 'req-cap'],
      ['updated', 'u-cap', '10.1.2.3', 'req-cap'],
      ['deleted', 'u-cap', '10.1.2.3', 'req-cap'],
    ])
  })

  it('a raw write inside em.transactional joins it and rolls back with it', async () => {
    const clientId = await newClient('Raw tx')
    const since = await watermark()
    await expect(
      as(() =>
        orm.em.fork().transactional(async (em) => {
          await em.execute(`UPDATE clients SET name = 'Raw tx 2' WHERE id = ?`, [clientId])
          throw new Error('rollback')
        }),
      ),
    ).rejects.toThrow('rollback')
    expect(await entriesSince(since)).toEqual([])
    expect(await db.query(`SELECT name FROM clients WHERE id = $1`, [clientId])).toEqual([{ name: 'Raw tx' }])
  })

  it('outside any context a raw write is recorded by the trigger as the database role', async () => {
    const clientId = await newClient('Raw db')
    const since = await watermark()
    const statements = await statementsOf(() => orm.em.fork().execute(`UPDATE clients SET name = 'Raw db 2' WHERE id = ${clientId}`))
    expect(handOffs(statements)).toBe(0)
    const { user } = await db.one<{ user: string }>('SELECT session_user AS user')
    expect((await entriesSince(since)).map((e) => [e.actor_type, e.actor_name, e.source])).toEqual([['database', user, 'trigger']])
  })

  it('QueryBuilder and raw writes to an audited table without capture are still rejected', async () => {
    const since = await watermark()
    await expect(
      as(() => orm.em.fork().createQueryBuilder(Coupon).update({ percent: 1 }).where({ code: 'MIXED' }).execute()),
    ).rejects.toBeInstanceOf(NativeWriteNotAuditedError)
    await expect(as(() => orm.em.fork().insert(Coupon, { id: '0b3cf7b8-8f37-4d5e-9a55-2f3f1d8a7c02', code: 'NO', percent: 1 }))).rejects.toBeInstanceOf(
      NativeWriteNotAuditedError,
    )
    expect(await entriesSince(since)).toEqual([])
  })
})

describe('reads and requireContext', () => {
  it('reads send no set_config, in or out of a transaction', async () => {
    const clientId = await newClient('Reader')
    const statements = await statementsOf(() =>
      as(async () => {
        const em = orm.em.fork()
        await em.findOne(Client, clientId)
        await em.find(Item, { client: clientId })
        await em.count(Client)
        await em.execute('SELECT name FROM clients WHERE id = ?', [clientId])
        await em.flush()
        await orm.em.fork().transactional(async (tx) => {
          await tx.find(Client, { id: clientId })
        })
      }),
    )
    expect(statements.length).toBeGreaterThan(4)
    expect(handOffs(statements)).toBe(0)
  })

  it('requireContext rejects a flush and a native write before anything is sent', async () => {
    const { orm: strict } = await openMikroOrm({ url: db.url, options: { ...options, requireContext: true }, poolSize: 2 })
    opened.push(strict)
    const since = await watermark()
    const em = strict.em.fork()
    em.create(Client, { name: 'Strict' })
    const statements = await statementsOf(async () => {
      await expect(em.flush()).rejects.toBeInstanceOf(MissingAuditContextError)
      await expect(strict.em.fork().nativeUpdate(Client, { name: 'Reader' }, { name: 'Strict 2' })).rejects.toBeInstanceOf(MissingAuditContextError)
      await expect(strict.em.fork().insert(Client, { name: 'Strict 3' })).rejects.toBeInstanceOf(MissingAuditContextError)
    })
    expect(statements.filter((sql) => /^(insert|update|delete)/i.test(sql))).toEqual([])
    expect(handOffs(statements)).toBe(0)
    expect(await entriesSince(since)).toEqual([])
  })
})

describe('the same change through the ORM path and through capture', () => {
  /** Creates, updates (every type) and deletes one item; returns its entries with generated keys blanked. */
  async function lifecycle(): Promise<LogEntry[]> {
    const since = await watermark()
    const clientId = await newClient('Parity')
    const em = orm.em.fork()
    const item = em.create(Item, { ...pizza(clientId), attributes: null } as never) as IItem
    await as(() => em.flush())
    // JSON null in a jsonb column (written outside the app: its trigger entry is left out below).
    await db.query(`UPDATE items SET attributes = 'null'::jsonb WHERE id = $1`, [item.id])
    await as(async () => {
      const fresh = orm.em.fork()
      const loaded = (await fresh.findOneOrFail(Item, item.id)) as IItem
      fresh.assign(loaded, {
        name: 'Pizza 2',
        price: '13.75',
        sku: '-9007199254740993',
        photo: Buffer.from('héllo'),
        attributes: { vegetarian: false, tags: ['a', null] },
        releasedAt: new Date('2025-06-01T08:00:00.123Z'),
        available: false,
      } as never)
      await fresh.flush()
      fresh.assign(loaded, { attributes: { $date: 'not a tag' } } as never)
      await fresh.flush()
      fresh.assign(loaded, { available: true } as never)
      await fresh.flush()
      await orm.em.fork().nativeUpdate(Item, { id: item.id }, { price: '1.00' })
      const last = orm.em.fork()
      last.remove(await last.findOneOrFail(Item, item.id))
      await last.flush()
    })
    const entries = await db.query<LogEntry>(
      `SELECT action, resource_type, resource_name, changes, changed_fields FROM audit_trail.activity_log
       WHERE id > $1 AND resource_type = 'item' AND source = 'orm' ORDER BY id`,
      [since],
    )
    return entries.map((entry) => {
      const changes = { ...entry.changes }
      for (const key of ['id', 'client_id']) {
        if (changes[key]) changes[key] = { old: changes[key].old === null ? null : key, new: changes[key].new === null ? null : key }
      }
      return { ...entry, changes, changed_fields: [...entry.changed_fields].sort() }
    })
  }

  it('gives the same changes JSON, except JSON null, which only the trigger can tell from SQL NULL', async () => {
    await db.query(`SELECT audit_trail.disable_capture('public.items')`)
    subscriber.refreshCapturedTables()
    const viaOrm = await lifecycle()
    await enableBusinessCapture(db.url, options, { Item: 'items' })
    subscriber.refreshCapturedTables()
    const viaCapture = await lifecycle()

    // Inherent: pg hands the ORM JSON null and SQL NULL alike (null); the trigger sees the column.
    expect(viaOrm[1]!.changes.attributes).toEqual({ old: null, new: { vegetarian: false, tags: ['a', null] } })
    expect(viaCapture[1]!.changes.attributes).toEqual({ old: { $json: null }, new: { vegetarian: false, tags: ['a', null] } })
    viaCapture[1]!.changes.attributes.old = null
    expect(viaCapture).toEqual(viaOrm)
    expect(viaOrm.map((e) => e.action)).toEqual(['created', 'updated', 'updated', 'enabled', 'updated', 'deleted'])
    expect(viaOrm[2]!.changes.attributes.new).toEqual({ $json: { $date: 'not a tag' } })
  })
})
