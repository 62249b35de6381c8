import { afterAll, beforeAll } from 'vitest'
import type { AuditPluginOptions } from '@audit-trail/core/plugin'
import type { BehaviourDriver, OpenedOrm } from '../behaviour/driver.js'
import { BUSINESS_OPTIONS, createBusinessSchema } from './business-schema.js'
import { lateBound } from './late-bound.js'
import { createTestDatabase, type TestDatabase } from './test-database.js'

/**
 * A fresh database with sql/ and the business schema for the tests of the `describe` block (or
 * file) that calls it: created in a `beforeAll` hook, dropped after the block's own `afterAll` hooks.
 */
export function useBusinessDatabase(): TestDatabase {
  let db: TestDatabase | undefined
  beforeAll(async () => {
    db = await createTestDatabase()
    await createBusinessSchema(db)
  })
  afterAll(async () => {
    await db?.drop()
  })
  return lateBound('db', () => db)
}

/**
 * A fresh database with sql/ and the business schema, and `driver`'s ORM opened on it with its
 * plugin, for the tests of the `describe` block that calls it: opened in a `beforeAll` hook,
 * closed and dropped after the block's own `afterAll` hooks. `poolSize` may depend on the
 * engine (PGlite serves one connection at a time).
 */
export function useOrmDatabase(
  driver: BehaviourDriver,
  args: { readonly options?: AuditPluginOptions; readonly poolSize: number | ((db: TestDatabase) => number) },
): { readonly db: TestDatabase; readonly orm: OpenedOrm } {
  const db = useBusinessDatabase()
  let orm: OpenedOrm | undefined
  beforeAll(async () => {
    const poolSize = typeof args.poolSize === 'function' ? args.poolSize(db) : args.poolSize
    orm = await driver.open({ url: db.url, options: args.options ?? BUSINESS_OPTIONS, poolSize })
  })
  afterAll(async () => {
    await orm?.close()
  })
  return { db, orm: lateBound('orm', () => orm) }
}
