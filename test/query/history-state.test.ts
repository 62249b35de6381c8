import { beforeAll, describe, expect, it } from 'vitest'
import { InvalidArgumentError, decodeValue } from '@audit-trail/core'
import { seedEntries } from './seed-entries.js'
import { useLogDatabase } from '../support/log-database.js'

const { db, log } = useLogDatabase()
let widgetIds: string[]

beforeAll(async () => {
  widgetIds = await seedEntries(db, [
    { created_at: '2024-03-01T10:00:00Z', action: 'created', resource_type: 'widget', resource_id: '1', resource_name: 'Bolt',
      changes: { id: { old: null, new: 1 }, name: { old: null, new: 'Bolt' }, price: { old: null, new: { $decimal: '1.5' } }, active: { old: null, new: true }, note: { old: null, new: null } } },
    // Another record of the same type and one with the same id in another type: never mixed in.
    { created_at: '2024-03-01T10:30:00Z', action: 'created', resource_type: 'widget', resource_id: '2', changes: { name: { old: null, new: 'Nut' } } },
    { created_at: '2024-03-01T10:30:00Z', action: 'updated', resource_type: 'gadget', resource_id: '1', changes: { name: { old: 'x', new: 'y' } } },
    { created_at: '2024-03-02T10:00:00Z', action: 'updated', resource_type: 'widget', resource_id: '1',
      changes: { price: { old: { $decimal: '1.5' }, new: { $decimal: '2' } }, note: { old: null, new: 'sale' } } },
    { created_at: '2024-03-03T10:00:00Z', action: 'disabled', resource_type: 'widget', resource_id: '1', changes: { active: { old: true, new: false } } },
    // A manual event on the record carries no state.
    { created_at: '2024-03-03T11:00:00Z', action: 'pdf_downloaded', resource_type: 'widget', resource_id: '1', changes: { name: { old: 'Bolt', new: 'IGNORED' } }, source: 'manual' },
    { created_at: '2024-03-04T10:00:00Z', action: 'deleted', resource_type: 'widget', resource_id: '1',
      changes: { id: { old: 1, new: null }, name: { old: 'Bolt', new: null }, price: { old: { $decimal: '2' }, new: null }, active: { old: false, new: null }, note: { old: 'sale', new: null } } },
    { created_at: '2024-03-05T10:00:00Z', action: 'created', resource_type: 'widget', resource_id: '1', changes: { id: { old: null, new: 1 }, name: { old: null, new: 'Bolt II' } } },
  ])
})

describe('history()', () => {
  it('every entry of one record, newest first', async () => {
    const entries = await log.history('widget', '1')
    expect(entries.map((entry) => entry.id)).toEqual([widgetIds[7], widgetIds[6], widgetIds[5], widgetIds[4], widgetIds[3], widgetIds[0]])
    expect(entries.map((entry) => entry.action)).toEqual(['created', 'deleted', 'pdf_downloaded', 'disabled', 'updated', 'created'])
  })

  it('takes number, bigint and composite keys', async () => {
    expect((await log.history('widget', 1)).length).toBe(6)
    expect((await log.history('widget', 2n)).map((entry) => entry.id)).toEqual([widgetIds[1]])
    const [id] = await seedEntries(db, [{ resource_type: 'translation', resource_id: '["7","en"]', action: 'created' }])
    expect((await log.history('translation', [7, 'en'])).map((entry) => entry.id)).toEqual([id])
    expect((await log.history('translation', '["7","en"]')).map((entry) => entry.id)).toEqual([id])
  })

  it('an unknown record has an empty history', async () => {
    expect(await log.history('widget', '404')).toEqual([])
  })

  it('rejects bad arguments', async () => {
    await expect(log.history('', '1')).rejects.toThrow('audit-trail: resourceType must not be empty.')
    await expect(log.history(1 as unknown as string, '1')).rejects.toThrow(/resourceType must be a string, got number 1/)
    await expect(log.history('widget', null as unknown as string)).rejects.toThrow(InvalidArgumentError)
    await expect(log.history('widget', {} as unknown as string)).rejects.toThrow(/resourceId must be a string, number, bigint or an array/)
  })
})

describe('stateAt()', () => {
  it('null before creation', async () => {
    expect(await log.stateAt('widget', '1', '2024-03-01T09:59:59.999Z')).toBe(null)
  })

  it('the created columns at the instant of creation (inclusive)', async () => {
    expect(await log.stateAt('widget', '1', new Date('2024-03-01T10:00:00Z'))).toEqual({
      id: 1,
      name: 'Bolt',
      price: { $decimal: '1.5' },
      active: true,
      note: null,
    })
  })

  it('after an update and a toggle, ignoring manual events', async () => {
    expect(await log.stateAt('widget', '1', '2024-03-02T12:00:00Z')).toEqual({
      id: 1, name: 'Bolt', price: { $decimal: '2' }, active: true, note: 'sale',
    })
    const state = await log.stateAt('widget', '1', '2024-03-03T23:00:00Z')
    expect(state).toEqual({ id: 1, name: 'Bolt', price: { $decimal: '2' }, active: false, note: 'sale' })
    expect(decodeValue(state!.price!)).toBe('2')
  })

  it('null after deletion, and the new record after re-creation', async () => {
    expect(await log.stateAt('widget', '1', '2024-03-04T10:00:00Z')).toBe(null)
    expect(await log.stateAt('widget', '1', '2024-03-04T23:00:00Z')).toBe(null)
    expect(await log.stateAt('widget', 1, '2024-03-06')).toEqual({ id: 1, name: 'Bolt II' })
  })

  it('null after a TRUNCATE of the resource type', async () => {
    await seedEntries(db, [
      { created_at: '2024-04-01T10:00:00Z', action: 'created', resource_type: 'crate', resource_id: '5', changes: { id: { old: null, new: 5 } } },
      { created_at: '2024-04-02T10:00:00Z', action: 'truncated', resource_type: 'crate', resource_id: null, source: 'trigger' },
    ])
    expect(await log.stateAt('crate', '5', '2024-04-01T12:00:00Z')).toEqual({ id: 5 })
    expect(await log.stateAt('crate', '5', '2024-04-02T12:00:00Z')).toBe(null)
  })

  it('a record that predates the log: the columns its entries mention', async () => {
    await seedEntries(db, [
      { created_at: '2024-05-01T10:00:00Z', action: 'updated', resource_type: 'legacy', resource_id: '1', changes: { email: { old: 'a@x', new: 'b@x' } } },
      { created_at: '2024-05-02T10:00:00Z', action: 'enabled', resource_type: 'legacy', resource_id: '1', changes: { enabled: { old: false, new: true } } },
    ])
    expect(await log.stateAt('legacy', '1', '2024-04-30')).toBe(null)
    expect(await log.stateAt('legacy', '1', '2024-05-03')).toEqual({ email: 'b@x', enabled: true })
  })

  it('rejects a bad instant', async () => {
    await expect(log.stateAt('widget', '1', 'tomorrow')).rejects.toThrow(/audit-trail: at must be a Date or an ISO 8601/)
    await expect(log.stateAt('widget', '1', new Date(Number.NaN))).rejects.toThrow('audit-trail: at is an invalid Date.')
  })
})
