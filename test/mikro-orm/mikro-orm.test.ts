import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RequestContext, type MikroORM } from '@mikro-orm/postgresql'
import { MissingAuditContextError, runWithAuditContext } from '@audit-trail/core'
import { NativeWriteNotAuditedError, auditForkOptions, type MikroOrmAuditOptions } from '@audit-trail/mikro-orm'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'
import { Client, Coupon, Item, Setting, type IClient, type IItem } from './entities.js'
import { openMikroOrm } from './mikro-orm-driver.js'

// Rows as pg returns them; `changes` is deep JSON indexed freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LogEntry = Record<string, any>

let db: TestDatabase
let orm: MikroORM
const opened: MikroORM[] = []
const options: MikroOrmAuditOptions = {
  models: { Client: { resourceType: 'client', name: 'name' }, Item: { resourceType: 'item', name: 'name' } },
  exclude: ['Setting'],
}

async function open(extra: Partial<MikroOrmAuditOptions> = {}): Promise<MikroORM> {
  const { orm: opened$ } = await openMikroOrm({ url: db.url, options: { ...options, ...extra }, poolSize: 3 })
  opened.push(opened$)
  return opened$
}

beforeAll(async () => {
  db = await createTestDatabase()
  await db.query(readFileSync(new URL('../behaviour/business-schema.sql', import.meta.url), 'utf8'))
  // Counts INSERT statements on the log, to prove how many statements a flush costs.
  await db.query(`
    CREATE TABLE log_inserts (n int);
    CREATE FUNCTION count_log_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO log_inserts VALUES (1); RETURN NULL; END $$;
    CREATE TRIGGER count_log_insert AFTER INSERT ON audit_trail.activity_log
      FOR EACH STATEMENT EXECUTE FUNCTION count_log_insert();`)
  orm = await open()
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
    `SELECT action, actor_id, actor_name, ip_address, tenant_id, resource_type, resource_id, resource_name, changes, transaction_id::text
     FROM audit_trail.activity_log WHERE id > $1 ORDER BY id`,
    [since],
  )
}
async function logInserts(): Promise<number> {
  return (await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM log_inserts`)).n
}
const item = (client: IClient | number, name: string, price = '1.50') => ({
  client,
  name,
  price,
  available: true,
})

describe('unit of work', () => {
  it('cascade remove of a client with loaded items records every row with its old values', async () => {
    const em = orm.em.fork()
    const client = em.create(Client, { name: 'Cascade' })
    client.items.add(em.create(Item, item(client, 'C1') as never) as IItem, em.create(Item, item(client, 'C2') as never) as IItem)
    await em.flush()
    const since = await watermark()
    const em2 = orm.em.fork()
    em2.remove(await em2.findOneOrFail(Client, client.id, { populate: ['items'] }))
    await em2.flush()
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.action, e.resource_type, e.resource_name]).sort()).toEqual([
      ['deleted', 'client', 'Cascade'],
      ['deleted', 'item', 'C1'],
      ['deleted', 'item', 'C2'],
    ])
    for (const entry of entries.filter((e) => e.resource_type === 'item')) {
      expect(entry.changes.client_id).toEqual({ old: client.id, new: null })
      expect(entry.changes.price).toEqual({ old: { $decimal: '1.5' }, new: null })
    }
  })

  it('moving an item between collections records the foreign key column change', async () => {
    const em = orm.em.fork()
    const from = em.create(Client, { name: 'From' })
    const to = em.create(Client, { name: 'To' })
    const moved = em.create(Item, item(from, 'Moved') as never) as IItem
    await em.flush()
    const since = await watermark()
    to.items.add(moved)
    await em.flush()
    expect((await entriesSince(since)).map((e) => [e.action, e.resource_id, e.changes])).toEqual([
      ['updated', String(moved.id), { client_id: { old: from.id, new: to.id } }],
    ])
  })

  it('uuid keys give the uuid as resource_id; update and delete keep old values', async () => {
    const em = orm.em.fork()
    const id = '6f1c1a52-6b1e-4c43-9d3a-3b0f3a9d2c11'
    const coupon = em.create(Coupon, { id, code: 'SUMMER', percent: 10 })
    const since = await watermark()
    await em.flush()
    coupon.percent = 15
    await em.flush()
    em.remove(coupon)
    await em.flush()
    expect((await entriesSince(since)).map((e) => [e.action, e.resource_type, e.resource_id, e.changes])).toEqual([
      ['created', 'coupons', id, { id: { old: null, new: id }, code: { old: null, new: 'SUMMER' }, percent: { old: null, new: 10 }, deleted_at: { old: null, new: null } }],
      ['updated', 'coupons', id, { percent: { old: 10, new: 15 } }],
      ['deleted', 'coupons', id, { id: { old: id, new: null }, code: { old: 'SUMMER', new: null }, percent: { old: 15, new: null }, deleted_at: { old: null, new: null } }],
    ])
  })

  it('serial keys are read after the insert: resource_id and changes.id hold the generated key', async () => {
    const em = orm.em.fork()
    const since = await watermark()
    const client = em.create(Client, { name: 'Serial' })
    await em.flush()
    const [entry] = await entriesSince(since)
    expect(client.id).toBeGreaterThan(0)
    expect(entry).toMatchObject({ resource_id: String(client.id), changes: { id: { old: null, new: client.id } } })
  })

  it('em.transactional: several flushes share the transaction; a throw removes rows and entries', async () => {
    let since = await watermark()
    await orm.em.fork().transactional(async (em) => {
      em.create(Client, { name: 'Tx A' })
      await em.flush()
      em.create(Client, { name: 'Tx B' })
    })
    const committed = await entriesSince(since)
    expect(committed.map((e) => e.resource_name)).toEqual(['Tx A', 'Tx B'])
    expect(new Set(committed.map((e) => e.transaction_id)).size).toBe(1)

    since = await watermark()
    await expect(
      orm.em.fork().transactional(async (em) => {
        em.create(Client, { name: 'Tx Gone' })
        await em.flush()
        await em.nativeUpdate(Client, { name: 'Tx A' }, { name: 'Tx A2' })
        throw new Error('rollback')
      }),
    ).rejects.toThrow('rollback')
    expect(await entriesSince(since)).toEqual([])
    expect(await db.query(`SELECT name FROM clients WHERE name IN ('Tx Gone', 'Tx A2')`)).toEqual([])
  })

  it('a 1,000-entity flush writes its 1,000 entries in one statement', async () => {
    const em = orm.em.fork()
    const client = em.create(Client, { name: 'Thousand' })
    for (let i = 0; i < 1000; i++) em.create(Item, item(client, `T${i}`) as never)
    const since = await watermark()
    const before = await logInserts()
    await em.flush()
    const entries = await entriesSince(since)
    expect(entries).toHaveLength(1001)
    expect(new Set(entries.map((e) => `${e.resource_type}:${e.resource_id}`)).size).toBe(1001)
    expect(entries.every((e) => e.resource_id !== null && e.action === 'created')).toBe(true)
    expect((await logInserts()) - before).toBe(1)
  })

  it('models in exclude write no entry', async () => {
    const since = await watermark()
    const em = orm.em.fork()
    em.create(Setting, { key: 'excluded', value: { a: 1 } })
    await em.flush()
    expect(await entriesSince(since)).toEqual([])
  })
})

describe('writes that bypass the unit of work', () => {
  it('em.nativeUpdate and em.nativeDelete record one entry per row with old values, in one statement each', async () => {
    const em = orm.em.fork()
    const client = em.create(Client, { name: 'Native' })
    const a = em.create(Item, item(client, 'NA', '1.00') as never) as IItem
    const b = em.create(Item, item(client, 'NB', '2.00') as never) as IItem
    await em.flush()
    const since = await watermark()
    const before = await logInserts()
    await runWithAuditContext({ actor: { id: 'u-native' } }, async () => {
      expect(await orm.em.fork().nativeUpdate(Item, { client: client.id }, { price: '2.00' })).toBe(2)
      expect(await orm.em.fork().nativeDelete(Item, { id: a.id })).toBe(1)
    })
    expect((await entriesSince(since)).map((e) => [e.action, e.actor_id, e.resource_id, e.changes.price])).toEqual([
      ['updated', 'u-native', String(a.id), { old: { $decimal: '1' }, new: { $decimal: '2' } }],
      ['deleted', 'u-native', String(a.id), { old: { $decimal: '2' }, new: null }],
    ])
    expect((await logInserts()) - before).toBe(2)
    expect(b.id).toBeGreaterThan(0)
  })


  it('a flush that updates rows a native delete already removed records nothing for them', async () => {
    // Found by the R1 fuzz (seed 309592662): the items stay in the identity map after
    // nativeDelete; removing their client then nulls client_id on rows that no longer exist.
    const since = await watermark()
    const clientId = await orm.em.fork().transactional(async (em) => {
      const client = em.create(Client, { name: 'Gone' })
      client.items.add(em.create(Item, item(client, 'G1') as never) as IItem, em.create(Item, item(client, 'G2') as never) as IItem)
      await em.flush()
      expect(await em.nativeDelete(Item, { client: client.id })).toBe(2)
      em.remove(await em.findOneOrFail(Client, client.id, { populate: ['items'] }))
      await em.flush()
      return client.id
    })
    expect((await entriesSince(since)).map((e) => [e.action, e.resource_type, e.resource_name])).toEqual([
      ['created', 'client', 'Gone'],
      ['created', 'item', 'G1'],
      ['created', 'item', 'G2'],
      ['deleted', 'item', 'G1'],
      ['deleted', 'item', 'G2'],
      ['deleted', 'client', 'Gone'],
    ])
    expect(await db.query(`SELECT id FROM clients WHERE id = $1`, [clientId])).toEqual([])
  })
  it('QueryBuilder and em.insert writes to an audited table are rejected before they run', async () => {
    const em = orm.em.fork()
    const client = em.create(Client, { name: 'QB' })
    await em.flush()
    const since = await watermark()
    await expect(orm.em.fork().createQueryBuilder(Client).update({ name: 'QB2' }).where({ id: client.id }).execute()).rejects.toBeInstanceOf(
      NativeWriteNotAuditedError,
    )
    await expect(orm.em.fork().insert(Client, { name: 'Inserted' })).rejects.toBeInstanceOf(NativeWriteNotAuditedError)
    // em.execute wraps every error of the connection in MikroORM's DriverException.
    await expect(orm.em.fork().execute(`delete from clients where id = ${client.id}`)).rejects.toThrow(
      /QueryBuilder or raw SQL writes to the audited table "clients" bypass MikroORM's unit of work/,
    )
    expect(await db.query(`SELECT name FROM clients WHERE id = $1 OR name = 'Inserted'`, [client.id])).toEqual([{ name: 'QB' }])
    expect(await entriesSince(since)).toEqual([])
  })

  it('QueryBuilder writes to tables that are not audited pass', async () => {
    await orm.em.fork().createQueryBuilder(Setting).insert({ key: 'qb', value: { b: 2 } }).execute()
    expect(await db.query(`SELECT value FROM settings WHERE key = 'qb'`)).toEqual([{ value: { b: 2 } }])
  })

  it("unauditedWrites: 'allow' lets QueryBuilder writes through without an entry", async () => {
    const permissive = await open({ unauditedWrites: 'allow' })
    const since = await watermark()
    await permissive.em.fork().createQueryBuilder(Client).insert({ name: 'Allowed' }).execute()
    expect(await db.query(`SELECT name FROM clients WHERE name = 'Allowed'`)).toEqual([{ name: 'Allowed' }])
    expect(await entriesSince(since)).toEqual([])
  })
})

describe('context', () => {
  it('RequestContext with auditForkOptions attributes flushes of the request EntityManager; runWithAuditContext wins key by key', async () => {
    const since = await watermark()
    await RequestContext.create(orm.em, async () => {
      orm.em.create(Client, { name: 'From RequestContext' })
      await orm.em.flush()
      await runWithAuditContext({ actor: { id: 'u-als' } }, async () => {
        orm.em.create(Client, { name: 'Both' })
        await orm.em.flush()
      })
      await orm.em.transactional(async (tx) => {
        tx.create(Client, { name: 'Transactional fork' })
      })
    }, auditForkOptions({ actor: { id: 'u-rc', name: 'Request Actor' }, ipAddress: '10.0.0.7', tenantId: 't1' }))
    expect((await entriesSince(since)).map((e) => [e.resource_name, e.actor_id, e.actor_name, e.ip_address, e.tenant_id])).toEqual([
      ['From RequestContext', 'u-rc', 'Request Actor', '10.0.0.7', 't1'],
      ['Both', 'u-als', null, '10.0.0.7', 't1'],
      ['Transactional fork', 'u-rc', 'Request Actor', '10.0.0.7', 't1'],
    ])
  })

  it('requireContext: a flush or native write without context is rejected before anything is written; an EntityManager context satisfies it', async () => {
    const strict = await open({ requireContext: true })
    const since = await watermark()
    const em = strict.em.fork()
    em.create(Client, { name: 'Strict' })
    await expect(em.flush()).rejects.toBeInstanceOf(MissingAuditContextError)
    await expect(strict.em.fork().nativeUpdate(Client, { name: 'Serial' }, { name: 'Strict2' })).rejects.toBeInstanceOf(MissingAuditContextError)
    expect(await db.query(`SELECT name FROM clients WHERE name IN ('Strict', 'Strict2')`)).toEqual([])
    expect(await entriesSince(since)).toEqual([])
    const withContext = strict.em.fork(auditForkOptions({ actor: { id: 'u-fork' } }))
    withContext.create(Client, { name: 'Strict ok' })
    await withContext.flush()
    expect((await entriesSince(since)).map((e) => [e.resource_name, e.actor_id])).toEqual([['Strict ok', 'u-fork']])
  })
})
