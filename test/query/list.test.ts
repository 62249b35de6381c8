import { beforeAll, describe, expect, it } from 'vitest'
import { InvalidArgumentError, type AuditFilter, type AuditLog } from '@audit-trail/core'
import { buildFilterCondition } from '../../packages/core/src/query/audit-filter.js'
import { seedEntries, type SeedEntry } from './seed-entries.js'
import { useLogDatabase } from '../support/log-database.js'

const { db, log } = useLogDatabase()
let ids: string[]

// Each entry's description is its label; expectations list labels newest first.
const ENTRIES: SeedEntry[] = [
  { description: 'e1', created_at: '2024-01-14T09:00:00Z', actor_id: 'u1', actor_name: 'Jan Manager', action: 'created',
    resource_type: 'item', resource_id: '1', resource_name: 'Margherita Pizza', changes: { name: { old: null, new: 'Margherita Pizza' }, price: { old: null, new: { $decimal: '12.5' } } },
    location_id: 'paris', tenant_id: 't1', request_id: 'r1' },
  { description: 'e2', created_at: '2024-01-15T08:30:00Z', actor_id: 'u1', actor_name: 'Jan Manager', action: 'login',
    ip_address: '192.168.1.100', location_id: 'paris', tenant_id: 't1', request_id: 'r2', source: 'manual' as const },
  { description: 'e3', created_at: '2024-01-15T14:15:00Z', actor_id: 'u1', actor_name: 'Jan Manager', action: 'disabled',
    resource_type: 'item', resource_id: '2', resource_name: 'Summer Special Salad', changes: { available: { old: true, new: false } },
    location_id: 'paris', tenant_id: 't1', request_id: 'r3' },
  { description: 'e4', created_at: '2024-01-15T14:30:00Z', actor_id: 'u1', actor_name: 'Jan Manager', action: 'updated',
    resource_type: 'item', resource_id: '1', resource_name: 'Margherita Pizza', changes: { price: { old: { $decimal: '12.5' }, new: { $decimal: '13.5' } } },
    location_id: 'paris', tenant_id: 't1', request_id: 'r3' },
  { description: 'e5', created_at: '2024-01-15T15:00:00Z', actor_type: 'system' as const, action: 'updated',
    resource_type: 'client', resource_id: '7', resource_name: 'Acme Corp', changes: { email: { old: 'a@acme.test', new: 'b@acme.test' } },
    tenant_id: 't2' },
  { description: 'e6', created_at: '2024-01-16T10:00:00Z', actor_id: 'u2', actor_name: 'Ana Support', action: 'updated',
    resource_type: 'client', resource_id: '7', resource_name: 'Acme Corp', changes: { email: { old: 'b@acme.test', new: 'c@acme.test' }, phone: { old: null, new: '555' } },
    location_id: 'lyon', tenant_id: 't2', log_name: 'customer', request_id: 'r5' },
  { description: 'e7', created_at: '2024-01-16T11:00:00Z', actor_id: 'u2', actor_name: 'Ana Support', action: 'deleted',
    resource_type: 'item', resource_id: '2', resource_name: 'Summer Special Salad', changes: { available: { old: false, new: null } },
    location_id: 'lyon', tenant_id: 't1' },
  { description: 'e8', created_at: '2024-01-16T12:00:00Z', actor_type: 'database' as const, actor_name: 'postgres', action: 'updated',
    resource_type: 'item', resource_id: '1', resource_name: 'Margherita Pizza', changes: { name: { old: 'Margherita Pizza', new: 'Margherita' } },
    source: 'trigger' as const },
  { description: 'e9', created_at: '2024-01-16T13:00:00Z', actor_id: 'u3', actor_name: 'Li_Wei', action: 'invoice.voided',
    resource_type: 'invoice', resource_id: '["7","en"]', resource_name: '100% Juice_Box', source: 'manual' as const },
  // A value that reads like SQL: found only by an exact, bound comparison.
  { description: 'e10', created_at: '2024-01-16T14:00:00Z', actor_id: "' OR 1=1 --", actor_name: 'Robert"); DROP TABLE x;--', action: 'pdf_downloaded',
    resource_type: 'invoice', resource_id: '9', resource_name: 'Invoice 9', source: 'manual' as const },
]
const ALL = ENTRIES.map((entry) => entry.description!).reverse()

