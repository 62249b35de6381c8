import { afterAll, beforeAll } from 'vitest'
import { createAuditLog, type AuditLog } from '@audit-trail/core'
import { lateBound } from './late-bound.js'
import { createTestDatabase, type TestDatabase } from './test-database.js'

/**
 * A fresh database with sql/ applied and an AuditLog on its pool, for the tests of the file (or
 * `describe` block) that calls it: opened in a `beforeAll` hook (hooks the file adds after the
 * call run after it, so they can seed entries) and closed and dropped after the file's own
 * `afterAll` hooks.
 */
export function useLogDatabase(options: { migrate?: boolean } = {}): { readonly db: TestDatabase; readonly log: AuditLog } {
  let db: TestDatabase | undefined
  let log: AuditLog | undefined
  beforeAll(async () => {
    db = await createTestDatabase(options)
    log = createAuditLog({ pool: db.pool })
  })
  afterAll(async () => {
    await log?.close()
    await db?.drop()
  })
  return { db: lateBound('db', () => db), log: lateBound('log', () => log) }
}
