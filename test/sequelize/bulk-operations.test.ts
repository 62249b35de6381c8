import { beforeAll, describe, expect, it } from 'vitest'
import { runWithAuditContext } from '@audit-trail/core'
import { checkSequelizeCapture } from '@audit-trail/sequelize'
import { statementsOf, useSequelizeFixture, type SequelizeClient } from './sequelize-fixture.js'

const f = useSequelizeFixture({
  models: {
    Item: { resourceType: 'item', name: 'name' },
    Setting: { resourceType: 'setting', name: 'key' },
    Coupon: { resourceType: 'coupon', name: 'code' },
  },
})
beforeAll(async () => {
  await checkSequelizeCapture(f.sequelize)
})

const as = <T>(fn: () => Promise<T>) => runWithAuditContext({ actor: { id: 'u-bulk', name: 'Bulk User' } }, fn)

async function seedItems(client: SequelizeClient, count: number, label: string): Promise<number> {
  const owner = await client.models.Client.create({ name: label })
  await client.models.Item.bulkCreate(
    Array.from({ length: count }, (_, i) => ({ clientId: owner.id, name: `${label} ${i}`, price: `${i}.50`, available: true })),
  )
  return owner.id
}

describe.each([false, true])('Model.update / Model.destroy with individualHooks: %s', (individualHooks) => {
  it('one updated entry per changed row with its old value, one deleted entry per row', async () => {
    const clientId = await seedItems(f, 5, `upd-${individualHooks}`)
    let since = await f.watermark()
    const [count] = await as(() => f.models.Item.update({ price: '2.50' }, { where: { clientId }, individualHooks }))
    expect(count).toBe(5)
    const updated = await f.entriesSince(since)
    // Row 2 already cost 2.50: no entry.
    expect(updated.map((e) => [e.action, e.actor_id, e.resource_name, e.changes]).sort()).toEqual(
      [0, 1, 3, 4].map((i) => ['updated', 'u-bulk', `upd-${individualHooks} ${i}`, { price: { old: { $decimal: `${i}.5` }, new: { $decimal: '2.5' } } }]),
    )
    // Sequelize sends one UPDATE, or with individualHooks one autocommit UPDATE per instance: the
    // plugin opens no transaction of its own, so the entries follow Sequelize's statements.
    expect(new Set(updated.map((e) => e.transaction_id)).size).toBe(individualHooks ? 4 : 1)

    since = await f.watermark()
    expect(await as(() => f.models.Item.destroy({ where: { clientId }, individualHooks }))).toBe(5)
    const deleted = await f.entriesSince(since)
    expect(deleted.map((e) => [e.action, e.actor_id, e.resource_name, e.changes.price]).sort()).toEqual(
      [0, 1, 2, 3, 4].map((i) => ['deleted', 'u-bulk', `upd-${individualHooks} ${i}`, { old: { $decimal: '2.5' }, new: null }]),
    )
  })
})

