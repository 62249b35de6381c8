import { afterAll, describe, expect, it } from 'vitest'
import { DataTypes, QueryTypes, Sequelize } from 'sequelize'
import { AuditConfigurationError, MissingAuditContextError, disableCapture, runWithAuditContext } from '@audit-trail/core'
import type { AuditPluginOptions } from '@audit-trail/core/plugin'
import { attachAuditHooks, checkSequelizeCapture, enableSequelizeCapture } from '@audit-trail/sequelize'
import { openClient, statementsOf, useSequelizeFixture, type SequelizeClient } from './sequelize-fixture.js'

const options: AuditPluginOptions = {
  models: {
    // Options may name ORM fields (email, releasedAt) or columns (password_hash).
    Client: { resourceType: 'client', name: 'name', redact: ['email'] },
    Item: { resourceType: 'item', ignore: ['releasedAt'], toggle: false },
  },
  exclude: ['Setting'],
}

const f = useSequelizeFixture(options)
const opened: SequelizeClient[] = []
afterAll(async () => {
  for (const client of opened) await client.sequelize.close()
})

const as = <T>(fn: () => Promise<T>) => runWithAuditContext({ actor: { id: 'u-opts' } }, fn)

/** Another instance on the fixture's database with the plugin attached with `pluginOptions`. */
function attached(pluginOptions: AuditPluginOptions): SequelizeClient {
  const client = openClient(f.db.url, { pool: { max: 2 } })
  opened.push(client)
  attachAuditHooks(client.sequelize, pluginOptions)
  return client
}

async function clientNamed(name: string): Promise<unknown[]> {
  return f.db.query(`SELECT id FROM clients WHERE name = $1`, [name])
}

describe('model options reach the capture triggers as column names', () => {
  it('field mappings, redact by field name, ignore by field name', async () => {
    const since = await f.watermark()
    const client = await as(() => f.models.Client.create({ name: 'Cols', email: 'a@b.c', passwordHash: 'x' }))
    await as(() =>
      f.models.Item.create({ clientId: client.id, name: 'Cols item', price: '1.00', available: true, releasedAt: new Date(0) }),
    )
    const [created, item] = await f.entriesSince(since)
    expect(created!.changes).toEqual({
      id: { old: null, new: client.id },
      name: { old: null, new: 'Cols' },
      email_address: { old: null, new: '[REDACTED]' },
      password_hash: { old: null, new: '[REDACTED]' },
    })
    expect(Object.keys(item!.changes).sort()).toEqual(['attributes', 'available', 'client_id', 'id', 'name', 'photo', 'price', 'sku'])
  })

  it('toggle: false records a lone boolean change as updated; an excluded model is not captured', async () => {
    const client = await as(() => f.models.Client.create({ name: 'Toggle off' }))
    const item = await as(() => f.models.Item.create({ clientId: client.id, name: 'T', price: '1.00', available: true }))
    const since = await f.watermark()
    await as(() => item.update({ available: false }))
    await as(() => f.models.Setting.create({ key: 'excluded', value: 1 }))
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.resource_type, e.changes])).toEqual([['updated', 'item', { available: { old: true, new: false } }]])
  })

  it('unknown model names and option keys are rejected at attach time', () => {
    const client = openClient(f.db.url)
    opened.push(client)
    expect(() => attachAuditHooks(client.sequelize, { models: { Itme: {} } })).toThrow(AuditConfigurationError)
    expect(() => attachAuditHooks(client.sequelize, { exclude: ['Nope'] })).toThrow(/unknown model name\(s\) in options: Nope/)
    expect(() => attachAuditHooks(client.sequelize, { models: { Client: { resourceTyp: 'x' } as never } })).toThrow(/unknown option\(s\) resourceTyp/)
  })

  it('enableSequelizeCapture returns the quoted tables, through table included, and skips excluded models', async () => {
    const owner = openClient(f.db.url)
    opened.push(owner)
    expect(await enableSequelizeCapture(owner.sequelize, options)).toEqual([
      '"clients"',
      '"items"',
      '"coupons"',
      '"item_translations"',
      '"Articles"',
      '"Tags"',
      '"ArticleTags"',
    ])
  })
})

