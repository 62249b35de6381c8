import { describe, expect, it } from 'vitest'
import { runWithAuditContext } from '@audit-trail/core'
import { useSequelizeFixture } from './sequelize-fixture.js'

const f = useSequelizeFixture({ models: { Setting: { resourceType: 'setting' } } })

const as = <T>(fn: () => Promise<T>) => runWithAuditContext({ actor: { id: 'u-upsert' } }, fn)

describe('upsert', () => {
  it('insert branch records created, update branch records updated with the old value, no change records nothing', async () => {
    const since = await f.watermark()
    await as(() => f.models.Setting.upsert({ key: 'currency', value: 'EUR' }))
    await as(() => f.models.Setting.upsert({ key: 'currency', value: 'CHF' }))
    await as(() => f.models.Setting.upsert({ key: 'currency', value: 'CHF' }))
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.actor_id, e.resource_type, e.resource_id, e.changes])).toEqual([
      ['created', 'u-upsert', 'setting', 'currency', { key: { old: null, new: 'currency' }, value: { old: null, new: 'EUR' } }],
      ['updated', 'u-upsert', 'setting', 'currency', { value: { old: 'EUR', new: 'CHF' } }],
    ])
  })

  it('works on a composite primary key with underscored columns', async () => {
    const client = await f.models.Client.create({ name: 'Upsert client' })
    const item = await f.models.Item.create({ clientId: client.id, name: 'Soup', price: '4.00', available: true })
    const since = await f.watermark()
    await as(() => f.models.ItemTranslation.upsert({ itemId: item.id, locale: 'de', title: 'Suppe' }))
    await as(() => f.models.ItemTranslation.upsert({ itemId: item.id, locale: 'de', title: 'Eintopf' }))
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.resource_id, e.changes])).toEqual([
      [
        'created',
        `["${item.id}","de"]`,
        { item_id: { old: null, new: item.id }, locale: { old: null, new: 'de' }, title: { old: null, new: 'Suppe' } },
      ],
      ['updated', `["${item.id}","de"]`, { title: { old: 'Suppe', new: 'Eintopf' } }],
    ])
  })

  it('a rolled back upsert leaves no entry', async () => {
    const since = await f.watermark()
    await expect(
      as(() =>
        f.sequelize.transaction(async (transaction) => {
          await f.models.Setting.upsert({ key: 'rolled', value: 1 }, { transaction })
          throw new Error('rollback')
        }),
      ),
    ).rejects.toThrow('rollback')
    expect(await f.entriesSince(since)).toEqual([])
  })
})