beforeAll(async () => {
  ids = await seedEntries(db, ENTRIES)
})

async function labels(filter: AuditFilter, order: 'asc' | 'desc' = 'desc'): Promise<string[]> {
  const { entries, nextCursor } = await log.list({ ...filter, logName: filter.logName ?? ['backoffice', 'customer'], limit: 1000, order })
  expect(nextCursor).toBe(null)
  return entries.map((entry) => entry.description!)
}

describe('list() filters', () => {
  const cases: Array<[string, AuditFilter, string[]]> = [
    ['no filter', {}, ALL],
    ['actorId', { actorId: 'u1' }, ['e4', 'e3', 'e2', 'e1']],
    ['actorId array', { actorId: ['u2', 'u3'] }, ['e9', 'e7', 'e6']],
    ['system true', { system: true }, ['e5']],
    ['system false', { system: false }, ALL.filter((label) => label !== 'e5')],
    ['action', { action: 'updated' }, ['e8', 'e6', 'e5', 'e4']],
    ['action array', { action: ['login', 'invoice.voided'] }, ['e9', 'e2']],
    ['resourceType', { resourceType: 'client' }, ['e6', 'e5']],
    ['resourceType array', { resourceType: ['client', 'invoice'] }, ['e10', 'e9', 'e6', 'e5']],
    ['resourceId', { resourceId: '2' }, ['e7', 'e3']],
    ['resourceId composite', { resourceId: '["7","en"]' }, ['e9']],
    ['locationId', { locationId: 'lyon' }, ['e7', 'e6']],
    ['tenantId', { tenantId: 't2' }, ['e6', 'e5']],
    ['logName', { logName: 'customer' }, ['e6']],
    ['requestId', { requestId: 'r3' }, ['e4', 'e3']],
    ['from (inclusive)', { from: '2024-01-16T11:00:00Z' }, ['e10', 'e9', 'e8', 'e7']],
    ['to (inclusive)', { to: new Date('2024-01-15T08:30:00Z') }, ['e2', 'e1']],
    ['from and to', { from: '2024-01-15', to: '2024-01-15T23:59:59.999Z' }, ['e5', 'e4', 'e3', 'e2']],
    ['field', { field: 'email' }, ['e6', 'e5']],
    ['field absent', { field: 'nope' }, []],
    ['search resource name, case-insensitive', { search: 'margherita' }, ['e8', 'e4', 'e1']],
    ['search actor name', { search: 'ana sup' }, ['e7', 'e6']],
    ['search % is literal', { search: '%' }, ['e9']],
    ['search _ is literal', { search: 'i_w' }, ['e9']],
    ['search empty', { search: '' }, ALL],
    ['search no match', { search: 'zzz' }, []],
    ['exact match of an SQL-looking value', { actorId: "' OR 1=1 --" }, ['e10']],
    ['combined: actor + type + action', { actorId: 'u1', resourceType: 'item', action: ['updated', 'disabled'] }, ['e4', 'e3']],
    ['combined: field + tenant + date', { field: 'email', tenantId: 't2', to: '2024-01-15T23:00:00Z' }, ['e5']],
    ['combined: location + search + from', { locationId: 'paris', search: 'salad', from: '2024-01-15' }, ['e3']],
    ['combined: system false + resourceId + logName', { system: false, resourceId: '7', logName: 'customer' }, ['e6']],
  ]
  for (const [name, filter, expected] of cases) {
    it(`${name}: list, reverse order and count agree`, async () => {
      expect(await labels(filter)).toEqual(expected)
      expect(await labels(filter, 'asc')).toEqual([...expected].reverse())
      expect(await log.count({ ...filter, logName: filter.logName ?? ['backoffice', 'customer'] })).toBe(expected.length)
    })
  }

  it('to includes an entry created within the same millisecond (created_at has microseconds)', async () => {
    const [id] = await seedEntries(db, [{ log_name: 'micro', created_at: '2024-02-01T10:00:00.123456Z', description: 'm' }])
    const { entries } = await log.list({ logName: 'micro' })
    expect(entries.map((entry) => entry.id)).toEqual([id])
    expect(entries[0]!.createdAt.toISOString()).toBe('2024-02-01T10:00:00.123Z')
    const at = entries[0]!.createdAt
    expect((await log.list({ logName: 'micro', from: at, to: at })).entries.map((entry) => entry.id)).toEqual([id])
    expect(await log.count({ logName: 'micro', to: new Date(at.getTime() - 1) })).toBe(0)
    expect(await log.count({ logName: 'micro', from: new Date(at.getTime() + 1) })).toBe(0)
  })
})

