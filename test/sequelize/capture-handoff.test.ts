import { AsyncLocalStorage } from 'node:async_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { QueryTypes, Sequelize } from 'sequelize'
import { MissingAuditContextError, runWithAuditContext, type AuditPluginOptions } from '@audit-trail/core'
import { attachAuditHooks, refreshCapturedTables } from '@audit-trail/sequelize'
import { enableBusinessCapture } from './captured-driver.js'
import { openFixture, sqlOf, type LogEntry, type SequelizeFixture } from './sequelize-fixture.js'
import { defineModels, openSequelize } from './sequelize-models.js'

// clients, items, settings and item_translations are captured; coupons stays on the ORM path.
const options: AuditPluginOptions = {
  models: { Client: { resourceType: 'client', name: 'name' }, Item: { resourceType: 'item', name: 'name' } },
}
const CAPTURED = { Client: 'clients', Item: 'items', Setting: 'settings', ItemTranslation: 'item_translations' }

let f: SequelizeFixture
beforeAll(async () => {
  f = await openFixture(options)
  await enableBusinessCapture(f.db.url, options, CAPTURED)
})
afterAll(async () => {
  await f?.close()
})

const context = { actor: { id: 'u-cap', name: 'Cap User' }, ipAddress: '10.1.2.3', requestId: 'req-cap', locationId: 'lyon' }
const as = <T>(fn: () => Promise<T>) => runWithAuditContext(context, fn)
const pizza = (clientId: number) => ({
  clientId,
  name: 'Pizza',
  price: '12.50',
  available: true,
  sku: '9007199254740993',
  photo: Buffer.from([0, 1, 2, 255]),
  attributes: { vegetarian: true },
  releasedAt: new Date('2024-01-15T14:30:00.000Z'),
})

async function entriesSince(since: number): Promise<LogEntry[]> {
  return f.db.query<LogEntry>(
    `SELECT action, actor_type, actor_id, actor_name, host(ip_address) AS ip, request_id, location_id, source,
            resource_type, resource_id, resource_name, changes, transaction_id::text AS transaction_id
     FROM audit_trail.activity_log WHERE id > $1 ORDER BY id`,
    [since],
  )
}
/** Runs `fn` and returns the statements it sent through Sequelize, without the log prefix. */
async function sent(fn: () => Promise<unknown>): Promise<string[]> {
  const start = f.statements.length
  await fn()
  return f.statements.slice(start).map(sqlOf)
}
const handOffs = (statements: readonly string[]) => statements.filter((sql) => sql.includes('audit_trail.context')).length
const logInserts = (statements: readonly string[]) => statements.filter((sql) => /insert into audit_trail\.activity_log/i.test(sql)).length
const byContext = { actor_type: 'user', actor_id: 'u-cap', actor_name: 'Cap User', ip: '10.1.2.3', request_id: 'req-cap', location_id: 'lyon', source: 'orm' }

