import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  JSON_NULL,
  canonicalDecimal,
  capValueSize,
  decodeValue,
  encodeJson,
  encodeValue,
  encodedEqual,
} from './encode-value.js'

// A stand-in with decimal.js's shape (Prisma's Decimal), so core needs no Prisma to test it.
class FakeDecimal {
  d = [1]
  e = 0
  s = 1
  constructor(private readonly text: string) {}
  toFixed(): string {
    return this.text
  }
}

describe('encodeValue', () => {
  it('keeps JSON-native values as they are', () => {
    expect(encodeValue('Margherita')).toBe('Margherita')
    expect(encodeValue(12)).toBe(12)
    expect(encodeValue(-0.5)).toBe(-0.5)
    expect(encodeValue(true)).toBe(true)
    expect(encodeValue(null)).toBeNull()
    expect(encodeValue(undefined)).toBeNull()
    expect(encodeValue(-0)).toBe(0)
  })

  it('tags BigInt, including values beyond 2^63', () => {
    expect(encodeValue(123n)).toEqual({ $bigint: '123' })
    expect(encodeValue(2n ** 70n)).toEqual({ $bigint: '1180591620717411303424' })
    expect(encodeValue('9223372036854775807', 'bigint')).toEqual({ $bigint: '9223372036854775807' })
    expect(encodeValue('-007', 'bigint')).toEqual({ $bigint: '-7' })
    expect(encodeValue(42, 'bigint')).toEqual({ $bigint: '42' })
  })

  it('tags decimals as canonical text without trailing zeros', () => {
    expect(encodeValue(new FakeDecimal('12.50'))).toEqual({ $decimal: '12.5' })
    expect(encodeValue('13.50', 'decimal')).toEqual({ $decimal: '13.5' })
    expect(encodeValue('1234567890123456789012345678.0123456789', 'decimal')).toEqual({
      $decimal: '1234567890123456789012345678.0123456789',
    })
    expect(encodeValue('NaN', 'decimal')).toEqual({ $decimal: 'NaN' })
    expect(encodeValue(1e21, 'decimal')).toEqual({ $decimal: '1000000000000000000000' })
    expect(encodeValue('-0.000', 'decimal')).toEqual({ $decimal: '0' })
  })

  it('tags non-finite numbers', () => {
    expect(encodeValue(Number.NaN)).toEqual({ $number: 'NaN' })
    expect(encodeValue(Number.POSITIVE_INFINITY)).toEqual({ $number: 'Infinity' })
    expect(encodeValue(Number.NEGATIVE_INFINITY)).toEqual({ $number: '-Infinity' })
  })

  it('tags dates as UTC ISO text, invalid dates as null', () => {
    expect(encodeValue(new Date('2024-01-15T14:30:00.123+02:00'))).toEqual({ $date: '2024-01-15T12:30:00.123Z' })
    expect(encodeValue(new Date('1901-03-04T00:00:00Z'))).toEqual({ $date: '1901-03-04T00:00:00.000Z' })
    expect(encodeValue(new Date(Number.NaN))).toEqual({ $date: null })
  })

  it('tags bytes as base64, from Buffer, Uint8Array and pg hex text', () => {
    expect(encodeValue(Buffer.from([0, 1, 254, 255]))).toEqual({ $bytes: 'AAH+/w==' })
    expect(encodeValue(new Uint8Array([104, 105]))).toEqual({ $bytes: 'aGk=' })
    expect(encodeValue('\\x0001feff', 'bytes')).toEqual({ $bytes: 'AAH+/w==' })
  })

  it('stores strings PostgreSQL cannot hold (U+0000, lone surrogates) as UTF-16 code units', () => {
    expect(encodeValue('a\u0000b')).toEqual({ $utf16: [97, 0, 98] })
    expect(encodeValue('x\uD800')).toEqual({ $utf16: [120, 0xd800] })
    expect(encodeValue('\uDC00y')).toEqual({ $utf16: [0xdc00, 121] })
    expect(encodeValue('ok \uD83D\uDE00')).toBe('ok \uD83D\uDE00')
  })

  it('keeps JSON column values, distinguishing JSON null from SQL NULL', () => {
    expect(encodeValue({ vat: 0.2, tags: ['a'] }, 'json')).toEqual({ vat: 0.2, tags: ['a'] })
    expect(encodeValue(JSON_NULL, 'json')).toEqual({ $json: null })
    expect(encodeValue(null, 'json')).toBeNull()
    expect(encodeValue([1, 'two', null])).toEqual([1, 'two', null])
  })

  it('wraps JSON objects that look like a tag so they cannot be misread', () => {
    expect(encodeValue({ $bigint: '5' }, 'json')).toEqual({ $json: { $bigint: '5' } })
    expect(decodeValue(encodeValue({ $bigint: '5' }, 'json'))).toEqual({ $bigint: '5' })
  })

  it('replaces U+0000 and lone surrogates in JSON object keys, which jsonb cannot hold', () => {
    expect(encodeJson({ 'a\u0000': 1, ['b\uD800']: 2 })).toEqual({ 'a\uFFFD': 1, 'b\uFFFD': 2 })
  })

  it('never throws on circular or deeply nested values', () => {
    const circular: Record<string, unknown> = { a: 1 }
    circular.self = circular
    expect(encodeJson(circular)).toEqual({ a: 1, self: { $unsupported: 'circular' } })
    let deep: Record<string, unknown> = {}
    const root = deep
    for (let i = 0; i < 200; i++) deep = deep.next = {}
    expect(JSON.stringify(encodeJson(root))).toContain('"$unsupported":"max-depth"')
  })
})

