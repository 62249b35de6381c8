import { describe, expect, it } from 'vitest'
import { DEFAULT_REDACT_PATTERN, DEFAULT_TOGGLE_COLUMNS, diffRows, type ColumnRules } from './diff-rows.js'

const rules = (overrides: Partial<ColumnRules> = {}): ColumnRules => ({
  ignore: new Set(['updated_at']),
  redact: (column) => DEFAULT_REDACT_PATTERN.test(column),
  toggle: (column) => DEFAULT_TOGGLE_COLUMNS.includes(column),
  ...overrides,
})

const item = { id: 7, name: 'Margherita Pizza', price: '12.50', available: true, updated_at: new Date(0) }

describe('diffRows', () => {
  it('created: every column with old null (ignored columns left out)', () => {
    expect(diffRows({ action: 'created', before: null, after: item, rules: rules() })).toEqual({
      action: 'created',
      changes: {
        id: { old: null, new: 7 },
        name: { old: null, new: 'Margherita Pizza' },
        price: { old: null, new: '12.50' },
        available: { old: null, new: true },
      },
      changedFields: ['available', 'id', 'name', 'price'],
    })
  })

  it('deleted: every column with new null, so deleted data stays inspectable', () => {
    const diff = diffRows({ action: 'deleted', before: item, after: null, rules: rules() })
    expect(diff?.action).toBe('deleted')
    expect(diff?.changes).toEqual({
      id: { old: 7, new: null },
      name: { old: 'Margherita Pizza', new: null },
      price: { old: '12.50', new: null },
      available: { old: true, new: null },
    })
  })

  it('updated: only the columns whose value changed', () => {
    const diff = diffRows({
      action: 'updated',
      before: item,
      after: { ...item, price: '13.50', updated_at: new Date(1) },
      rules: rules({ kinds: { price: 'decimal' } }),
    })
    expect(diff).toEqual({
      action: 'updated',
      changes: { price: { old: { $decimal: '12.5' }, new: { $decimal: '13.5' } } },
      changedFields: ['price'],
    })
  })

  it('an update that changes nothing writes no entry', () => {
    expect(diffRows({ action: 'updated', before: item, after: { ...item }, rules: rules() })).toBeNull()
  })

  it('an update of only ignored columns writes no entry', () => {
    const after = { ...item, updated_at: new Date(5_000) }
    expect(diffRows({ action: 'updated', before: item, after, rules: rules() })).toBeNull()
  })

  it('equal values of a different representation are not a change (decimal scale, JSON key order)', () => {
    const before = { id: 1, price: '12.5', settings: { a: 1, b: 2 } }
    const after = { id: 1, price: '12.50', settings: { b: 2, a: 1 } }
    const kinds = { price: 'decimal', settings: 'json' } as const
    expect(diffRows({ action: 'updated', before, after, rules: rules({ kinds }) })).toBeNull()
  })

  it('a lone toggle change is enabled / disabled', () => {
    const off = diffRows({ action: 'updated', before: item, after: { ...item, available: false }, rules: rules() })
    expect(off).toEqual({
      action: 'disabled',
      changes: { available: { old: true, new: false } },
      changedFields: ['available'],
    })
    const on = diffRows({
      action: 'updated',
      before: { ...item, available: false },
      after: { ...item, available: true, updated_at: new Date(9) },
      rules: rules(),
    })
    expect(on?.action).toBe('enabled')
  })

  it('a toggle changed together with another column is a plain update', () => {
    const diff = diffRows({
      action: 'updated',
      before: item,
      after: { ...item, available: false, price: '1' },
      rules: rules(),
    })
    expect(diff?.action).toBe('updated')
    expect(diff?.changedFields).toEqual(['available', 'price'])
  })

  it('a toggle column set to null is a plain update', () => {
    const diff = diffRows({ action: 'updated', before: item, after: { ...item, available: null }, rules: rules() })
    expect(diff?.action).toBe('updated')
  })

  it('toggle: false turns toggles off', () => {
    const diff = diffRows({
      action: 'updated',
      before: item,
      after: { ...item, available: false },
      rules: rules({ toggle: () => false }),
    })
    expect(diff?.action).toBe('updated')
  })

  it('redacted columns keep their key; non-null values become [REDACTED]', () => {
    const before = { id: 1, password_hash: 'old', api_key: null, reset_token: 'abc' }
    const after = { id: 1, password_hash: 'new', api_key: 'k', reset_token: 'abc' }
    expect(diffRows({ action: 'updated', before, after, rules: rules() })?.changes).toEqual({
      password_hash: { old: '[REDACTED]', new: '[REDACTED]' },
      api_key: { old: null, new: '[REDACTED]' },
    })
    expect(diffRows({ action: 'created', before: null, after, rules: rules() })?.changes.password_hash).toEqual({
      old: null,
      new: '[REDACTED]',
    })
  })

  it('the default redaction covers password, secret, token and api_key names', () => {
    for (const column of ['password', 'user_password', 'client_secret', 'accessToken', 'api_key', 'apiKey']) {
      expect(DEFAULT_REDACT_PATTERN.test(column), column).toBe(true)
    }
    for (const column of ['name', 'email', 'price']) expect(DEFAULT_REDACT_PATTERN.test(column), column).toBe(false)
  })

  it('values over the size cap become a size and SHA-256 marker, after comparing the full values', () => {
    const before = { id: 1, notes: 'a'.repeat(100) + 'x' }
    const after = { id: 1, notes: 'a'.repeat(100) + 'y' }
    const diff = diffRows({ action: 'updated', before, after, rules: rules({ maxValueBytes: 64 }) })
    expect(diff?.changes.notes?.old).toEqual({ $truncated: { bytes: 101, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } })
    expect(diff?.changes.notes?.old).not.toEqual(diff?.changes.notes?.new)
  })

  it('restored: changed columns, recorded as restored', () => {
    const before = { id: 1, deleted_at: new Date('2024-01-01T00:00:00Z') }
    const after = { id: 1, deleted_at: null }
    expect(diffRows({ action: 'restored', before, after, rules: rules() })).toEqual({
      action: 'restored',
      changes: { deleted_at: { old: { $date: '2024-01-01T00:00:00.000Z' }, new: null } },
      changedFields: ['deleted_at'],
    })
  })
})
