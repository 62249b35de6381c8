import { canonicalDecimal } from '../diff/encode-value.js'

/**
 * `resource_id`: a single key as text; a composite key as a JSON array of the key values as
 * text, in key order and without spaces (`["7","en"]`). Database triggers build the same text.
 */
export function formatResourceId(keyValues: readonly unknown[]): string | null {
  if (keyValues.length === 1) return keyText(keyValues[0])
  if (keyValues.every((value) => value === null || value === undefined)) return null
  return JSON.stringify(keyValues.map(keyText))
}

function keyText(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value)
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex')
  const decimal = value as { toFixed?: () => string }
  if (typeof decimal.toFixed === 'function') return canonicalDecimal(decimal.toFixed()) ?? decimal.toFixed()
  return JSON.stringify(value)
}
