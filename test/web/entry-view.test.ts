import { describe, expect, it } from 'vitest'
import type { AuditEntry } from '@audit-trail/core'
import { entryView } from '../../packages/core/src/web/entry-view.js'
import { formatTail } from '../../packages/core/src/cli/format-tail.js'

function entry(fields: Partial<AuditEntry>): AuditEntry {
  return {
    id: '1',
    createdAt: new Date('2026-12-01T14:30:00Z'),
    logName: 'backoffice',
    actor: { type: 'user', id: 'jan', name: 'Jan', email: null },
    impersonator: null,
    action: 'updated',
    resourceType: 'item',
    resourceId: '7',
    resourceName: 'Truffle Risotto',
    changes: null,
    description: null,
    ipAddress: null,
    userAgent: null,
    locationId: null,
    tenantId: null,
    requestId: null,
    transactionId: null,
    source: 'orm',
    metadata: null,
    ...fields,
  } as AuditEntry
}

// jsonb hands keys back shortest first, as the log stores them.
const risotto = {
  id: { old: null, new: 7 },
  name: { old: null, new: 'Truffle Risotto' },
  price: { old: null, new: { $decimal: '12.5' } },
  category: { old: null, new: 'mains' },
  available: { old: null, new: true },
  password: { old: null, new: null },
  created_at: { old: null, new: { $date: '2026-12-01T14:30:00.000Z' } },
}

describe('entryView: created and deleted rows', () => {
  it('shows the name and configured summary fields first, hides nulls, the rest under Details', () => {
    const view = entryView(entry({ action: 'created', changes: risotto }), {
      summaryFields: { item: ['name', 'price'] },
      formats: { item: { price: { currency: 'EUR' }, available: { booleans: ['Yes', 'No'] } } },
    })
    expect(view.fields.filter((f) => f.summary).map((f) => `${f.name}: ${f.new}`)).toEqual(['name: Truffle Risotto', 'price: €12.50'])
    expect(view.fields.map((f) => f.name)).toEqual(['name', 'price', 'category', 'available', 'id', 'created_at'])
    expect(view.fields.find((f) => f.name === 'available')!.new).toBe('Yes')
    expect(view.fields.some((f) => f.name === 'password')).toBe(false)
  })

  it('defaults to name-like columns first, keys and timestamps last, nulls left out for deleted rows', () => {
    const deleted = Object.fromEntries(Object.entries(risotto).map(([k, v]) => [k, { old: v.new, new: null }]))
    const view = entryView(entry({ action: 'deleted', changes: deleted }))
    expect(view.fields.map((f) => f.name)).toEqual(['name', 'price', 'category', 'available', 'id', 'created_at'])
    expect(view.fields.map((f) => f.summary)).toEqual([true, true, true, true, false, false])
    expect(view.fields.every((f) => f.new === null && f.old !== null)).toBe(true)
  })
})

describe('entryView: updates', () => {
  it('keeps the decimal scale given in formats and shows only changed JSON keys', () => {
    const view = entryView(
      entry({
        changes: {
          price: { old: { $decimal: '12.5' }, new: { $decimal: '13.5' } },
          settings: { old: { theme: 'light', lang: 'fr', beta: false }, new: { theme: 'dark', lang: 'fr', extra: 1 } },
        },
      }),
      { formats: { '*': { price: { decimals: 2 } } } },
    )
    expect(view.fields.map((f) => `${f.name}: ${f.old} → ${f.new}`)).toEqual([
      'price: 12.50 → 13.50',
      'settings.beta: false → (none)',
      'settings.extra: (none) → 1',
      'settings.theme: light → dark',
    ])
  })

  it('puts the IP of logins and the reason of failed logins on the entry line', () => {
    expect(entryView(entry({ action: 'login_failed', ipAddress: '10.0.0.9', description: 'wrong password', changes: null })).notes).toEqual([
      'IP 10.0.0.9',
      'wrong password',
    ])
    expect(entryView(entry({ action: 'updated', ipAddress: '10.0.0.9' })).notes).toEqual([])
  })

  it('formats tail with the same rules and names its time zone', () => {
    const text = formatTail({
      entries: [entry({ changes: { price: { old: { $decimal: '12.5' }, new: { $decimal: '13.5' } } } })],
      total: 1,
      timeZone: 'Europe/Paris',
      view: { formats: { item: { price: { decimals: 2 } } } },
    })
    expect(text).toContain('15:30')
    expect(text).toContain('└─ price: 12.50 → 13.50')
    expect(text).toContain('Showing 1 of 1 entry · times in Europe/Paris')
  })
})
