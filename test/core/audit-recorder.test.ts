import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AuditConfigurationError,
  AuditRecorder,
  MissingAuditContextError,
  runWithAuditContext,
  type ModelDescriptor,
} from '@audit-trail/core'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})
afterAll(async () => {
  await db?.drop()
})
// The log is append-only, so each test writes and reads its own resource_type.

const items: ModelDescriptor = {
  name: 'Item',
  table: 'items',
  primaryKey: ['id'],
  columns: [
    { column: 'id' },
    { column: 'name' },
    { column: 'price', kind: 'decimal' },
    { column: 'is_available', field: 'isAvailable' },
    { column: 'secret_note', field: 'secretNote' },
    { column: 'updated_at', field: 'updatedAt' },
  ],
}

async function entriesOf(resourceType: string) {
  return db.query(`SELECT * FROM audit_trail.activity_log WHERE resource_type = $1 ORDER BY id`, [resourceType])
}

describe('AuditRecorder', () => {
  it('writes one entry per changed row, in one statement, with the context columns', async () => {
    const recorder = new AuditRecorder({ models: { Item: { resourceType: 'item-a', name: 'name', toggle: 'isAvailable' } } })
    const model = recorder.model(items)!
    const client = await db.pool.connect()
    const statements: string[] = []
    const executor = {
      query: (sql: string, params?: readonly unknown[]) => {
        statements.push(sql)
        return client.query(sql, params as unknown[])
      },
    }
    try {
      await runWithAuditContext(
        {
          actor: { id: 'u1', name: 'Jan Manager', email: 'jan@example.com' },
          impersonator: { id: 's9', name: 'Support' },
          ipAddress: '192.168.1.100',
          userAgent: 'x'.repeat(5000),
          locationId: 'paris',
          tenantId: 't1',
          requestId: 'req-1',
          metadata: { feature: 'menu' },
        },
        async () => {
          const ctx = recorder.context('Item', 'update')
          const written = await recorder.record({
            executor,
            model,
            context: ctx,
            changes: [
              { action: 'created', before: null, after: { id: 1, name: 'Margherita', price: '12.50', is_available: true } },
              {
                action: 'updated',
                before: { id: 2, name: 'Salad', price: '9.00', is_available: true, updated_at: new Date(1) },
                after: { id: 2, name: 'Salad', price: '9.00', is_available: false, updated_at: new Date(2) },
              },
              {
                action: 'updated',
                before: { id: 3, name: 'Soup', price: '5', is_available: true },
                after: { id: 3, name: 'Soup', price: '5.00', is_available: true },
              },
              { action: 'deleted', before: { id: 4, name: 'Old', price: '1', is_available: false }, after: null },
            ],
          })
          expect(written).toBe(3)
        },
      )
    } finally {
      client.release()
    }
    expect(statements).toHaveLength(1)
    const rows = await entriesOf('item-a')
    expect(rows.map((r) => [r.action, r.resource_id, r.resource_name])).toEqual([
      ['created', '1', 'Margherita'],
      ['disabled', '2', 'Salad'],
      ['deleted', '4', 'Old'],
    ])
    expect(rows[1]).toMatchObject({
      log_name: 'backoffice',
      actor_type: 'user',
      actor_id: 'u1',
      actor_name: 'Jan Manager',
      actor_email: 'jan@example.com',
      impersonator_id: 's9',
      impersonator_name: 'Support',
      ip_address: '192.168.1.100',
      location_id: 'paris',
      tenant_id: 't1',
      request_id: 'req-1',
      source: 'orm',
      metadata: { feature: 'menu' },
      changes: { is_available: { old: true, new: false } },
      changed_fields: ['is_available'],
    })
    expect(rows[1]!.user_agent).toHaveLength(1024)
    expect(new Set(rows.map((r) => r.transaction_id)).size).toBe(1)
  })

  it('records no context as system, and invalid IPs as null', async () => {
    const recorder = new AuditRecorder({ models: { Item: { resourceType: 'item-b' } } })
    const model = recorder.model(items)!
    await runWithAuditContext({ ipAddress: 'not-an-ip' }, () =>
      recorder.record({
        executor: db.pool,
        model,
        context: recorder.context('Item', 'create'),
        changes: [{ action: 'created', before: null, after: { id: 5, name: 'x' } }],
      }),
    )
    await recorder.record({
      executor: db.pool,
      model,
      context: recorder.context('Item', 'create'),
      changes: [{ action: 'created', before: null, after: { id: 6, name: 'y' } }],
    })
    const rows = await entriesOf('item-b')
    expect(rows.map((r) => [r.actor_type, r.actor_id, r.ip_address])).toEqual([
      ['system', null, null],
      ['system', null, null],
    ])
  })

  it('stores names with CR/LF, HTML and U+0000 safely', async () => {
    const recorder = new AuditRecorder({ models: { Item: { resourceType: 'item-c', name: 'name' } } })
    const model = recorder.model(items)!
    await runWithAuditContext({ actor: { id: 'u\u00001', name: '<script>alert(1)</script>\r\nX' } }, () =>
      recorder.record({
        executor: db.pool,
        model,
        context: recorder.context('Item', 'create'),
        changes: [{ action: 'created', before: null, after: { id: 7, name: 'a\u0000b' } }],
      }),
    )
    const [row] = await entriesOf('item-c')
    expect(row).toMatchObject({
      actor_id: 'u\uFFFD1',
      actor_name: '<script>alert(1)</script>\r\nX',
      resource_name: 'a\uFFFDb',
      changes: { name: { old: null, new: { $utf16: [97, 0, 98] } } },
    })
  })

  it('rolls back with the transaction it was given', async () => {
    const recorder = new AuditRecorder({ models: { Item: { resourceType: 'item-d' } } })
    const model = recorder.model(items)!
    const client = await db.pool.connect()
    try {
      await client.query('BEGIN')
      await recorder.record({
        executor: client,
        model,
        context: undefined,
        changes: [{ action: 'created', before: null, after: { id: 8 } }],
      })
      await client.query('ROLLBACK')
    } finally {
      client.release()
    }
    expect(await entriesOf('item-d')).toEqual([])
  })

  it('writes 10,000 entries in one statement', async () => {
    const recorder = new AuditRecorder({ models: { Item: { resourceType: 'item-e' } } })
    const model = recorder.model(items)!
    let calls = 0
    const changes = Array.from({ length: 10_000 }, (_, i) => ({
      action: 'updated' as const,
      before: { id: i, price: '1.00' },
      after: { id: i, price: '2.00' },
    }))
    await recorder.record({
      executor: { query: (sql, params) => (calls++, db.pool.query(sql, params as unknown[])) },
      model,
      context: undefined,
      changes,
    })
    expect(calls).toBe(1)
    const { n } = await db.one<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_trail.activity_log WHERE resource_type = 'item-e'`,
    )
    expect(n).toBe(10_000)
  })

  it('requireContext rejects a write outside any context before anything is written', () => {
    const recorder = new AuditRecorder({ requireContext: true })
    expect(() => recorder.context('Item', 'update')).toThrow(MissingAuditContextError)
    expect(() => recorder.context('Item', 'update')).toThrow(/Item\.update ran without an audit context/)
    expect(runWithAuditContext({ actor: null }, () => recorder.context('Item', 'update'))).toEqual({ actor: null })
  })

  it('resolves options given as field or column names and rejects unknown ones', () => {
    const recorder = new AuditRecorder({ models: { Item: { ignore: ['secretNote'], redact: ['name'] } } })
    const model = recorder.model(items)!
    expect(model.rules.ignore.has('secret_note')).toBe(true)
    expect(model.rules.ignore.has('updated_at')).toBe(true)
    expect(model.rules.redact('name')).toBe(true)
    expect(model.resourceType).toBe('items')
    expect(() => new AuditRecorder({ models: { Item: { ignore: ['nope'] } } }).model(items)).toThrow(
      'audit-trail: models.Item.ignore names "nope", which is neither a field nor a column of Item.',
    )
    expect(() => new AuditRecorder({ models: { Itme: {} } }).assertKnownModels(['Item'])).toThrow(AuditConfigurationError)
    expect(() => new AuditRecorder({ bogus: true } as never)).toThrow('audit-trail: unknown option "bogus"')
  })

  it('excluded and audit: false models are not audited', () => {
    const recorder = new AuditRecorder({ exclude: ['Item'], models: { Other: { audit: false } } })
    expect(recorder.model(items)).toBeNull()
    expect(recorder.isAudited('Other')).toBe(false)
    expect(recorder.isAudited('Client')).toBe(true)
  })

  it('names resources with a function of the row, keyed by fields and columns', async () => {
    const recorder = new AuditRecorder({
      models: { Item: { resourceType: 'item-f', name: (row) => `${String(row.name)} (${String(row.isAvailable)})` } },
    })
    const model = recorder.model(items)!
    expect(model.resourceName({ id: 1, name: 'Tea', is_available: true })).toBe('Tea (true)')
  })

  it('formats composite keys as a JSON array of text', () => {
    const recorder = new AuditRecorder()
    const model = recorder.model({
      name: 'Translation',
      table: 'translations',
      primaryKey: ['item_id', 'locale'],
      columns: [{ column: 'item_id' }, { column: 'locale' }],
    })!
    expect(model.resourceId({ item_id: 7n, locale: 'en' })).toBe('["7","en"]')
  })
})
