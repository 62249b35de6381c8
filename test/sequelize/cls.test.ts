import { AsyncLocalStorage } from 'node:async_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sequelize } from 'sequelize'
import { runWithAuditContext } from '@audit-trail/core'
import { openFixture, type SequelizeFixture } from './sequelize-fixture.js'

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

let f: SequelizeFixture
beforeAll(async () => {
  Sequelize.useCLS(namespace)
  f = await openFixture()
})
afterAll(async () => {
  await f?.close()
})

const as = <T>(fn: () => Promise<T>) => runWithAuditContext({ actor: { id: 'u-cls' } }, fn)

describe('Sequelize.useCLS', () => {
  it('writes without `transaction` inside a managed transaction join it: a rollback removes their entries', async () => {
    const since = await f.watermark()
    await expect(
      as(() =>
        f.sequelize.transaction(async () => {
          const client = await f.models.Client.create({ name: 'Cls rollback' })
          await client.update({ email: 'r@example.com' })
          await f.models.Client.update({ name: 'Cls rollback 2' }, { where: { id: client.id } })
          throw new Error('rollback')
        }),
      ),
    ).rejects.toThrow('rollback')
    expect(await f.entriesSince(since)).toEqual([])
    expect(await f.db.query(`SELECT id FROM clients WHERE name LIKE 'Cls rollback%'`)).toEqual([])
  })

  it('a committed managed transaction keeps every entry in that one transaction', async () => {
    const since = await f.watermark()
    const before = f.statements.length
    await as(() =>
      f.sequelize.transaction(async () => {
        const client = await f.models.Client.create({ name: 'Cls commit' })
        await f.models.Client.update({ email: 'k@example.com' }, { where: { id: client.id } })
        await client.reload()
        await client.destroy()
      }),
    )
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.actor_id])).toEqual([
      ['created', 'u-cls'],
      ['updated', 'u-cls'],
      ['deleted', 'u-cls'],
    ])
    expect(new Set(entries.map((e) => e.transaction_id)).size).toBe(1)
    // The plugin opened no transaction of its own: one START TRANSACTION, the user's.
    expect(f.statements.slice(before).filter((sql) => sql.includes('START TRANSACTION'))).toHaveLength(1)
  })

  it('outside a CLS transaction the plugin still opens its own', async () => {
    const since = await f.watermark()
    const before = f.statements.length
    await as(() => f.models.Client.create({ name: 'Cls none' }))
    expect(f.statements.slice(before).filter((sql) => sql.includes('START TRANSACTION'))).toHaveLength(1)
    expect((await f.entriesSince(since)).map((e) => e.action)).toEqual(['created'])
  })
})
