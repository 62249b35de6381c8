import type { EncodedValue } from './encode-value.js'

/** `{ "<column>": { old, new } }`, as stored in `activity_log.changes`. */
export type Changes = Record<string, { old: EncodedValue; new: EncodedValue }>

/** What a redacted non-null value is stored as. */
export const REDACTED = '[REDACTED]'

/** Default redaction: any column whose name contains one of these (case-insensitive), as the capture trigger applies it. */
export const DEFAULT_REDACT_PATTERN = /password|passwd|secret|token|api_?key/i
