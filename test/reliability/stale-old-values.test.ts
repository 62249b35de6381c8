import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runWithAuditContext } from '@audit-trail/core'
import { attachAuditHooks } from '@audit-trail/sequelize'
import { openMikroOrm } from '../mikro-orm/mikro-orm-driver.js'
import { Item as ItemEntity, type IItem } from '../mikro-orm/entities.js'
import { defineModels, openSequelize } from '../sequelize/sequelize-models.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'
import { SUITE_OPTIONS, createBusinessSchema } from './reliability-fixtures.js'

let db: TestDatabase

beforeAll(async () => {
  db = await createTestDatabase()
  await createBusinessSchema(db)
})
afterAll(async () => {
  await db?.drop()
})

async function newItem(name: string): Promise<number> {
  const { id } = await db.one<{ id: number }>(`INSERT INTO items (name, price, available) VALUES ($1, 1.00, true) RETURNING id`, [name])
  return id
}
async function priceEntries(id: number) {
  return db.query<{ action: string; changes: unknown }>(
    `SELECT action, changes FROM audit_trail.activity_log WHERE resource_type = 'item' AND resource_id = $1 ORDER BY id`,
    [String(id)],
  )
}
const priceChange = (old: string, next: string) => [{ action: 'updated', changes: { price: { old: { $decimal: old }, new: { $decimal: next } } } }]

// Bug (found by R3): an instance update or destroy recorded the values the app had loaded as
// the old values; when another request changed the row in between, the entry showed an old
// value the row no longer had, breaking the record's history. The plugins now lock and read
// the row in the write's transaction.
describe('old values are the row as it was just before the write, not as the app loaded it', () => {
  it('Sequelize: instance.update and instance.destroy after a concurrent change', async () => {
    const sequelize = openSequelize(db.url, { pool: { max: 2 } })
    const { Item } = defineModels(sequelize)
    attachAuditHooks(sequelize, SUITE_OPTIONS)
    try {
      const id = await newItem('seq stale')
      const loaded = (await Item.findByPk(id))!
      await db.query(`UPDATE items SET price = 5.00 WHERE id = $1`, [id]) // another service, unaudited
      await runWithAuditContext({ actor: { id: 'u1' } }, () => loaded.update({ price: '7.00' }))
      expect(await priceEntries(id)).toEqual(priceChange('5', '7'))

      await db.query(`UPDATE items SET price = 9.00 WHERE id = $1`, [id])
      await runWithAuditContext({ actor: { id: 'u1' } }, () => loaded.destroy())
      const entries = await db.query<{ price: unknown }>(
        `SELECT changes->'price'->'old' AS price FROM audit_trail.activity_log WHERE resource_id = $1 AND action = 'deleted'`,
        [String(id)],
      )
      expect(entries).toEqual([{ price: { $decimal: '9' } }])
    } finally {
      await sequelize.close()
    }
  })

  it('MikroORM: a flush updating an entity loaded before a concurrent change', async () => {
    const { orm } = await openMikroOrm({ url: db.url, options: SUITE_OPTIONS, poolSize: 2 })
    try {
      const id = await newItem('mikro stale')
      const em = orm.em.fork()
      const loaded = (await em.findOneOrFail(ItemEntity, id)) as IItem
      await db.query(`UPDATE items SET price = 5.00 WHERE id = $1`, [id])
      loaded.price = '7.00'
      await runWithAuditContext({ actor: { id: 'u1' } }, () => em.flush())
      expect(await priceEntries(id)).toEqual(priceChange('5', '7'))
    } finally {
      await orm.close(true)
    }
  })
})

// Bug (found by R3): when a statement the subscriber runs at the start of MikroORM's flush
// transaction failed (a deadlock on the row lock, a lock timeout), MikroORM's begin() did not
// roll back, and the pooled connection stayed checked out, idle in an aborted transaction, so
// the pool ran dry and orm.close() hung. A second open transaction is needed to block the row,
// which PGlite (one transaction at a time) cannot have: this case exists on a real server only.
if (process.env.DATABASE_URL) {
  describe('MikroORM: a failure at the start of the flush transaction', () => {
    it('rolls back and releases the connection', async () => {
      const id = await newItem('mikro lock')
      const { orm } = await openMikroOrm({ url: db.url, options: SUITE_OPTIONS, poolSize: 1 })
      const blocker = new pg.Client({ connectionString: db.url })
      await blocker.connect()
      try {
        await blocker.query('BEGIN')
        await blocker.query(`SELECT id FROM items WHERE id = $1 FOR UPDATE`, [id])
        const em = orm.em.fork()
        const loaded = (await em.findOneOrFail(ItemEntity, id)) as IItem
        await em.getConnection().execute(`SET lock_timeout = '100ms'`)
        loaded.price = '3.00'
        await expect(runWithAuditContext({ actor: { id: 'u1' } }, () => em.flush())).rejects.toMatchObject({ code: '55P03' })
        await blocker.query('ROLLBACK')
        const aborted = await db.query(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction (aborted)'`,
        )
        expect(aborted).toEqual([])
        // The pool's only connection is free again: the same write now goes through.
        const again = orm.em.fork()
        const reloaded = (await again.findOneOrFail(ItemEntity, id)) as IItem
        reloaded.price = '3.00'
        await runWithAuditContext({ actor: { id: 'u1' } }, () => again.flush())
        expect(await priceEntries(id)).toEqual(priceChange('1', '3'))
      } finally {
        await blocker.end()
        await orm.close(true)
      }
    })
  })
}
