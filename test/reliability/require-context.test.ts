import { beforeAll, describe, expect, it } from 'vitest'
import { MissingAuditContextError, runWithAuditContext } from '@audit-trail/core'
import type { OrmSession } from '../behaviour/driver.js'
import { BUSINESS_OPTIONS } from '../support/business-schema.js'
import { useOrmDatabase } from '../support/orm-database.js'
import { ALL_WRITE_PATHS } from './reliability-fixtures.js'

const item = (clientId: number | null, name: string) => ({ clientId, name, price: '2.00', available: true })

/** Every write shape, on ids that exist (deletes last: the last test runs them all in order). */
const WRITES: ReadonlyArray<readonly [string, (s: OrmSession, ids: { client: number; item: number }) => Promise<unknown>]> = [
  ['create', (s) => s.createClient({ name: 'nope' })],
  ['update', (s, ids) => s.updateItem(ids.item, { price: '9.00' })],
  ['bulk create', (s, ids) => s.createItems([item(ids.client, 'nope 1'), item(ids.client, 'nope 2')])],
  ['bulk update', (s, ids) => s.setPriceOfClientItems(ids.client, '8.00')],
  ['nested create', (s) => s.createClientWithItems({ name: 'nope' }, [item(null, 'nope 3')])],
  ['upsert', (s) => s.upsertSetting('nope', { a: 1 })],
  ['write inside a transaction', (s, ids) => s.transaction((tx) => tx.updateItem(ids.item, { price: '7.00' }))],
  ['raw SQL update', (s, ids) => s.rawExecute('UPDATE items SET price = 6 WHERE id = $1', [ids.item])],
  ['raw SQL insert inside a transaction', (s, ids) => s.transaction((tx) => tx.rawExecute(`INSERT INTO items (client_id, name, price, available) VALUES ($1, 'nope 4', 1, true)`, [ids.client]))],
  ['delete', (s, ids) => s.deleteItem(ids.item)],
  ['bulk delete', (s, ids) => s.deleteClientItems(ids.client)],
]

describe.each(ALL_WRITE_PATHS)('R5 requireContext: $name', (driver) => {
  const { db, orm } = useOrmDatabase(driver, { options: { ...BUSINESS_OPTIONS, requireContext: true }, poolSize: 2 })
  let ids: { client: number; item: number }
  const snapshot = async () =>
    JSON.stringify([
      await db.query(`SELECT * FROM clients ORDER BY id`),
      await db.query(`SELECT id, client_id, name, price::text, available FROM items ORDER BY id`),
      await db.query(`SELECT * FROM settings ORDER BY key`),
      await db.query(`SELECT id FROM audit_trail.activity_log ORDER BY id`),
    ])

  beforeAll(async () => {
    await runWithAuditContext({ actor: { id: 'setup' } }, async () => {
      const client = await orm.session.createClient({ name: 'kept' })
      ids = { client, item: await orm.session.createItem(item(client, 'kept item')) }
    })
  })

  it.each(WRITES)('%s without context is rejected with MissingAuditContextError; tables and log unchanged', async (_name, write) => {
    const before = await snapshot()
    const error = await write(orm.session, ids).then(() => null, (e: unknown) => e)
    // MikroORM wraps errors thrown while a native statement runs in its DriverException, which
    // keeps the message and the code; every other path throws the class itself.
    if (driver.name.startsWith('mikro-orm') && !(error instanceof MissingAuditContextError)) {
      expect(error).toMatchObject({ name: 'DriverException', code: 'AUDIT_TRAIL_MISSING_CONTEXT' })
    } else {
      expect(error).toBeInstanceOf(MissingAuditContextError)
    }
    expect(await snapshot()).toBe(before)
  })

  it('the same writes with a context go through and are logged with it', async () => {
    const { max } = await db.one<{ max: number }>(`SELECT max(id)::int AS max FROM audit_trail.activity_log`)
    await runWithAuditContext({ actor: { id: 'ctx' } }, async () => {
      for (const [, write] of WRITES) await write(orm.session, ids)
    })
    const actors = await db.query<{ actor_id: string }>(`SELECT DISTINCT actor_id FROM audit_trail.activity_log WHERE id > $1`, [max])
    expect(actors).toEqual([{ actor_id: 'ctx' }])
  })
})
