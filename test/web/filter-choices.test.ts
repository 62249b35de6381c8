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
    // A small tenant among the others; the actor renamed themselves (the newest name is shown).
    { actor_id: 'u-bo', actor_name: 'Bo (old)', action: 'created', resource_type: 'order', location_id: 'nice', tenant_id: 't3' },
    { actor_id: 'u-bo', actor_name: 'Bo', action: 'updated', resource_type: 'invoice', tenant_id: 't3' },
    { actor_id: 'u-cy', actor_email: 'cy@example.com', action: 'deleted', resource_type: 'order', location_id: 'lyon', tenant_id: 't3' },
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
      { id: 'u-bo', name: 'Bo' },
      { id: 'u-cy', name: 'cy@example.com' },
      { id: 'u-jan', name: 'Jan' },
    ])
    expect(choices.actions).toEqual(expect.arrayContaining(['created', 'deleted', 'login', 'updated']))
    // ANALYZE sampled every row of this small log: the estimates of the common values are exact.
    expect(choices.counts.actors).toMatchObject({ 'u-jan': 300, 'u-ana': 100 })
    expect(choices.counts.actions).toMatchObject({ updated: 301, login: 100 })
    expect(choices.counts.locations).toMatchObject({ paris: 300, lyon: 101 })
    expect(choices.counts.resourceTypes).toMatchObject({ item: 300 })
  })

  it('gives no counts under a tenant scope: the statistics cover every tenant', async () => {
    const choices = await filterChoices(db.pool, { tenantId: 't1' })
    expect(choices.counts).toEqual({ actors: {}, actions: {}, resourceTypes: {}, locations: {} })
    expect(choices.actors.map((a) => a.id)).toEqual(['u-ana', 'u-jan'])
  })

  // A small tenant's lists come from its own entries; a large one's from the walk over the whole
  // log's indexes: both must give the same lists.
  it('gives the same lists for a tenant read from its own entries and by walking the indexes', async () => {
    for (const tenantId of ['t1', 't3', 'none']) {
      const own = await filterChoices(db.pool, { tenantId })
      const walked = await filterChoices(db.pool, { tenantId }, { smallScope: 0 })
      expect(own).toEqual(walked)
    }
    const t3 = await filterChoices(db.pool, { tenantId: 't3' })
    expect(t3.actors).toEqual([
      { id: 'u-bo', name: 'Bo' },
      { id: 'u-cy', name: 'cy@example.com' },
    ])
    expect(t3.resourceTypes).toEqual(['invoice', 'order'])
    expect(t3.locations).toEqual(['lyon', 'nice'])
    expect(t3.actions).toEqual(['created', 'deleted', 'updated'])
  })
})
