import { createHash } from 'node:crypto'

/**
 * The JSON that `changes` stores for one value. JSON-native values are stored as they are;
 * values JSON cannot hold exactly are stored as an object with a single `$`-key (a "tag"), so
 * every value survives the round trip through jsonb and back. See the core README's
 * "Value encoding" table.
 */
export type EncodedValue =
  | null
  | boolean
  | number
  | string
  | EncodedValue[]
  | { [key: string]: EncodedValue }

/**
 * What the database column holds, for ORMs that return such values as plain strings or
 * numbers (pg returns `bigint` and `numeric` as strings). `'auto'` decides from the JS type.
 */
export type ValueKind = 'auto' | 'bigint' | 'decimal' | 'json' | 'bytes'

/** Stands for a JSON `null` stored in a json/jsonb column, as opposed to SQL NULL. */
export const JSON_NULL: unique symbol = Symbol.for('@audit-trail/core.json-null')

/** Default size cap for one encoded value: 64 KiB. */
export const DEFAULT_MAX_VALUE_BYTES = 64 * 1024

const MAX_DEPTH = 64

/** Encodes one column value. Never throws: anything unrepresentable gets a documented marker. */
export function encodeValue(value: unknown, kind: ValueKind = 'auto'): EncodedValue {
  if (value === null || value === undefined) return null
  if (value === JSON_NULL) return { $json: null }
  switch (kind) {
    case 'bigint':
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return { $bigint: canonicalInteger(value) }
      if (typeof value === 'number' && Number.isInteger(value)) return { $bigint: BigInt(value).toString() }
      break
    case 'decimal':
      if (typeof value === 'string' || typeof value === 'number') return encodeDecimalText(String(value))
      break
    case 'json':
      return encodeJsonColumn(value)
    case 'bytes':
      if (typeof value === 'string' && /^\\x[0-9a-fA-F]*$/.test(value)) {
        return { $bytes: Buffer.from(value.slice(2), 'hex').toString('base64') }
      }
      break
  }
  return encodeAuto(value, 0, new Set())
}

function encodeAuto(value: unknown, depth: number, seen: Set<object>): EncodedValue {
  switch (typeof value) {
    case 'string':
      return encodeString(value)
    case 'boolean':
      return value
    case 'number':
      if (Number.isFinite(value)) return Object.is(value, -0) ? 0 : value
      return { $number: String(value) }
    case 'bigint':
      return { $bigint: value.toString() }
    case 'undefined':
      return null
    case 'symbol':
      return value === JSON_NULL ? { $json: null } : { $unsupported: 'symbol' }
    case 'function':
      return { $unsupported: 'function' }
  }
  if (value === null) return null
  const object = value as object
  if (object instanceof Date) {
    return { $date: Number.isNaN(object.getTime()) ? null : object.toISOString() }
  }
  if (object instanceof Uint8Array) return { $bytes: Buffer.from(object).toString('base64') }
  if (object instanceof ArrayBuffer) return { $bytes: Buffer.from(object).toString('base64') }
  if (isDecimalLike(object)) return encodeDecimalText(object.toFixed())
  if (depth >= MAX_DEPTH) return { $unsupported: 'max-depth' }
  if (seen.has(object)) return { $unsupported: 'circular' }
  seen.add(object)
  try {
    if (Array.isArray(object)) return object.map((item) => encodeAuto(item, depth + 1, seen))
    const out: Record<string, EncodedValue> = {}
    for (const [key, item] of Object.entries(object)) {
      if (item !== undefined) out[storableKey(key)] = encodeAuto(item, depth + 1, seen)
    }
    return depth === 0 && isTagLike(out) ? { $json: out } : out
  } finally {
    seen.delete(object)
  }
}

/** A json/jsonb column: JSON values stay as they are; JSON null and tag look-alikes are wrapped. */
function encodeJsonColumn(value: unknown): EncodedValue {
  if (value === JSON_NULL) return { $json: null }
  const encoded = encodeAuto(value, 0, new Set())
  return encoded
}

/** Object keys cannot be tagged; U+0000 and lone surrogates in them become U+FFFD. */
function storableKey(key: string): string {
  return UNSTORABLE_STRING.test(key) ? key.replace(/\u0000/g, '\uFFFD').toWellFormed() : key
}

function isTagLike(object: Record<string, unknown>): boolean {
  const keys = Object.keys(object)
  return keys.length === 1 && keys[0]!.startsWith('$')
}

// PostgreSQL text cannot hold U+0000 and jsonb rejects unpaired surrogates, so such strings are
// stored as their UTF-16 code units.
const UNSTORABLE_STRING = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function encodeString(value: string): EncodedValue {
  if (!UNSTORABLE_STRING.test(value)) return value
  const units: number[] = new Array(value.length)
  for (let i = 0; i < value.length; i++) units[i] = value.charCodeAt(i)
  return { $utf16: units }
}

interface DecimalLike {
  toFixed(): string
}

