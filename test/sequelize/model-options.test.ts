import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuditConfigurationError, MissingAuditContextError, runWithAuditContext } from '@audit-trail/core'
import { attachAuditHooks } from '@audit-trail/sequelize'
import { openFixture, type SequelizeFixture } from './sequelize-fixture.js'
import { defineModels, openSequelize } from './sequelize-models.js'

let f: SequelizeFixture
const userHookCalls: string[] = []
beforeAll(async () => {
  f = await openFixture({
    models: {
      // Options may name ORM fields (email, releasedAt) or columns (password_hash).
      Client: { resourceType: 'client', name: 'name', redact: ['email'] },
      Item: { resourceType: 'item', ignore: ['releasedAt'], toggle: false },
    },
    exclude: ['Setting'],
  })
})
afterAll(async () => {
  await f?.close()
})

const as = <T>(fn: () => Promise<T>) => runWithAuditContext({ actor: { id: 'u-opts' } }, fn)

describe('columns and model options', () => {
  it('field mappings and underscored attributes appear as database columns', async () => {
    const client = await as(() => f.models.Client.create({ name: 'Cols', email: 'a@b.c', passwordHash: 'x' }))
    const since = await f.watermark()
    await as(() =>
      f.models.Item.create({ clientId: client.id, name: 'Cols item', price: '1.00', available: true, releasedAt: new Date(0) }),
    )
    const [entry] = await f.entriesSince(since)
    expect(Object.keys(entry!.changes).sort()).toEqual(
      ['attributes', 'available', 'client_id', 'id', 'name', 'photo', 'price', 'sku'],
    )
    const [created] = await f.entriesSince(since - 1)
    expect(created!.changes).toMatchObject({
      email_address: { old: null, new: '[REDACTED]' },
      password_hash: { old: null, new: '[REDACTED]' },
    })
  })

  it('toggle: false records a lone boolean change as updated; exclude skips a model', async () => {
    const client = await as(() => f.models.Client.create({ name: 'Toggle off' }))
    const item = await as(() => f.models.Item.create({ clientId: client.id, name: 'T', price: '1.00', available: true }))
    const since = await f.watermark()
    await as(() => item.update({ available: false }))
    await as(() => f.models.Setting.create({ key: 'excluded', value: 1 }))
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.resource_type, e.changes])).toEqual([
      ['updated', 'item', { available: { old: true, new: false } }],
    ])
  })

  it('unknown model names in options are rejected at attach time', () => {
    expect(() => attachAuditHooks(f.sequelize, { models: { Itme: {} } })).toThrow(AuditConfigurationError)
    expect(() => attachAuditHooks(f.sequelize, { exclude: ['Nope'] })).toThrow(/unknown model name\(s\) in options: Nope/)
  })
})

describe('hooks the app already has', () => {
  // Regression: a hook setting an already-changed field made Sequelize's _previousDataValues hold
  // the app's value, so the entry recorded 'renamed' instead of the stored 'hooked' as old.
  it('still run, before the plugin, and their changes are what gets recorded', async () => {
    const { Client } = f.models
    Client.addHook('beforeUpdate', 'app-upper', (instance) => {
      userHookCalls.push('beforeUpdate')
      instance.set('name', String(instance.get('name')).toUpperCase())
    })
    Client.addHook('afterUpdate', 'app-after', () => {
      userHookCalls.push('afterUpdate')
    })
    try {
      const client = await as(() => Client.create({ name: 'hooked' }))
      const since = await f.watermark()
      await as(() => client.update({ name: 'renamed' }))
      await as(() => Client.update({ name: 'bulk renamed' }, { where: { id: client.id }, individualHooks: true }))
      expect(userHookCalls).toEqual(['beforeUpdate', 'afterUpdate', 'beforeUpdate', 'afterUpdate'])
      const entries = await f.entriesSince(since)
      expect(entries.map((e) => [e.action, e.changes])).toEqual([
        ['updated', { name: { old: 'hooked', new: 'RENAMED' } }],
        ['updated', { name: { old: 'RENAMED', new: 'BULK RENAMED' } }],
      ])
    } finally {
      Client.removeHook('beforeUpdate', 'app-upper')
      Client.removeHook('afterUpdate', 'app-after')
    }
  })
})

describe('requireContext', () => {
  it('rejects instance, bulk and upsert writes without context before anything is written', async () => {
    const strictSequelize = openSequelize(f.db.url, { pool: { max: 2 } })
    const strict = defineModels(strictSequelize)
    attachAuditHooks(strictSequelize, { requireContext: true })
    try {
      const client = await as(() => strict.Client.create({ name: 'Strict' }))
      const since = await f.watermark()
      await expect(strict.Client.create({ name: 'Strict 2' })).rejects.toBeInstanceOf(MissingAuditContextError)
      await expect(client.update({ name: 'Strict 3' })).rejects.toBeInstanceOf(MissingAuditContextError)
      await expect(strict.Client.update({ name: 'Strict 4' }, { where: { id: client.id } })).rejects.toBeInstanceOf(
        MissingAuditContextError,
      )
      await expect(strict.Client.destroy({ where: { id: client.id } })).rejects.toBeInstanceOf(MissingAuditContextError)
      await expect(strict.Setting.upsert({ key: 'strict', value: 1 })).rejects.toBeInstanceOf(MissingAuditContextError)
      const transaction = await strictSequelize.transaction()
      await expect(strict.Client.update({ name: 'Strict 5' }, { where: { id: client.id }, transaction })).rejects.toBeInstanceOf(
        MissingAuditContextError,
      )
      await transaction.rollback()
      expect(await f.entriesSince(since)).toEqual([])
      expect(await f.db.query(`SELECT name FROM clients WHERE id = $1`, [client.id])).toEqual([{ name: 'Strict' }])
      expect(await f.db.query(`SELECT key FROM settings WHERE key = 'strict'`)).toEqual([])
    } finally {
      await strictSequelize.close()
    }
  })
})

describe('preparedStatements: false', () => {
  it('writes the entries through sequelize.query, logged like every other statement', async () => {
    const logged: string[] = []
    const sequelize = openSequelize(f.db.url, { pool: { max: 2 }, logging: (sql) => logged.push(sql) })
    const { Client } = defineModels(sequelize)
    attachAuditHooks(sequelize, { preparedStatements: false })
    try {
      const since = await f.watermark()
      const client = await as(() => Client.create({ name: 'Unprepared' }))
      expect((await f.entriesSince(since)).map((e) => [e.action, e.resource_id])).toEqual([['created', String(client.id)]])
      expect(logged.filter((sql) => sql.includes('INSERT INTO audit_trail.activity_log'))).toHaveLength(1)
    } finally {
      await sequelize.close()
    }
  })
})

describe('detach', () => {
  it('stops recording and restores the model methods', async () => {
    const sequelize = openSequelize(f.db.url, { pool: { max: 2 } })
    const { Client } = defineModels(sequelize)
    const originalSave = Client.prototype.save
    const detach = attachAuditHooks(sequelize)
    expect(Client.prototype.save).not.toBe(originalSave)
    detach()
    try {
      expect(Client.prototype.save).toBe(originalSave)
      const since = await f.watermark()
      await Client.create({ name: 'Detached' })
      expect(await f.entriesSince(since)).toEqual([])
    } finally {
      await sequelize.close()
    }
  })
})