describe('field filter', () => {
  it('is changed_fields @> ARRAY[$1], which the GIN index on changed_fields serves', async () => {
    const condition = buildFilterCondition({ field: 'email' })
    expect(condition).toEqual({ where: 'changed_fields @> ARRAY[$1]::text[]', params: ['email'], from: 'audit_trail.activity_log' })
    const client = await db.pool.connect()
    try {
      await client.query('BEGIN')
      // The test table is tiny; without this the planner rightly prefers a sequential scan.
      await client.query('SET LOCAL enable_seqscan = off')
      const plan = await client.query(`EXPLAIN SELECT count(*) FROM audit_trail.activity_log WHERE ${condition.where}`, condition.params)
      await client.query('ROLLBACK')
      expect(plan.rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('Bitmap Index Scan on activity_log_changed_fields_gin')
    } finally {
      client.release()
    }
  })
})

describe('AuditEntry shape', () => {
  it('is the row in camelCase, bigint ids as strings', async () => {
    const { entries } = await log.list({ requestId: 'r5' })
    const txid = await db.one<{ transaction_id: string }>('SELECT transaction_id::text FROM audit_trail.activity_log WHERE id = $1', [ids[5]])
    expect(entries).toEqual([
      {
        id: ids[5],
        createdAt: new Date('2024-01-16T10:00:00Z'),
        logName: 'customer',
        actor: { type: 'user', id: 'u2', name: 'Ana Support', email: null },
        impersonator: null,
        action: 'updated',
        resourceType: 'client',
        resourceId: '7',
        resourceName: 'Acme Corp',
        changes: { email: { old: 'b@acme.test', new: 'c@acme.test' }, phone: { old: null, new: '555' } },
        description: 'e6',
        ipAddress: null,
        userAgent: null,
        locationId: 'lyon',
        tenantId: 't2',
        requestId: 'r5',
        transactionId: txid.transaction_id,
        source: 'orm',
        metadata: null,
      },
    ])
    expect(txid.transaction_id).toMatch(/^\d+$/)
  })

  it('maps impersonator, IP address, user agent and metadata', async () => {
    await seedEntries(db, [
      { log_name: 'shape', actor_id: 'u9', actor_email: 'x@y.test', impersonator_id: 's1', impersonator_name: 'Support', ip_address: '2001:db8::1', user_agent: 'UA', metadata: { a: 1 } },
    ])
    const [entry] = (await log.list({ logName: 'shape' })).entries
    expect(entry!.actor).toEqual({ type: 'user', id: 'u9', name: null, email: 'x@y.test' })
    expect(entry!.impersonator).toEqual({ id: 's1', name: 'Support' })
    expect(entry!.ipAddress).toBe('2001:db8::1')
    expect(entry!.userAgent).toBe('UA')
    expect(entry!.metadata).toEqual({ a: 1 })
  })
})

describe('list() paging', () => {
  it('defaults to 100 newest first', async () => {
    await seedEntries(db, Array.from({ length: 120 }, (_, i) => ({ log_name: 'hundred', description: String(i) })))
    const page = await log.list({ logName: 'hundred' })
    expect(page.entries.length).toBe(100)
    expect(page.entries[0]!.description).toBe('119')
    expect(page.entries[99]!.description).toBe('20')
    const rest = await log.list({ logName: 'hundred', cursor: page.nextCursor })
    expect(rest.entries.map((entry) => entry.description)).toEqual(['19', '18', '17', '16', '15', '14', '13', '12', '11', '10', '9', '8', '7', '6', '5', '4', '3', '2', '1', '0'])
    expect(rest.nextCursor).toBe(null)
  })

  it('the last full page has no next cursor', async () => {
    await seedEntries(db, Array.from({ length: 4 }, () => ({ log_name: 'exact' })))
    const page = await log.list({ logName: 'exact', limit: 4 })
    expect(page.entries.length).toBe(4)
    expect(page.nextCursor).toBe(null)
  })

  for (const order of ['desc', 'asc'] as const) {
    it(`${order}: every entry exactly once across pages while entries are written concurrently`, async () => {
      const existing = await seedEntries(db, Array.from({ length: 150 }, (_, i) => ({ log_name: `paging-${order}`, description: String(i) })))
      let writing = true
      const written: string[] = []
      const writer = (async () => {
        while (writing) written.push(...(await seedEntries(db, [{ log_name: `paging-${order}` }, { log_name: `paging-${order}` }])))
      })()
      const seen: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const page: Awaited<ReturnType<AuditLog['list']>> = await log.list({ logName: `paging-${order}`, limit: 7, order, cursor })
        seen.push(...page.entries.map((entry) => entry.id))
        cursor = page.nextCursor
        pages++
        // Also write between pages, so new entries are certain to exist while paging.
        written.push(...(await seedEntries(db, [{ log_name: `paging-${order}` }])))
      } while (cursor && pages < 200)
      writing = false
      await writer
      expect(new Set(seen).size).toBe(seen.length)
      const sorted = [...seen].sort((a, b) => Number(BigInt(a) - BigInt(b)))
      expect(seen).toEqual(order === 'asc' ? sorted : sorted.reverse())
      if (order === 'desc') {
        // Entries written before the first page lead it; later ones are above the cursor and never show.
        const head = seen.length - existing.length
        expect(seen.slice(head)).toEqual([...existing].reverse())
        expect(seen.slice(0, head).every((id) => written.includes(id))).toBe(true)
      } else {
        // Ascending paging reads on into the entries written meanwhile, each once.
        expect(seen.slice(0, existing.length)).toEqual(existing)
        expect(seen.slice(existing.length).every((id) => written.includes(id))).toBe(true)
      }
      expect(written.length).toBeGreaterThan(0)
    })
  }
})

