import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { filterChoices } from '../../packages/core/src/query/filter-choices.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'
import { seedEntries } from '../query/seed-entries.js'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
  const entries = [
    ...Array.from({ length: 300 }, (_, i) => ({ actor_id: 'u-jan', actor_name: 'Jan', action: 'updated', resource_type: 'item', location_id: 'paris', tenant_id: i % 2 ? 't1' : 't2' })),
    ...Array.from({ length: 100 }, () => ({ actor_id: 'u-ana', actor_name: 'Ana', action: 'login', location_id: 'lyon', tenant_id: 't1' })),
  ]
  await seedEntries(db, entries)
  await db.query('ANALYZE audit_trail.activity_log')
})
afterAll(async () => {
  await db?.drop()
})

describe('filterChoices', () => {
  it('lists values from the whole log, with counts estimated from the planner’s statistics (no scan)', async () => {
    const choices = await filterChoices(db.pool)
    expect(choices.actors).toEqual([
      { id: 'u-ana', name: 'Ana' },
      { id: 'u-jan', name: 'Jan' },
    ])
    expect(choices.actions).toEqual(expect.arrayContaining(['login', 'updated']))
    // ANALYZE sampled every row of this small log: the estimates are exact here.
    expect(choices.counts.actors).toEqual({ 'u-jan': 300, 'u-ana': 100 })
    expect(choices.counts.actions).toMatchObject({ updated: 300, login: 100 })
    expect(choices.counts.locations).toEqual({ paris: 300, lyon: 100 })
    expect(choices.counts.resourceTypes).toEqual({ item: 300 })
  })

  it('gives no counts under a tenant scope: the statistics cover every tenant', async () => {
    const choices = await filterChoices(db.pool, { tenantId: 't1' })
    expect(choices.counts).toEqual({ actors: {}, actions: {}, resourceTypes: {}, locations: {} })
    expect(choices.actors.map((a) => a.id)).toEqual(['u-ana', 'u-jan'])
  })
})
