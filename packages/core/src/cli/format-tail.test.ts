import { describe, expect, it } from 'vitest'
import type { AuditEntry } from '../query/audit-entry.js'
import { actionLabel } from '../view/action-label.js'
import { showValue } from '../view/field-lines.js'
import { formatTail } from './format-tail.js'

function entry(overrides: Partial<AuditEntry>): AuditEntry {
  return {
    id: '1', createdAt: new Date('2024-01-15T14:30:00Z'), logName: 'backoffice',
    actor: { type: 'user', id: 'u1', name: 'Jan Manager', email: null }, impersonator: null, action: 'updated',
    resourceType: 'item', resourceId: '1', resourceName: 'Margherita Pizza', changes: null, description: null, ipAddress: null,
    userAgent: null, locationId: null, tenantId: null, requestId: null, transactionId: '1', source: 'orm', metadata: null,
    ...overrides,
  }
}

describe('showValue', () => {
  it('decodes every stored encoding to one readable line', () => {
    expect(showValue(null)).toBe('null')
    expect(showValue('Margherita')).toBe('Margherita')
    expect(showValue('')).toBe('')
    expect(showValue('two\nlines')).toBe('"two\\nlines"')
    expect(showValue(true)).toBe('true')
    expect(showValue(12.5)).toBe('12.5')
    expect(showValue({ $decimal: '12.5' })).toBe('12.5')
    expect(showValue({ $bigint: '9007199254740993' })).toBe('9007199254740993')
    expect(showValue({ $number: 'NaN' })).toBe('NaN')
    expect(showValue({ $date: '2024-01-15T14:30:00.000Z' })).toBe('2024-01-15T14:30:00.000Z')
    expect(showValue({ $bytes: Buffer.from([1, 2, 3]).toString('base64') })).toBe('[3 bytes]')
    expect(showValue({ $utf16: [97, 0, 98] })).toBe('"a\\u0000b"')
    expect(showValue({ $json: null })).toBe('null (JSON)')
    expect(showValue({ a: [1, 2] })).toBe('{"a":[1,2]}')
    expect(showValue({ $truncated: { bytes: 70000, sha256: 'ab' } })).toBe('[70000 bytes, over the size cap]')
    expect(showValue('[REDACTED]')).toBe('[REDACTED]')
    expect(showValue('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`)
  })
})

describe('actionLabel', () => {
  it('capitalises and spaces verbs', () => {
    expect(actionLabel('updated')).toBe('Updated')
    expect(actionLabel('login_failed')).toBe('Login failed')
    expect(actionLabel('invoice.voided')).toBe('Invoice voided')
  })
})

describe('formatTail', () => {
  it('an empty view', () => {
    expect(formatTail({ entries: [], total: 0 })).toBe('Showing 0 of 0 entries · times in UTC\n')
  })

  it('impersonation, description, long names, database actors and resources without a name', () => {
    const text = formatTail({
      total: 9,
      timeZone: 'America/New_York',
      entries: [
        entry({ impersonator: { id: 's1', name: 'Support' }, changes: { email: { old: 'a@x', new: 'b@x' } } }),
        entry({ createdAt: new Date('2024-01-15T05:00:00Z'), actor: { type: 'database', id: null, name: 'postgres', email: null }, resourceName: null, resourceId: '9', action: 'truncated', resourceType: 'item', description: 'TRUNCATE public.items' }),
        entry({ createdAt: new Date('2024-01-15T04:00:00Z'), actor: { type: 'user', id: 'u2', name: 'A Very Long Name Of Someone Important', email: null }, action: 'pdf_downloaded', resourceName: 'Invoice 1' }),
      ],
    })
    expect(text).toBe(`Jan 15, 2024

09:30  Jan Manager               Updated         Margherita Pizza
       └─ email: a@x → b@x
       └─ impersonated by Support
00:00  postgres                  Truncated       item #9
       └─ TRUNCATE public.items

Jan 14, 2024

23:00  A Very Long Name Of Som…  Pdf downloaded  Invoice 1

Showing 3 of 9 entries · times in America/New_York
`)
  })
})