describe('writes the old ORM-side recorder missed, now recorded by the capture trigger', () => {
  // Regression: increment/decrement ran no model hooks, so ORM mode recorded nothing.
  it('increment and decrement (static and instance) record the old and new value', async () => {
    const coupon = await as(() => f.models.Coupon.create({ code: 'INC', percent: 10 }))
    const since = await f.watermark()
    await as(() => f.models.Coupon.increment('percent', { by: 5, where: { id: coupon.id } }))
    await as(() => coupon.decrement('percent', { by: 3 }))
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.actor_id, e.resource_id, e.resource_name, e.changes])).toEqual([
      ['updated', 'u-bulk', coupon.id, 'INC', { percent: { old: 10, new: 15 } }],
      ['updated', 'u-bulk', coupon.id, 'INC', { percent: { old: 15, new: 12 } }],
    ])
  })

  it('truncate is one truncated entry with the actor', async () => {
    await f.models.Setting.bulkCreate([{ key: 't1', value: 1 }, { key: 't2', value: 2 }])
    const since = await f.watermark()
    await as(() => f.models.Setting.truncate())
    expect(await f.db.query(`SELECT key FROM settings`)).toEqual([])
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.actor_type, e.actor_id, e.actor_name, e.resource_type, e.resource_id, e.source])).toEqual([
      ['truncated', 'user', 'u-bulk', 'Bulk User', 'setting', null, 'orm'],
    ])
  })

  // Regression: ORM mode recorded every input row of an updateOnDuplicate bulkCreate as created.
  it('bulkCreate with updateOnDuplicate records created rows and updated rows with their old values', async () => {
    await f.models.Setting.bulkCreate([{ key: 'dup-a', value: { v: 0 } }, { key: 'dup-same', value: 7 }])
    const since = await f.watermark()
    await as(() =>
      f.models.Setting.bulkCreate(
        [
          { key: 'dup-a', value: { v: 1 } },
          { key: 'dup-same', value: 7 },
          { key: 'dup-b', value: 'new' },
        ],
        { updateOnDuplicate: ['value'] },
      ),
    )
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.actor_id, e.resource_id, e.changes]).sort()).toEqual([
      ['created', 'u-bulk', 'dup-b', { key: { old: null, new: 'dup-b' }, value: { old: null, new: 'new' } }],
      ['updated', 'u-bulk', 'dup-a', { value: { old: { v: 0 }, new: { v: 1 } } }],
    ])
  })

  // Regression: ORM mode recorded the skipped duplicates as created too.
  it('bulkCreate with ignoreDuplicates records only the rows it inserted', async () => {
    await f.models.Setting.create({ key: 'ign-a', value: 1 })
    const since = await f.watermark()
    await as(() =>
      f.models.Setting.bulkCreate(
        [
          { key: 'ign-a', value: 2 },
          { key: 'ign-b', value: 3 },
        ],
        { ignoreDuplicates: true },
      ),
    )
    expect(await f.db.query(`SELECT key, value FROM settings WHERE key LIKE 'ign-%' ORDER BY key`)).toEqual([
      { key: 'ign-a', value: 1 },
      { key: 'ign-b', value: 3 },
    ])
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.actor_id, e.resource_id])).toEqual([['created', 'u-bulk', 'ign-b']])
  })

  // Regression: with hooks: false the ORM-side recorder never ran and the write went unrecorded.
  it('hooks: false on update and destroy is still recorded, with the actor', async () => {
    const clientId = await seedItems(f, 2, 'nohooks')
    const [first] = await f.models.Item.findAll({ where: { clientId }, order: [['id', 'ASC']] })
    const since = await f.watermark()
    await as(() => first!.update({ name: 'nohooks renamed' }, { hooks: false }))
    await as(() => f.models.Item.update({ price: '9.00' }, { where: { clientId }, hooks: false }))
    await as(() => f.models.Item.destroy({ where: { clientId }, hooks: false }))
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.actor_id, e.resource_name, e.changes.price ?? null, e.changes.name ?? null]).sort()).toEqual(
      [
        ['updated', 'u-bulk', 'nohooks renamed', null, { old: 'nohooks 0', new: 'nohooks renamed' }],
        ['updated', 'u-bulk', 'nohooks renamed', { old: { $decimal: '0.5' }, new: { $decimal: '9' } }, null],
        ['updated', 'u-bulk', 'nohooks 1', { old: { $decimal: '1.5' }, new: { $decimal: '9' } }, null],
        ['deleted', 'u-bulk', 'nohooks renamed', { old: { $decimal: '9' }, new: null }, { old: 'nohooks renamed', new: null }],
        ['deleted', 'u-bulk', 'nohooks 1', { old: { $decimal: '9' }, new: null }, { old: 'nohooks 1', new: null }],
      ].sort(),
    )
  })

  // Regression (R1 fuzz seed 309592662): an update or destroy of a row already gone recorded an entry.
  it('an instance whose row was deleted meanwhile: its update and destroy change nothing and record nothing', async () => {
    const client = await f.models.Client.create({ name: 'Vanishing' })
    await f.db.query(`DELETE FROM clients WHERE id = $1`, [client.id])
    const since = await f.watermark()
    await as(() => client.update({ name: 'Renamed' }))
    await as(() => client.destroy())
    expect(await f.entriesSince(since)).toEqual([])
  })
})

describe('the same statements as plain Sequelize', () => {
  const writes: Array<[string, (client: SequelizeClient, clientId: number) => Promise<unknown>]> = [
    ['create', (c, clientId) => c.models.Item.create({ clientId, name: 'S', price: '1.00', available: true })],
    ['bulkCreate', (c, clientId) => c.models.Item.bulkCreate([1, 2, 3].map((i) => ({ clientId, name: `S${i}`, price: '1.00', available: true })))],
    ['instance update', async (c, clientId) => (await c.models.Item.findOne({ where: { clientId } }))!.update({ name: 'S2' })],
    ['Model.update', (c, clientId) => c.models.Item.update({ price: '2.00' }, { where: { clientId } })],
    ['Model.update individualHooks', (c, clientId) => c.models.Item.update({ price: '3.00' }, { where: { clientId }, individualHooks: true })],
    ['increment', (c, clientId) => c.models.Item.increment({ price: 1 }, { where: { clientId } })],
    ['upsert', (c, clientId) => c.models.Setting.upsert({ key: `same-${clientId}`, value: 1 })],
    ['managed transaction', (c, clientId) => c.sequelize.transaction((transaction) => c.models.Item.update({ price: '4.00' }, { where: { clientId }, transaction }))],
    ['Model.destroy individualHooks', (c, clientId) => c.models.Item.destroy({ where: { clientId }, individualHooks: true })],
  ]

  it.each(writes)('%s sends the same statements, only tagged: no BEGIN, COMMIT or SELECT ... FOR UPDATE added', async (_name, write) => {
    const plainClient = await seedItems(f.plain, 3, 'plain')
    const auditedClient = await seedItems(f, 3, 'audited')
    const plain = await statementsOf(f.plain, () => write(f.plain, plainClient))
    const audited = await statementsOf(f, () => as(() => write(f, auditedClient)))
    const keyword = (sql: string) => sql.split(/\s+/)[0]
    expect(audited.map(keyword)).toEqual(plain.map(keyword))
    expect(audited.length).toBeGreaterThan(0)
    for (const sql of audited) {
      if (/^(START|COMMIT|ROLLBACK|SET)\b/.test(sql)) expect(sql).not.toContain('audit_trail=')
      else expect(sql).toMatch(/ \/\*audit_trail='[A-Za-z0-9_-]+'\*\/$/)
    }
  })
})
