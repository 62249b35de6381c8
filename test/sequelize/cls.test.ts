import { AsyncLocalStorage } from 'node:async_hooks'
import { beforeAll, describe, expect, it } from 'vitest'
import { Sequelize } from 'sequelize'
import { runWithAuditContext } from '@audit-trail/core'
import { statementsOf, useSequelizeFixture } from './sequelize-fixture.js'

// Sequelize.useCLS accepts any namespace with run/bind/get/set; this one is AsyncLocalStorage.
// useCLS is global to the Sequelize class, so this file has it to itself.
const storage = new AsyncLocalStorage<Map<string, unknown>>()
const namespace = {
  run<T>(fn: (context: Map<string, unknown>) => T): T {
    const context = new Map(storage.getStore())
    return storage.run(context, () => fn(context))
  },
  bind<F extends (...args: unknown[]) => unknown>(fn: F): F {
    const context = storage.getStore()
    return (context ? (...args: unknown[]) => storage.run(context, () => fn(...args)) : fn) as F
  },
  get: (key: string) => storage.getStore()?.get(key),
  set: (key: string, value: unknown) => storage.getStore()?.set(key, value),
}

beforeAll(() => {
  Sequelize.useCLS(namespace)
})
const f = useSequelizeFixture()

const as = <T>(fn: () => Promise<T>, id = 'u-cls') => runWithAuditContext({ actor: { id } }, fn)

describe('Sequelize.useCLS', () => {
  it('writes without `transaction` inside a managed transaction join it: a rollback removes rows and entries', async () => {
    const since = await f.watermark()
    await expect(
      as(() =>
        f.sequelize.transaction(async () => {
          const client = await f.models.Client.create({ name: 'Cls rollback' })
          await client.update({ email: 'r@example.com' })
          await f.sequelize.query(`UPDATE clients SET name = 'Cls rollback 2' WHERE id = $1`, { bind: [client.id] })
          throw new Error('rollback')
        }),
      ),
    ).rejects.toThrow('rollback')
    expect(await f.entriesSince(since)).toEqual([])
    expect(await f.db.query(`SELECT id FROM clients WHERE name LIKE 'Cls rollback%'`)).toEqual([])
  })

  it('a committed CLS transaction keeps every entry in that one transaction, each with its own actor', async () => {
    const since = await f.watermark()
    const statements = await statementsOf(f, () =>
      as(() =>
        f.sequelize.transaction(async () => {
          const client = await f.models.Client.create({ name: 'Cls commit' })
          await as(() => f.models.Client.update({ email: 'k@example.com' }, { where: { id: client.id } }), 'u-other')
          await f.sequelize.query(`UPDATE clients SET name = 'Cls raw' WHERE id = $1`, { bind: [client.id] })
          await client.reload()
          await client.destroy()
        }),
      ),
    )
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.actor_id])).toEqual([
      ['created', 'u-cls'],
      ['updated', 'u-other'],
      ['updated', 'u-cls'],
      ['deleted', 'u-cls'],
    ])
    expect(new Set(entries.map((e) => e.transaction_id)).size).toBe(1)
    // No transaction of the plugin's: one START TRANSACTION, the app's.
    expect(statements.filter((sql) => sql.startsWith('START TRANSACTION'))).toHaveLength(1)
  })

  it('outside a CLS transaction a write is one autocommit statement', async () => {
    const since = await f.watermark()
    const statements = await statementsOf(f, () => as(() => f.models.Client.create({ name: 'Cls none' })))
    expect(statements.map((sql) => sql.split(' ')[0])).toEqual(['INSERT'])
    expect((await f.entriesSince(since)).map((e) => [e.action, e.actor_id])).toEqual([['created', 'u-cls']])
  })
})