describe('bad filters throw InvalidArgumentError naming the key, before any query', () => {
  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['unknown key', { actor: 'u1' }, /unknown filter key "actor"/],
    ['actorId number', { actorId: 1 }, /filter\.actorId must be a string or an array of strings, got number 1/],
    ['actorId empty array', { actorId: [] }, /filter\.actorId is an empty array/],
    ['actorId array of numbers', { actorId: ['u1', 2] }, /filter\.actorId\[1\] must be a string/],
    ['system string', { system: 'yes' }, /filter\.system must be true or false/],
    ['action null', { action: null }, /filter\.action must be a string or an array of strings, got null/],
    ['resourceType object', { resourceType: {} }, /filter\.resourceType must be/],
    ['resourceId number', { resourceId: 7 }, /filter\.resourceId must be/],
    ['locationId boolean', { locationId: true }, /filter\.locationId must be/],
    ['tenantId with U+0000', { tenantId: 'a\u0000b' }, /filter\.tenantId contains U\+0000/],
    ['logName number', { logName: 3 }, /filter\.logName must be/],
    ['requestId array of null', { requestId: [null] }, /filter\.requestId\[0\] must be a string/],
    ['from not a date', { from: 'yesterday' }, /filter\.from must be a Date or an ISO 8601/],
    ['from invalid Date', { from: new Date('nope') }, /filter\.from is an invalid Date/],
    ['to impossible date', { to: '2024-02-31T25:00:00Z' }, /filter\.to must be a Date or an ISO 8601/],
    ['to number', { to: 1700000000000 }, /filter\.to must be a Date or an ISO 8601/],
    ['from after to', { from: '2024-01-16', to: '2024-01-15' }, /filter\.from \(2024-01-16T00:00:00\.000Z\) is after filter\.to/],
    ['field array', { field: ['email'] }, /filter\.field must be a string, got an array/],
    ['search number', { search: 5 }, /filter\.search must be a string/],
    ['limit 0', { limit: 0 }, /limit must be an integer from 1 to 1000, got number 0/],
    ['limit 1001', { limit: 1001 }, /limit must be an integer from 1 to 1000/],
    ['limit fraction', { limit: 1.5 }, /limit must be an integer/],
    ['limit string', { limit: '10' }, /limit must be an integer from 1 to 1000, got "10"/],
    ['cursor garbage', { cursor: 'not a cursor!' }, /cursor is not a list\(\) cursor/],
    ['cursor base64 of junk', { cursor: Buffer.from('d:abc').toString('base64url') }, /cursor is not a list\(\) cursor/],
    ['cursor number', { cursor: 12 }, /cursor is not a list\(\) cursor/],
    ['order', { order: 'newest' }, /order must be 'asc' or 'desc'/],
  ]
  for (const [name, filter, message] of bad) {
    it(name, async () => {
      await expect(log.list(filter as AuditFilter)).rejects.toThrow(InvalidArgumentError)
      await expect(log.list(filter as AuditFilter)).rejects.toThrow(message)
    })
  }

  it('count() validates the same way and rejects paging keys', async () => {
    await expect(log.count({ from: 'soon' })).rejects.toThrow(/filter\.from must be a Date/)
    await expect(log.count({ limit: 5 } as AuditFilter)).rejects.toThrow(/unknown filter key "limit"/)
    await expect(log.count(null as unknown as AuditFilter)).rejects.toThrow(/filter must be an object, got null/)
  })

  it('a cursor is bound to its order', async () => {
    const page = await log.list({ limit: 1 })
    await expect(log.list({ limit: 1, order: 'asc', cursor: page.nextCursor })).rejects.toThrow(
      "audit-trail: cursor was made for order 'desc', not 'asc'; pass the nextCursor of a previous list() call unchanged.",
    )
  })
})

