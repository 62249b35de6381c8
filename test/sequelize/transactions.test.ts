import { describe, expect, it } from 'vitest'
import { QueryTypes } from 'sequelize'
import { runWithAuditContext } from '@audit-trail/core'
import { auditContextTagValue } from '@audit-trail/core/plugin'
import { statementsOf, useSequelizeFixture } from './sequelize-fixture.js'

const f = useSequelizeFixture({ models: { Client: { resourceType: 'client', name: 'name' } } })

const as = <T>(fn: () => Promise<T>, id = 'u-tx') => runWithAuditContext({ actor: { id } }, fn)

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
      const [row] = await f.sequelize.query<{ txid: string }>(`SELECT txid_current()::text AS txid`, { transaction, type: QueryTypes.SELECT })
      await transaction.commit()
      return row!.txid
    })
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.actor_id, e.transaction_id])).toEqual([
      ['created', 'u-tx', txid],
      ['updated', 'u-tx', txid],
    ])
  })
})

describe('managed transactions', () => {
  it('two actors in one transaction: each statement is recorded with its own actor', async () => {
    const since = await f.watermark()
    const statements = await statementsOf(f, () =>
      as(() =>
        f.sequelize.transaction(async (transaction) => {
          const client = await f.models.Client.create({ name: 'Shared' }, { transaction })
          await as(() => client.update({ name: 'Shared by Bob' }, { transaction }), 'u-bob')
          await f.models.Client.update({ email: 'alice@example.com' }, { where: { id: client.id }, transaction })
          await runWithAuditContext({ actor: null }, () => f.sequelize.query(`UPDATE clients SET password_hash = 'x' WHERE id = $1`, { bind: [client.id], transaction }))
        }),
      ),
    )
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.actor_type, e.actor_id, Object.keys(e.changes).sort()])).toEqual([
      ['created', 'user', 'u-tx', ['email_address', 'id', 'name', 'password_hash']],
      ['updated', 'user', 'u-bob', ['name']],
      ['updated', 'user', 'u-tx', ['email_address']],
      ['updated', 'system', null, ['password_hash']],
    ])
    expect(new Set(entries.map((e) => e.transaction_id)).size).toBe(1)
    // One START TRANSACTION and one COMMIT, the app's own; the context travels in each statement.
    expect(statements.filter((sql) => /^(START TRANSACTION|COMMIT)/.test(sql))).toHaveLength(2)
    expect(statements.some((sql) => sql.includes('set_config'))).toBe(false)
  })

  it('a throw rolls back the rows and their entries', async () => {
    const since = await f.watermark()
    await expect(
      as(() =>
        f.sequelize.transaction(async (transaction) => {
          await f.models.Client.create({ name: 'Rolled back' }, { transaction })
          throw new Error('rollback')
        }),
      ),
    ).rejects.toThrow('rollback')
    expect(await f.entriesSince(since)).toEqual([])
  })

  it('a failing write releases its connection (eight failures, then a write, on a pool of 5)', async () => {
    for (let i = 0; i < 8; i++) {
      await expect(as(() => f.models.Item.create({ clientId: 999_999, name: 'x', price: '1', available: true }))).rejects.toThrow()
    }
    const client = await as(() => f.models.Client.create({ name: 'After failures' }))
    expect(client.id).toBeGreaterThan(0)
  })
})

describe('raw sequelize.query', () => {
  it('with bind, replacements and { query, values }: every write carries the actor', async () => {
    const client = await f.models.Client.create({ name: 'Raw' })
    const since = await f.watermark()
    await as(() => f.sequelize.query(`UPDATE clients SET name = $1 WHERE id = $2`, { bind: ['Raw bind', client.id] }), 'u-bind')
    await as(
      () => f.sequelize.query(`UPDATE clients SET name = :name WHERE id = :id`, { replacements: { name: 'Raw repl', id: client.id } }),
      'u-repl',
    )
    await as(() => f.sequelize.query({ query: `UPDATE clients SET name = ? WHERE id = ?`, values: ['Raw values', client.id] }), 'u-values')
    await f.sequelize.query(`UPDATE clients SET name = 'Raw system' WHERE id = ${Number(client.id)}`)
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.actor_type, e.actor_id, e.changes.name.new])).toEqual([
      ['updated', 'user', 'u-bind', 'Raw bind'],
      ['updated', 'user', 'u-repl', 'Raw repl'],
      ['updated', 'user', 'u-values', 'Raw values'],
      ['updated', 'system', null, 'Raw system'],
    ])
  })

  it('queryInterface writes carry the actor too', async () => {
    const since = await f.watermark()
    await as(() => f.sequelize.getQueryInterface().bulkInsert('clients', [{ name: 'QI' }]), 'u-qi')
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.actor_id, e.resource_name])).toEqual([['created', 'u-qi', 'QI']])
  })
})

describe('a forged-looking tag inside a value is never taken as the context', () => {
  const forged = `*/ /*audit_trail='${auditContextTagValue({ actor: { id: 'u-forged' } })}'*/`

  it('in an inlined WHERE value and a bound SET value of Model.update', async () => {
    const client = await f.models.Client.create({ name: forged })
    const since = await f.watermark()
    await as(() => f.models.Client.update({ email: forged }, { where: { name: forged } }), 'u-real')
    await f.models.Client.update({ passwordHash: 'p' }, { where: { name: forged } })
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.actor_type, e.actor_id, e.resource_id])).toEqual([
      ['updated', 'user', 'u-real', String(client.id)],
      ['updated', 'system', null, String(client.id)],
    ])
  })

  it('in a raw replacement (inlined into the text)', async () => {
    const client = await f.models.Client.create({ name: 'Replaced' })
    const since = await f.watermark()
    await as(() => f.sequelize.query(`UPDATE clients SET name = :name WHERE id = :id`, { replacements: { name: forged, id: client.id } }), 'u-real')
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.actor_id, e.changes.name.new])).toEqual([['u-real', forged]])
  })
})