describe('decodeValue', () => {
  it('inverts encodeValue for every tagged type', () => {
    const values: unknown[] = [
      2n ** 64n,
      -5n,
      new Date('1969-07-20T20:17:40.000Z'),
      Buffer.from('héllo'),
      'a\u0000b',
      'lone \uD800',
      Number.NaN,
      Number.NEGATIVE_INFINITY,
      { nested: { deep: [1, 2, { x: 'y' }] } },
    ]
    for (const value of values) expect(decodeValue(encodeValue(value))).toEqual(value)
    expect(decodeValue(encodeValue(JSON_NULL, 'json'))).toBe(JSON_NULL)
    expect(decodeValue(encodeValue(new FakeDecimal('0.10')))).toBe('0.1')
  })
})

describe('canonicalDecimal', () => {
  it.each([
    ['12.50', '12.5'],
    ['12.00', '12'],
    ['0.0001', '0.0001'],
    ['-1.2300', '-1.23'],
    ['+3', '3'],
    ['1e-7', '0.0000001'],
    ['1.5E+3', '1500'],
    ['.5', '0.5'],
    ['-Infinity', '-Infinity'],
    ['abc', null],
    ['', null],
  ])('%s → %s', (input, expected) => {
    expect(canonicalDecimal(input)).toBe(expected)
  })
})

describe('capValueSize', () => {
  it('replaces values over the cap by their size and SHA-256', () => {
    const big = 'x'.repeat(70_000)
    expect(capValueSize(big, 65_536)).toEqual({
      $truncated: { bytes: 70_000, sha256: createHash('sha256').update(big).digest('hex') },
    })
  })

  it('hashes the UTF-8 of strings and the raw bytes of binary values', () => {
    const text = 'é'.repeat(40_000) // 80,000 UTF-8 bytes
    expect(capValueSize(text, 65_536)).toEqual({
      $truncated: { bytes: 80_000, sha256: createHash('sha256').update(text).digest('hex') },
    })
    const bytes = Buffer.alloc(100_000, 7)
    expect(capValueSize(encodeValue(bytes), 65_536)).toEqual({
      $truncated: { bytes: 100_000, sha256: createHash('sha256').update(bytes).digest('hex') },
    })
  })

  it('keeps values at or under the cap', () => {
    const exact = 'y'.repeat(65_536)
    expect(capValueSize(exact, 65_536)).toBe(exact)
    expect(capValueSize({ a: 'short' }, 65_536)).toEqual({ a: 'short' })
  })
})

describe('encodedEqual', () => {
  it('compares like jsonb: object key order does not matter, array order does', () => {
    expect(encodedEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true)
    expect(encodedEqual([1, 2], [2, 1])).toBe(false)
    expect(encodedEqual({ $bigint: '1' }, { $bigint: '2' })).toBe(false)
    expect(encodedEqual(null, { $json: null })).toBe(false)
  })
})