describe('injection strings in every string filter are only ever values', () => {
  const attacks = [
    "' OR '1'='1",
    "x'; DROP TABLE audit_trail.activity_log; --",
    '1) OR (1=1',
    '$1',
    '\\',
    "'; SELECT pg_sleep(5); --",
    '*/ OR 1=1 /*',
  ]
  const keys = ['actorId', 'action', 'resourceType', 'resourceId', 'locationId', 'tenantId', 'logName', 'requestId', 'field', 'search'] as const
  for (const key of keys) {
    it(key, async () => {
      const before = await db.one<{ n: string }>('SELECT count(*)::text AS n FROM audit_trail.activity_log')
      for (const attack of attacks) {
        const filter = { [key]: attack } as AuditFilter
        expect((await log.list(filter)).entries).toEqual([])
        expect(await log.count(filter)).toBe(0)
        if (key !== 'field' && key !== 'search') {
          expect((await log.list({ [key]: [attack, `${attack}2`] } as AuditFilter)).entries).toEqual([])
        }
      }
      const after = await db.one<{ n: string }>('SELECT count(*)::text AS n FROM audit_trail.activity_log')
      expect(after.n).toBe(before.n)
      expect(await log.count({ actorId: "' OR 1=1 --" })).toBe(1)
    })
  }
})