describe('model writes on captured tables: one entry per row, written by the trigger with the app context', () => {
  it('create, update, destroy without a transaction: one set_config before each write, no ORM-side entry', async () => {
    const since = await f.watermark()
    let clientId = 0
    const statements = await sent(() =>
      as(async () => {
        const client = await f.models.Client.create({ name: 'Cap', email: 'a@cap.test' })
        clientId = client.id
        await client.update({ email: 'b@cap.test' })
        await client.destroy()
      }),
    )
    expect(handOffs(statements)).toBe(3)
    expect(logInserts(statements)).toBe(0)
    // set_config comes right after BEGIN, before the write.
    const writes = statements.filter((sql) => /^(INSERT|UPDATE|DELETE)/.test(sql))
    for (const write of writes) expect(statements[statements.indexOf(write) - 1]).toContain("set_config('audit_trail.context'")
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
      {
        ...byContext,
        action: 'updated',
        resource_type: 'client',
        resource_id: String(clientId),
        resource_name: 'Cap',
        changes: { email_address: { old: 'a@cap.test', new: 'b@cap.test' } },
      },
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

  it('bulk update and destroy (with and without individualHooks): one entry per row with old values, no lock-and-read', async () => {
    const client = await as(() => f.models.Client.create({ name: 'Bulk cap' }))
    await as(() => f.models.Item.bulkCreate([1, 2, 3].map((i) => ({ ...pizza(client.id), name: `B${i}`, price: `${i}.00` }))))
    let since = await f.watermark()
    const statements = await sent(() => as(() => f.models.Item.update({ price: '9.00' }, { where: { clientId: client.id } })))
    expect(statements.some((sql) => sql.includes('FOR UPDATE'))).toBe(false)
    expect(handOffs(statements)).toBe(1)
    const updated = await entriesSince(since)
    expect(updated.map((e) => [e.action, e.resource_name, e.changes, e.actor_id])).toEqual([
      ['updated', 'B1', { price: { old: { $decimal: '1' }, new: { $decimal: '9' } } }, 'u-cap'],
      ['updated', 'B2', { price: { old: { $decimal: '2' }, new: { $decimal: '9' } } }, 'u-cap'],
      ['updated', 'B3', { price: { old: { $decimal: '3' }, new: { $decimal: '9' } } }, 'u-cap'],
    ])

    since = await f.watermark()
    const individual = await sent(() =>
      as(() => f.models.Item.update({ price: '8.00' }, { where: { clientId: client.id }, individualHooks: true })),
    )
    // One per transaction: the per-instance hooks find the context already set there.
    expect(handOffs(individual)).toBe(1)
    expect((await entriesSince(since)).map((e) => e.changes.price.old)).toEqual([{ $decimal: '9' }, { $decimal: '9' }, { $decimal: '9' }])

    since = await f.watermark()
    expect(await as(() => f.models.Item.destroy({ where: { clientId: client.id } }))).toBe(3)
    const deleted = await entriesSince(since)
    expect(deleted.map((e) => [e.action, e.changes.price.old, e.actor_id])).toEqual([
      ['deleted', { $decimal: '8' }, 'u-cap'],
      ['deleted', { $decimal: '8' }, 'u-cap'],
      ['deleted', { $decimal: '8' }, 'u-cap'],
    ])
  })

  it('a managed transaction: every entry in it, one set_config for the whole transaction; a throw leaves none', async () => {
    let since = await f.watermark()
    const statements = await sent(() =>
      as(() =>
        f.sequelize.transaction(async (transaction) => {
          const client = await f.models.Client.create({ name: 'Managed' }, { transaction })
          await f.models.Item.create(pizza(client.id), { transaction })
          await client.update({ name: 'Managed 2' }, { transaction })
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

    since = await f.watermark()
    await expect(
      as(() =>
        f.sequelize.transaction(async (transaction) => {
          await f.models.Client.create({ name: 'Managed gone' }, { transaction })
          throw new Error('rollback')
        }),
      ),
    ).rejects.toThrow('rollback')
    expect(await entriesSince(since)).toEqual([])
  })

  it('an unmanaged transaction: commit keeps the entries, rollback removes them', async () => {
    let since = await f.watermark()
    await as(async () => {
      const transaction = await f.sequelize.transaction()
      const client = await f.models.Client.create({ name: 'Unmanaged' }, { transaction })
      await client.update({ email: 'u@cap.test' }, { transaction })
      await transaction.commit()
    })
    expect((await entriesSince(since)).map((e) => [e.action, e.actor_id, e.resource_name])).toEqual([
      ['created', 'u-cap', 'Unmanaged'],
      ['updated', 'u-cap', 'Unmanaged'],
    ])

    since = await f.watermark()
    await as(async () => {
      const transaction = await f.sequelize.transaction()
      const client = await f.models.Client.create({ name: 'Unmanaged gone' }, { transaction })
      await f.models.Client.update({ name: 'Unmanaged gone 2' }, { where: { id: client.id }, transaction })
      await transaction.rollback()
    })
    expect(await entriesSince(since)).toEqual([])
  })

  it('nested runWithAuditContext in one transaction: each write carries its own actor', async () => {
    const since = await f.watermark()
    await as(() =>
      f.sequelize.transaction(async (transaction) => {
        await f.models.Client.create({ name: 'Outer' }, { transaction })
        await runWithAuditContext({ actor: { id: 'u-inner' } }, () => f.models.Client.create({ name: 'Inner' }, { transaction }))
        await f.models.Client.create({ name: 'Outer again' }, { transaction })
      }),
    )
    expect((await entriesSince(since)).map((e) => [e.resource_name, e.actor_id])).toEqual([
      ['Outer', 'u-cap'],
      ['Inner', 'u-inner'],
      ['Outer again', 'u-cap'],
    ])
  })

  it('a write with no context is recorded as system by the trigger (the plugin still hands over)', async () => {
    const since = await f.watermark()
    await f.models.Client.create({ name: 'No ctx' })
    expect((await entriesSince(since)).map((e) => [e.actor_type, e.actor_id, e.source])).toEqual([['system', null, 'orm']])
  })

  it('an uncaptured audited table keeps the ORM path: no set_config, one entry INSERT', async () => {
    const since = await f.watermark()
    const statements = await sent(() => as(() => f.models.Coupon.create({ code: 'ORM1', percent: 5 })))
    expect(handOffs(statements)).toBe(0)
    expect(logInserts(statements)).toBe(1)
    expect((await entriesSince(since)).map((e) => [e.action, e.resource_type, e.actor_id, e.source])).toEqual([
      ['created', 'coupons', 'u-cap', 'orm'],
    ])
  })

  it('requireContext rejects before anything is sent', async () => {
    const statements: string[] = []
    const strict = openSequelize(f.db.url, { logging: (sql) => statements.push(sql) })
    const models = defineModels(strict)
    attachAuditHooks(strict, { ...options, requireContext: true })
    try {
      const since = await f.watermark()
      await expect(models.Client.create({ name: 'Strict' })).rejects.toBeInstanceOf(MissingAuditContextError)
      await expect(models.Item.update({ price: '1.00' }, { where: {} })).rejects.toBeInstanceOf(MissingAuditContextError)
      expect(statements).toEqual([])
      expect(await entriesSince(since)).toEqual([])
      expect(await f.db.query(`SELECT id FROM clients WHERE name = 'Strict'`)).toEqual([])
    } finally {
      await strict.close()
    }
  })
})

describe('Sequelize.useCLS', () => {
  // useCLS is global to the Sequelize class: switched on for this block only.
  const storage = new AsyncLocalStorage<Map<string, unknown>>()
  beforeAll(() => {
    Sequelize.useCLS({
      run: <T>(fn: (c: Map<string, unknown>) => T): T => {
        const c = new Map(storage.getStore())
        return storage.run(c, () => fn(c))
      },
      bind: <F>(fn: F): F => fn,
      get: (key: string) => storage.getStore()?.get(key),
      set: (key: string, value: unknown) => storage.getStore()?.set(key, value),
    } as never)
  })
  afterAll(() => {
    delete (Sequelize as unknown as { _cls?: unknown })._cls
  })

  it('writes without `transaction` join the CLS transaction; the hand-off goes there, a rollback removes the entries', async () => {
    let since = await f.watermark()
    const statements = await sent(() =>
      as(() =>
        f.sequelize.transaction(async () => {
          const client = await f.models.Client.create({ name: 'Cls' })
          await client.update({ name: 'Cls 2' })
          await f.sequelize.query(`UPDATE clients SET email_address = 'cls@cap.test' WHERE id = ${client.id}`)
        }),
      ),
    )
    expect(handOffs(statements)).toBe(1)
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.action, e.actor_id])).toEqual([
      ['created', 'u-cap'],
      ['updated', 'u-cap'],
      ['updated', 'u-cap'],
    ])
    expect(new Set(entries.map((e) => e.transaction_id)).size).toBe(1)

    since = await f.watermark()
    await expect(
      as(() =>
        f.sequelize.transaction(async () => {
          await f.models.Client.create({ name: 'Cls gone' })
          throw new Error('rollback')
        }),
      ),
    ).rejects.toThrow('rollback')
    expect(await entriesSince(since)).toEqual([])
  })
})

describe('raw SQL through sequelize.query', () => {
  it('an autocommit raw write inside runWithAuditContext runs in a transaction with the hand-off; bound parameters stay bound', async () => {
    const client = await as(() => f.models.Client.create({ name: 'Raw' }))
    const since = await f.watermark()
    const statements = await sent(() =>
      as(() => f.sequelize.query('UPDATE clients SET name = $1 WHERE id = $2', { bind: ["Raw'); --", client.id] })),
    )
    expect(statements.map((sql) => sql.split(' ')[0])).toEqual(['START', 'SELECT', 'UPDATE', 'COMMIT;'])
    expect(statements[2]).toBe('UPDATE clients SET name = $1 WHERE id = $2')
    expect((await entriesSince(since)).map((e) => [e.action, e.actor_id, e.ip, e.request_id, e.changes])).toEqual([
      ['updated', 'u-cap', '10.1.2.3', 'req-cap', { name: { old: 'Raw', new: "Raw'); --" } }],
    ])
  })

  it('a raw write in a managed transaction joins it and rolls back with it', async () => {
    const client = await as(() => f.models.Client.create({ name: 'Raw tx' }))
    let since = await f.watermark()
    const txid = await as(() =>
      f.sequelize.transaction(async (transaction) => {
        await f.sequelize.query('UPDATE clients SET name = $1 WHERE id = $2', { bind: ['Raw tx 2', client.id], transaction })
        const [row] = await f.sequelize.query<{ txid: string }>('SELECT txid_current()::text AS txid', { transaction, type: QueryTypes.SELECT })
        return row!.txid
      }),
    )
    expect((await entriesSince(since)).map((e) => [e.actor_id, e.transaction_id])).toEqual([['u-cap', txid]])

    since = await f.watermark()
    await expect(
      as(() =>
        f.sequelize.transaction(async (transaction) => {
          await f.sequelize.query('DELETE FROM clients WHERE id = $1', { bind: [client.id], transaction })
          throw new Error('rollback')
        }),
      ),
    ).rejects.toThrow('rollback')
    expect(await entriesSince(since)).toEqual([])
  })

  it('outside any context a raw write is recorded by the trigger as the database role', async () => {
    const client = await as(() => f.models.Client.create({ name: 'Raw db' }))
    const since = await f.watermark()
    const statements = await sent(() => f.sequelize.query('UPDATE clients SET name = $1 WHERE id = $2', { bind: ['Raw db 2', client.id] }))
    expect(statements.map((sql) => sql.split(' ')[0])).toEqual(['UPDATE'])
    const { user } = await f.db.one<{ user: string }>('SELECT session_user AS user')
    expect((await entriesSince(since)).map((e) => [e.actor_type, e.actor_name, e.source])).toEqual([['database', user, 'trigger']])
  })

  it('a raw write to a table that is not captured passes untouched (no transaction, no set_config)', async () => {
    await as(() => f.models.Client.create({ name: 'Warm catalog' }))
    const statements = await sent(() =>
      as(() => f.sequelize.query(`INSERT INTO coupons (id, code, percent) VALUES (gen_random_uuid(), 'RAW', 1)`)),
    )
    expect(statements).toEqual([`INSERT INTO coupons (id, code, percent) VALUES (gen_random_uuid(), 'RAW', 1)`])
  })
})

describe('reads', () => {
  it('send no set_config, in or out of a transaction', async () => {
    const client = await as(() => f.models.Client.create({ name: 'Reader' }))
    const statements = await sent(() =>
      as(async () => {
        await f.models.Client.findByPk(client.id)
        await f.models.Item.findAll({ where: { clientId: client.id } })
        await f.models.Client.count()
        await f.sequelize.query('SELECT name FROM clients WHERE id = $1', { bind: [client.id], type: QueryTypes.SELECT })
        await f.sequelize.transaction(async (transaction) => {
          await f.models.Client.findAll({ transaction })
        })
      }),
    )
    expect(statements.length).toBeGreaterThan(4)
    expect(handOffs(statements)).toBe(0)
  })
})

describe('the same change through the ORM path and through capture', () => {
  /** Creates, updates (every type) and deletes one item; returns its entries' changes with ids blanked. */
  async function lifecycle(): Promise<unknown[]> {
    const since = await f.watermark()
    const item = await as(async () => {
      const client = await f.models.Client.create({ name: 'Parity' })
      return f.models.Item.create({ ...pizza(client.id), attributes: null })
    })
    // JSON null in a jsonb column (written outside the app: its trigger entry is left out below).
    await f.sequelize.query(`UPDATE items SET attributes = 'null'::jsonb WHERE id = $1`, { bind: [item.id] })
    await as(async () => {
      await item.reload()
      await item.update({
        name: 'Pizza 2',
        price: '13.75',
        sku: '-9007199254740993',
        photo: Buffer.from('héllo'),
        attributes: { vegetarian: false, tags: ['a', null] },
        releasedAt: new Date('2025-06-01T08:00:00.123Z'),
        available: false,
      })
      await item.update({ attributes: { $date: 'not a tag' } })
      await item.update({ available: true })
      await f.models.Item.update({ price: '1.00' }, { where: { id: item.id } })
      // The ORM path takes a destroy's old values from the instance, which the bulk update left stale.
      await item.reload()
      await item.destroy()
    })
    const entries = await f.db.query<LogEntry>(
      `SELECT action, resource_type, resource_name, changes, changed_fields FROM audit_trail.activity_log
       WHERE id > $1 AND resource_type = 'item' AND source = 'orm' ORDER BY id`,
      [since],
    )
    return entries.map((entry) => {
      const changes = { ...entry.changes }
      if (changes.id) changes.id = { old: changes.id.old === null ? null : 'id', new: changes.id.new === null ? null : 'id' }
      if (changes.client_id) changes.client_id = { old: changes.client_id.old === null ? null : 'c', new: changes.client_id.new === null ? null : 'c' }
      return { ...entry, changes, changed_fields: [...entry.changed_fields].sort() }
    })
  }

  it('gives the same changes JSON, except JSON null, which only the trigger can tell from SQL NULL', async () => {
    await f.db.query(`SELECT audit_trail.disable_capture('public.items')`)
    refreshCapturedTables(f.sequelize)
    const viaOrm = await lifecycle()
    await enableBusinessCapture(f.db.url, options, { Item: 'items' })
    refreshCapturedTables(f.sequelize)
    const viaCapture = await lifecycle()

    // Inherent: pg hands the ORM JSON null and SQL NULL alike (null), so the ORM path records
    // the old JSON null as null; the trigger sees the column and records {"$json": null}.
    const update = (entries: unknown[]) => (entries as LogEntry[])[1]!.changes.attributes
    expect(update(viaOrm)).toEqual({ old: null, new: { vegetarian: false, tags: ['a', null] } })
    expect(update(viaCapture)).toEqual({ old: { $json: null }, new: update(viaOrm).new })
    update(viaCapture).old = null
    expect(viaCapture).toEqual(viaOrm)
    expect((viaOrm as LogEntry[]).map((e) => e.action)).toEqual(['created', 'updated', 'updated', 'enabled', 'updated', 'deleted'])
    expect((viaOrm as LogEntry[])[2]!.changes.attributes.new).toEqual({ $json: { $date: 'not a tag' } })
  })

  it('a paranoid destroy is "deleted" on the ORM path but an UPDATE of deleted_at to the trigger', async () => {
    await enableBusinessCapture(f.db.url, {}, { Coupon: 'coupons' })
    refreshCapturedTables(f.sequelize)
    try {
      const coupon = await as(() => f.models.Coupon.create({ code: 'SOFT', percent: 10 }))
      const since = await f.watermark()
      await as(() => coupon.destroy())
      const [entry, ...rest] = await entriesSince(since)
      expect(rest).toEqual([])
      expect(entry).toMatchObject({ action: 'updated', resource_type: 'coupons', actor_id: 'u-cap' })
      expect(Object.keys(entry!.changes)).toEqual(['deleted_at'])
      expect(entry!.changes.deleted_at.old).toBeNull()
    } finally {
      await f.db.query(`SELECT audit_trail.disable_capture('public.coupons')`)
      refreshCapturedTables(f.sequelize)
    }
  })
})
