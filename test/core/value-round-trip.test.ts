import { randomBytes, randomInt } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JSON_NULL, decodeValue, encodeValue, type EncodedValue, type ValueKind } from '@audit-trail/core'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

// Property-style: random values of every type go through core's encoder (what record() uses) →
// jsonb on the real server → read back → decode, and must come back equal. A seeded generator would be nicer for
// reproduction; on failure the value is printed instead.

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})
afterAll(async () => {
  await db?.drop()
})

const pick = <T>(items: readonly T[]): T => items[randomInt(items.length)]!

function randomString(): string {
  const alphabet = ['a', 'Z', ' ', 'é', '€', '\u0000', '\uD800', '\uDC00', '\uD83D\uDE00', '"', '\\', '\n', '<', '=']
  return Array.from({ length: randomInt(0, 12) }, () => pick(alphabet)).join('')
}

function randomDecimal(): string {
  const int = randomInt(0, 10) === 0 ? '0' : String(randomInt(1, 2 ** 47)) + '0'.repeat(randomInt(0, 20))
  const frac = randomInt(0, 3) === 0 ? '' : '.' + String(randomInt(0, 10 ** 9)).padStart(9, '0').replace(/0+$/, '')
  const text = (randomInt(2) ? '-' : '') + int + (frac === '.' ? '' : frac)
  return text === '-0' ? '0' : text
}

function randomJson(depth = 0): unknown {
  const kind = randomInt(depth > 2 ? 4 : 6)
  if (kind === 0) return null
  if (kind === 1) return randomInt(2) === 1
  if (kind === 2) return randomInt(-1e6, 1e6) / 100
  if (kind === 3) return randomString().replace(/\u0000|[\uD800-\uDFFF]/g, '')
  if (kind === 4) return Array.from({ length: randomInt(4) }, () => randomJson(depth + 1))
  return Object.fromEntries(Array.from({ length: randomInt(4) }, (_, i) => [`k${i}${randomString().replace(/\u0000|[\uD800-\uDFFF]/g, '').slice(0, 2)}`, randomJson(depth + 1)]))
}

type Case = { value: unknown; kind: ValueKind; expected: unknown }

const generators: Array<() => Case> = [
  () => {
    const v = BigInt.asIntN(64, BigInt(`0x${randomBytes(8).toString('hex')}`)) * (randomInt(2) ? 1n : 10n ** 5n)
    return { value: v, kind: 'auto', expected: v }
  },
  () => {
    const v = String(BigInt.asIntN(64, BigInt(`0x${randomBytes(8).toString('hex')}`)))
    return { value: v, kind: 'bigint', expected: BigInt(v) }
  },
  () => {
    const v = randomDecimal()
    return { value: v, kind: 'decimal', expected: v }
  },
  () => {
    const v = new Date(randomInt(-(2 ** 40), 2 ** 42))
    return { value: v, kind: 'auto', expected: v }
  },
  () => {
    const v = randomBytes(randomInt(0, 64))
    return { value: v, kind: 'auto', expected: v }
  },
  () => {
    const v = randomString()
    return { value: v, kind: 'auto', expected: v }
  },
  () => {
    const v = pick([Number.NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, -1.5e-300, 0.1 + 0.2, 2 ** 53 - 1])
    return { value: v, kind: 'auto', expected: v }
  },
  () => {
    const v = randomJson()
    return { value: v, kind: 'json', expected: v }
  },
  () => ({ value: JSON_NULL, kind: 'json', expected: JSON_NULL }),
  () => ({ value: randomInt(2) === 1, kind: 'auto', expected: undefined }),
]

describe('value encoding round trip through jsonb', () => {
  it('500 random values of every type come back equal', async () => {
    const cases = Array.from({ length: 500 }, () => pick(generators)())
    const encoded = Object.fromEntries(cases.map((c, i) => [`c${i}`, encodeValue(c.value, c.kind)]))
    const { changes } = await db.one<{ changes: Record<string, EncodedValue> }>('SELECT $1::jsonb AS changes', [JSON.stringify(encoded)])
    cases.forEach((c, i) => {
      const stored = changes[`c${i}`]!
      const decoded = decodeValue(stored)
      const expected = c.expected === undefined ? c.value : c.expected
      if (typeof expected === 'number' && Number.isNaN(expected)) expect(decoded, `case ${i}`).toBeNaN()
      else expect(decoded, `case ${i}: ${String(c.value)}`).toEqual(expected)
    })
  })

  it('keeps decimals of 38 digits and integers beyond 2^63 exactly', async () => {
    const encoded = {
      amount: encodeValue('1234567890123456789012345678.0123456789', 'decimal'),
      huge: encodeValue(2n ** 100n),
    }
    const [row] = await db.query<{ amount: string; huge: string }>(
      `SELECT $1::jsonb->'amount'->>'$decimal' AS amount, $1::jsonb->'huge'->>'$bigint' AS huge`,
      [JSON.stringify(encoded)],
    )
    expect(row).toEqual({ amount: '1234567890123456789012345678.0123456789', huge: '1267650600228229401496703205376' })
  })
})