/** decimal.js (Prisma's `Decimal`) and compatible big-decimal objects. */
function isDecimalLike(value: object): value is DecimalLike {
  const candidate = value as { toFixed?: unknown; d?: unknown; e?: unknown; s?: unknown }
  return typeof candidate.toFixed === 'function' && 'd' in candidate && 'e' in candidate && 's' in candidate
}

function canonicalInteger(text: string): string {
  return BigInt(text).toString()
}

/**
 * numeric values as exact decimal text without trailing fractional zeros (`12.50` → `12.5`),
 * the form PostgreSQL's `trim_scale()` gives, so every path writes the same JSON.
 */
export function canonicalDecimal(text: string): string | null {
  const trimmed = text.trim()
  if (/^[+-]?(NaN|Infinity|inf)$/i.test(trimmed)) {
    return /nan/i.test(trimmed) ? 'NaN' : trimmed.startsWith('-') ? '-Infinity' : 'Infinity'
  }
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(trimmed)
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return null
  const sign = match[1] === '-' ? '-' : ''
  let digits = (match[2] ?? '') + (match[3] ?? '')
  let pointAt = (match[2] ?? '').length + Number(match[4] ?? 0)
  if (pointAt < 0) {
    digits = '0'.repeat(-pointAt) + digits
    pointAt = 0
  }
  if (pointAt > digits.length) digits += '0'.repeat(pointAt - digits.length)
  let intPart = digits.slice(0, pointAt).replace(/^0+/, '') || '0'
  const fracPart = digits.slice(pointAt).replace(/0+$/, '')
  if (intPart === '') intPart = '0'
  const result = fracPart ? `${intPart}.${fracPart}` : intPart
  return result === '0' ? '0' : sign + result
}

function encodeDecimalText(text: string): EncodedValue {
  const canonical = canonicalDecimal(text)
  return canonical === null ? encodeString(text) : { $decimal: canonical }
}

/** Turns an encoded value back into a JS value (BigInt, Date, Buffer, decimal string, ...). */
export function decodeValue(encoded: EncodedValue): unknown {
  if (encoded === null || typeof encoded !== 'object' || Array.isArray(encoded)) {
    return Array.isArray(encoded) ? encoded.map(decodeValue) : encoded
  }
  const keys = Object.keys(encoded)
  if (keys.length === 1) {
    const tag = keys[0]!
    const payload = encoded[tag]
    switch (tag) {
      case '$bigint':
        return BigInt(payload as string)
      case '$decimal':
        return payload as string
      case '$number':
        return Number(payload as string)
      case '$date':
        return payload === null ? new Date(Number.NaN) : new Date(payload as string)
      case '$bytes':
        return Buffer.from(payload as string, 'base64')
      case '$utf16':
        return String.fromCharCode(...(payload as number[]))
      case '$json':
        return payload === null ? JSON_NULL : payload
    }
  }
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(encoded)) out[key] = decodeValue(item)
  return out
}

/** The marker stored instead of a value over the size cap. */
export interface TruncatedMarker {
  $truncated: { bytes: number; sha256: string }
}

/**
 * Replaces `encoded` by a size + SHA-256 marker when it is over `maxBytes`. Size and hash are
 * taken over the UTF-8 of a string, the raw bytes of a binary value, and the JSON text otherwise.
 */
export function capValueSize(encoded: EncodedValue, maxBytes: number): EncodedValue {
  let payload: Buffer | string
  if (typeof encoded === 'string') {
    // Cheap pre-check: a string cannot be longer in UTF-8 than 3 bytes per UTF-16 unit.
    if (encoded.length * 3 <= maxBytes) return encoded
    payload = encoded
  } else if (encoded === null || typeof encoded !== 'object') {
    return encoded
  } else if (!Array.isArray(encoded) && typeof encoded.$bytes === 'string' && Object.keys(encoded).length === 1) {
    if ((encoded.$bytes.length / 4) * 3 <= maxBytes) return encoded
    payload = Buffer.from(encoded.$bytes, 'base64')
  } else {
    payload = JSON.stringify(encoded)
    if (payload.length * 3 <= maxBytes) return encoded
  }
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length
  if (bytes <= maxBytes) return encoded
  const sha256 = createHash('sha256').update(payload).digest('hex')
  return { $truncated: { bytes, sha256 } }
}

/** Equality of two encoded values as jsonb sees it (object key order does not matter). */
export function encodedEqual(a: EncodedValue, b: EncodedValue): boolean {
  if (a === b) return true
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!encodedEqual(a[i]!, b[i]!)) return false
    return true
  }
  const aKeys = Object.keys(a)
  if (aKeys.length !== Object.keys(b).length) return false
  for (const key of aKeys) {
    if (!Object.prototype.hasOwnProperty.call(b, key) || !encodedEqual(a[key]!, b[key]!)) return false
  }
  return true
}

/** Encodes app-supplied JSON (metadata): circular references and excessive depth become markers. */
export function encodeJson(value: unknown): EncodedValue {
  return encodeAuto(value, 1, new Set())
}
