import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { QueryTypes } from 'sequelize'
import { runWithAuditContext } from '@audit-trail/core'
import { openFixture, sqlOf, type SequelizeFixture } from './sequelize-fixture.js'

let f: SequelizeFixture
beforeAll(async () => {
  f = await openFixture()
})
afterAll(async () => {
  await f?.close()
})

const as = <T>(fn: () => Promise<T>) => runWithAuditContext({ actor: { id: 'u-tx' } }, fn)

describe('unmanaged transactions', () => {
  it('rollback leaves neither the rows nor their entries', async () => {
    const since = await f.watermark()
    await as(async () => {
      const transaction = await f.sequelize.transaction()
      const client = await f.models.Client.create({ name: 'Unmanaged' }, { transaction })
      await client.update({ email: 'u@example.com' }, { transaction })
      await f.models.Client.update({ name: 'Unmanaged 2' }, { where: { id: client.id }, transaction })
      await f.models.Client.destroy({ where: { id: client.id }, transaction })
      await transaction.rollback()
    })
    expect(await f.entriesSince(since)).toEqual([])
    expect(await f.db.query(`SELECT id FROM clients WHERE name LIKE 'Unmanaged%'`)).toEqual([])
  })

  it('commit keeps every entry, all with the transaction id of the change', async () => {
    const since = await f.watermark()
    const txid = await as(async () => {
      const transaction = await f.sequelize.transaction()
      const client = await f.models.Client.create({ name: 'Committed' }, { transaction })
      await client.update({ email: 'c@example.com' }, { transaction })
      const [row] = await f.sequelize.query<{ txid: string }>(`SELECT txid_current()::text AS txid`, {
        transaction,
        type: QueryTypes.SELECT,
      })
      await transaction.commit()
      return row!.txid
    })
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.transaction_id])).toEqual([
      ['created', txid],
      ['updated', txid],
    ])
  })
})

describe('writes without a transaction', () => {
  it('run in a transaction the plugin opens: a hook failing after the entry is written rolls back both', async () => {
    const failure = new Error('hook after the audit hook failed')
    // Hooks added to the Sequelize instance after attachAuditHooks run after the plugin's.
    f.sequelize.addHook('afterCreate', 'fail-after-audit', (instance) => {
      if ((instance as unknown as { name?: string }).name === 'FailAfter') throw failure
    })
    try {
      const since = await f.watermark()
      await expect(as(() => f.models.Client.create({ name: 'FailAfter' }))).rejects.toBe(failure)
      expect(await f.entriesSince(since)).toEqual([])
      expect(await f.db.query(`SELECT id FROM clients WHERE name = 'FailAfter'`)).toEqual([])
    } finally {
      f.sequelize.removeHook('afterCreate', 'fail-after-audit')
    }
  })

  it('each call commits its change and its entry in one transaction', async () => {
    const since = await f.watermark()
    const client = await as(() => f.models.Client.create({ name: 'Own tx' }))
    await as(() => client.update({ name: 'Own tx 2' }))
    const [created, updated] = await f.entriesSince(since)
    const [row] = await f.db.query<{ xmin: string }>(`SELECT xmin::text FROM clients WHERE id = $1`, [client.id])
    expect(updated!.transaction_id).toBe(row!.xmin)
    expect(created!.transaction_id).not.toBe(updated!.transaction_id)
  })

  it('a failing write releases the transaction the plugin opened', async () => {
    for (let i = 0; i < 8; i++) {
      await expect(as(() => f.models.Item.create({ clientId: 999_999, name: 'x', price: '1', available: true }))).rejects.toThrow()
    }
    // A leaked connection per failure would exhaust the pool of 5 here.
    const client = await as(() => f.models.Client.create({ name: 'After failures' }))
    expect(client.id).toBeGreaterThan(0)
  })

  it('hooks: false skips auditing and opens no transaction', async () => {
    const since = await f.watermark()
    const before = f.statements.length
    await as(() => f.models.Client.create({ name: 'No hooks' }, { hooks: false }))
    expect(f.statements.slice(before).map((sql) => sqlOf(sql).split(' ')[0])).toEqual(['INSERT'])
    expect(await f.entriesSince(since)).toEqual([])
  })
})