describe('startup check', () => {
  it('runs once, before the first write: one catalog read, then nothing more', async () => {
    const app = attached(options)
    const first = await statementsOf(app, () => as(() => app.models.Client.create({ name: 'Check once' })))
    const second = await statementsOf(app, () => as(() => app.models.Client.create({ name: 'Check once 2' })))
    expect(first.map((sql) => sql.split(/\s+/)[0])).toEqual(['SELECT', 'INSERT'])
    expect(first[0]).toContain('audit_trail.capture_settings()')
    expect(second.map((sql) => sql.split(/\s+/)[0])).toEqual(['INSERT'])
  })

  it('drift in resourceType or redact fails every write with AuditConfigurationError naming the table and option; reads still work', async () => {
    const drifted = attached({
      ...options,
      models: { ...options.models, Client: { resourceType: 'customer', name: 'name', redact: ['email', 'name'] } },
    })
    const since = await f.watermark()
    const failure = as(() => drifted.models.Client.create({ name: 'Drifted' }))
    await expect(failure).rejects.toBeInstanceOf(AuditConfigurationError)
    await expect(failure).rejects.toThrow(/Client \("public"\."clients"\): resourceType is "client" in the database, "customer" in the code/)
    await expect(failure).rejects.toThrow(/Client \("public"\."clients"\): redact is \["email_address"\] in the database, \["email_address","name"\] in the code/)
    await expect(as(() => drifted.sequelize.query(`UPDATE clients SET name = 'x' WHERE false`))).rejects.toBeInstanceOf(AuditConfigurationError)
    await expect(checkSequelizeCapture(drifted.sequelize)).rejects.toBeInstanceOf(AuditConfigurationError)
    expect(await drifted.models.Client.count({ where: { name: 'Toggle off' } })).toBe(1)
    expect(await f.entriesSince(since)).toEqual([])
    expect(await clientNamed('Drifted')).toEqual([])
  })

  it('capture disabled on one table fails the check; enabling it again lets the next write through', async () => {
    await disableCapture(f.db.pool, 'public.items')
    try {
      const app = attached(options)
      await expect(checkSequelizeCapture(app.sequelize)).rejects.toThrow(/Item \("public"\."items"\): capture is not enabled/)
      await expect(as(() => app.models.Client.create({ name: 'Not yet' }))).rejects.toBeInstanceOf(AuditConfigurationError)
      expect(await clientNamed('Not yet')).toEqual([])
      await enableSequelizeCapture(f.sequelize, options)
      const since = await f.watermark()
      await as(() => app.models.Client.create({ name: 'Now' }))
      expect((await f.entriesSince(since)).map((e) => [e.action, e.resource_name])).toEqual([['created', 'Now']])
    } finally {
      await enableSequelizeCapture(f.sequelize, options)
    }
  })

  it('a model defined after attach is checked too, before the next write', async () => {
    await f.db.query(`CREATE TABLE notes (id serial PRIMARY KEY, body text)`)
    const app = attached(options)
    await as(() => app.models.Client.create({ name: 'Before Note' }))
    app.sequelize.define('Note', { body: DataTypes.TEXT }, { tableName: 'notes', timestamps: false })
    await expect(as(() => app.models.Client.create({ name: 'After Note' }))).rejects.toThrow(/Note \("public"\."notes"\): capture is not enabled/)
    expect(await clientNamed('After Note')).toEqual([])
  })
})

describe('requireContext', () => {
  it('rejects model writes and raw writes without context before anything is sent; reads pass', async () => {
    const strict = attached({ ...options, requireContext: true })
    const client = await as(() => strict.models.Client.create({ name: 'Strict' }))
    const since = await f.watermark()
    const sent = await statementsOf(strict, async () => {
      await expect(strict.models.Client.create({ name: 'Strict 2' })).rejects.toBeInstanceOf(MissingAuditContextError)
      await expect(client.update({ name: 'Strict 3' })).rejects.toBeInstanceOf(MissingAuditContextError)
      await expect(strict.models.Client.update({ name: 'Strict 4' }, { where: { id: client.id } })).rejects.toBeInstanceOf(MissingAuditContextError)
      await expect(strict.models.Client.destroy({ where: { id: client.id } })).rejects.toBeInstanceOf(MissingAuditContextError)
      await expect(strict.models.Coupon.upsert({ code: 'STRICT', percent: 1 })).rejects.toBeInstanceOf(MissingAuditContextError)
      await expect(strict.sequelize.query(`UPDATE clients SET name = 'Strict raw' WHERE id = $1`, { bind: [client.id] })).rejects.toBeInstanceOf(
        MissingAuditContextError,
      )
      await expect(strict.sequelize.query({ query: `DELETE FROM clients WHERE id = ?`, values: [client.id] })).rejects.toBeInstanceOf(
        MissingAuditContextError,
      )
    })
    expect(sent).toEqual([])
    const [row] = await strict.sequelize.query<{ name: string }>(`SELECT name FROM clients WHERE id = $1`, { bind: [client.id], type: QueryTypes.SELECT })
    expect(row).toEqual({ name: 'Strict' })
    expect(await f.entriesSince(since)).toEqual([])
  })
})

describe('detach', () => {
  it('wraps only the instance (never the shared prototype) and restores it; statements are sent untagged again', async () => {
    const app = openClient(f.db.url, { pool: { max: 2 } })
    opened.push(app)
    const shared = Sequelize.prototype.query
    const detach = attachAuditHooks(app.sequelize, options)
    expect(Object.prototype.hasOwnProperty.call(app.sequelize, 'query')).toBe(true)
    expect(Sequelize.prototype.query).toBe(shared)
    detach()
    expect(app.sequelize.query).toBe(Sequelize.prototype.query)
    const since = await f.watermark()
    const sent = await statementsOf(app, () => as(() => app.models.Client.create({ name: 'Detached' })))
    expect(sent).toHaveLength(1)
    expect(sent[0]).not.toContain('audit_trail')
    expect((await f.entriesSince(since)).map((e) => [e.actor_type, e.source])).toEqual([['database', 'trigger']])
  })
})
