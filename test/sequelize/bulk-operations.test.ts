import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runWithAuditContext } from '@audit-trail/core'
import { attachAuditHooks } from '@audit-trail/sequelize'
import { countStatements, openFixture, type SequelizeFixture } from './sequelize-fixture.js'

let f: SequelizeFixture
beforeAll(async () => {
  f = await openFixture({ models: { Item: { resourceType: 'item', name: 'name' } } })
})
afterAll(async () => {
  await f?.close()
})

const as = <T>(fn: () => Promise<T>) => runWithAuditContext({ actor: { id: 'u-bulk' } }, fn)

async function seedItems(count: number, label: string): Promise<number> {
  const client = await f.models.Client.create({ name: label })
  await f.models.Item.bulkCreate(
    Array.from({ length: count }, (_, i) => ({ clientId: client.id, name: `${label} ${i}`, price: `${i}.50`, available: true })),
  )
  return client.id
}

/** Statements of `fn` with the plugin attached, minus the statements of the same call without it. */
async function addedStatements(run: (clientId: number) => Promise<unknown>, rows: number): Promise<number> {
  const audited = await seedItems(rows, `audited-${rows}`)
  const withPlugin = await countStatements(f, () => as(() => run(audited)))
  const plain = await seedItems(rows, `plain-${rows}`)
  f.detach()
  try {
    const without = await countStatements(f, () => run(plain))
    return withPlugin - without
  } finally {
    f.detach = attachAuditHooks(f.sequelize, { models: { Item: { resourceType: 'item', name: 'name' } } })
  }
}

describe.each([false, true])('Model.update with individualHooks: %s', (individualHooks) => {
  it('records one entry per row with its old value', async () => {
    const clientId = await seedItems(5, `upd-${individualHooks}`)
    const since = await f.watermark()
    const [count] = await as(() =>
      f.models.Item.update({ price: '2.50' }, { where: { clientId }, individualHooks }),
    )
    expect(count).toBe(5)
    const entries = await f.entriesSince(since)
    // Row 2 already cost 2.50: no entry.
    expect(entries.map((e) => [e.action, e.actor_id, e.resource_name, e.changes]).sort()).toEqual(
      [0, 1, 3, 4].map((i) => [
        'updated',
        'u-bulk',
        `upd-${individualHooks} ${i}`,
        { price: { old: { $decimal: `${i}.5` }, new: { $decimal: '2.5' } } },
      ]),
    )
    expect(new Set(entries.map((e) => e.transaction_id)).size).toBe(1)
  })

  it('adds the same, constant number of statements for 10 and for 200 rows', async () => {
    const run = (clientId: number) =>
      f.models.Item.update({ price: '0.01' }, { where: { clientId }, individualHooks })
    const for10 = await addedStatements(run, 10)
    const for200 = await addedStatements(run, 200)
    // START TRANSACTION, SELECT ... FOR UPDATE, SELECT of the new rows, INSERT of the entries, COMMIT.
    expect([for10, for200]).toEqual([5, 5])
  })
})

describe.each([false, true])('Model.destroy with individualHooks: %s', (individualHooks) => {
  it('records one deleted entry per row with every column', async () => {
    const clientId = await seedItems(3, `del-${individualHooks}`)
    const since = await f.watermark()
    expect(await as(() => f.models.Item.destroy({ where: { clientId }, individualHooks }))).toBe(3)
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.resource_name, e.changes.price, e.changes.client_id]).sort()).toEqual(
      [0, 1, 2].map((i) => [
        'deleted',
        `del-${individualHooks} ${i}`,
        { old: { $decimal: `${i}.5` }, new: null },
        { old: clientId, new: null },
      ]),
    )
    expect(Object.keys(entries[0]!.changes).sort()).toEqual(
      ['attributes', 'available', 'client_id', 'id', 'name', 'photo', 'price', 'released_at', 'sku'],
    )
  })

  it('adds the same, constant number of statements for 10 and for 200 rows', async () => {
    const run = (clientId: number) => f.models.Item.destroy({ where: { clientId }, individualHooks })
    const for10 = await addedStatements(run, 10)
    const for200 = await addedStatements(run, 200)
    // START TRANSACTION, SELECT ... FOR UPDATE, INSERT of the entries, COMMIT.
    expect([for10, for200]).toEqual([4, 4])
  })
})

describe('bulkCreate', () => {
  it.each([false, true])('with individualHooks: %s writes every created row in one INSERT', async (individualHooks) => {
    const client = await f.models.Client.create({ name: `bc-${individualHooks}` })
    const since = await f.watermark()
    const before = f.statements.length
    await as(() =>
      f.models.Item.bulkCreate(
        Array.from({ length: 20 }, (_, i) => ({ clientId: client.id, name: `bc ${i}`, price: '1.00', available: i % 2 === 0 })),
        { individualHooks },
      ),
    )
    const inserts = f.statements.slice(before).filter((sql) => sql.includes('audit_trail.activity_log'))
    expect(inserts).toHaveLength(1)
    const entries = await f.entriesSince(since)
    expect(entries).toHaveLength(20)
    const ids = (await f.models.Item.findAll({ where: { clientId: client.id }, order: [['id', 'ASC']] })).map((i) => String(i.id))
    expect(entries.map((e) => e.resource_id).sort()).toEqual(ids.sort())
    expect(entries[3]!.changes).toMatchObject({ name: { old: null, new: 'bc 3' }, available: { old: null, new: false } })
  })
})

it('a bulk update matching no row writes nothing and adds no entry statement', async () => {
  const since = await f.watermark()
  const before = f.statements.length
  const [count] = await as(() => f.models.Item.update({ price: '1.00' }, { where: { name: 'no such item' } }))
  expect(count).toBe(0)
  expect(f.statements.slice(before).filter((sql) => sql.includes('audit_trail.activity_log'))).toEqual([])
  expect(await f.entriesSince(since)).toEqual([])
})
