import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runWithAuditContext } from '@audit-trail/core'
import { openFixture, type SequelizeFixture } from './sequelize-fixture.js'

let f: SequelizeFixture
beforeAll(async () => {
  f = await openFixture({ models: { Client: { resourceType: 'client' } } })
})
afterAll(async () => {
  await f?.close()
})

const as = <T>(fn: () => Promise<T>) => runWithAuditContext({ actor: { id: 'u-vanished' } }, fn)

// An instance outlives its row when another statement or request deletes it. Its update and
// destroy then match no row: they change nothing, so they must leave no entry either.
describe('instances whose row is gone', () => {
  it('update and destroy of a row deleted meanwhile record nothing', async () => {
    const client = await f.models.Client.create({ name: 'Vanishing' })
    await f.db.query(`DELETE FROM clients WHERE id = $1`, [client.get('id')])
    const since = await f.watermark()
    await as(() => client.update({ name: 'Renamed' }))
    await as(() => client.destroy())
    expect(await f.entriesSince(since)).toEqual([])
  })

  it('inside a transaction, after a bulk destroy of the same row', async () => {
    const client = await f.models.Client.create({ name: 'Bulk gone' })
    const since = await f.watermark()
    await as(() =>
      f.sequelize.transaction(async (transaction) => {
        await f.models.Client.destroy({ where: { id: client.get('id') }, transaction })
        await client.update({ name: 'Too late' }, { transaction })
      }),
    )
    expect((await f.entriesSince(since)).map((e) => [e.action, e.resource_id])).toEqual([['deleted', String(client.get('id'))]])
  })
})
