import { DEFAULT_MAX_VALUE_BYTES, capValueSize, encodeValue, type EncodedValue } from './encode-value.js'

/** `{ "<column>": { old, new } }`, as stored in `activity_log.changes`. */
export type Changes = Record<string, { old: EncodedValue; new: EncodedValue }>

/** What a redacted non-null value is stored as. */
export const REDACTED = '[REDACTED]'

/** Default redaction: any column whose name contains one of these (case-insensitive), as the capture trigger applies it. */
export const DEFAULT_REDACT_PATTERN = /password|passwd|secret|token|api_?key/i

/**
 * One value of a manual event's `changes` as the capture trigger would store it: `"[REDACTED]"`
 * for a non-null value of a column named like a secret (so a `password` change given to
 * `record()` never stores the password), else encoded and capped at DEFAULT_MAX_VALUE_BYTES.
 */
export function encodeChangeValue(column: string, value: unknown): EncodedValue {
  if (value !== null && value !== undefined && DEFAULT_REDACT_PATTERN.test(column)) return REDACTED
  return capValueSize(encodeValue(value), DEFAULT_MAX_VALUE_BYTES)
}
