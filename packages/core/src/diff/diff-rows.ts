import {
  DEFAULT_MAX_VALUE_BYTES,
  capValueSize,
  encodeValue,
  encodedEqual,
  type EncodedValue,
  type ValueKind,
} from './encode-value.js'

/** A database row keyed by column name. */
export type Row = Readonly<Record<string, unknown>>

/** `{ "<column>": { old, new } }`, as stored in `activity_log.changes`. */
export type Changes = Record<string, { old: EncodedValue; new: EncodedValue }>

export type RowAction = 'created' | 'updated' | 'deleted' | 'restored'
export type EntryAction = RowAction | 'enabled' | 'disabled'

/** What the SPEC's value rules need to know about one table. Column names only. */
export interface ColumnRules {
  /** Columns never recorded. */
  ignore: ReadonlySet<string>
  /** Columns whose non-null values are stored as `"[REDACTED]"`. */
  redact: (column: string) => boolean
  /** Boolean columns whose lone change is recorded as enabled/disabled. */
  toggle: (column: string) => boolean
  /** Column kinds for values the ORM returns as plain strings (bigint, numeric, json, bytes). */
  kinds?: Readonly<Record<string, ValueKind>>
  /** Size cap for one encoded value, in bytes. Default 64 KiB. */
  maxValueBytes?: number
}

export interface RowDiff {
  action: EntryAction
  changes: Changes
  /** Keys of `changes`, sorted. */
  changedFields: string[]
}

export const REDACTED = '[REDACTED]'
export const DEFAULT_IGNORED_COLUMNS: readonly string[] = ['updated_at', 'updatedAt']
export const DEFAULT_TOGGLE_COLUMNS: readonly string[] = ['enabled', 'active', 'is_active', 'available']
/** Default redaction: any column whose name contains one of these (case-insensitive, `_`-insensitive). */
export const DEFAULT_REDACT_PATTERN = /password|passwd|secret|token|api_?key/i

/**
 * Diffs one row change into `changes`, following the SPEC's rules: created and deleted list
 * every column; updated lists only changed columns and returns null when nothing (but ignored
 * columns) changed; a lone change of a toggle column becomes enabled / disabled.
 */
export function diffRows(args: {
  readonly action: RowAction
  readonly before: Row | null
  readonly after: Row | null
  readonly rules: ColumnRules
}): RowDiff | null {
  const { action, before, after, rules } = args
  const cap = rules.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES
  const kinds = rules.kinds ?? {}
  const changes: Changes = {}
  const changedFields: string[] = []

  // Updates compare the columns of the new row; a column the adapter did not read is unchanged.
  const columns = action === 'deleted' ? Object.keys(before ?? {}) : Object.keys(after ?? {})
  for (const column of columns) {
    if (rules.ignore.has(column)) continue
    const kind = kinds[column] ?? 'auto'
    const oldValue = action === 'created' ? null : encodeValue(before?.[column], kind)
    const newValue = action === 'deleted' ? null : encodeValue(after?.[column], kind)
    if ((action === 'updated' || action === 'restored') && encodedEqual(oldValue, newValue)) continue
    changes[column] = rules.redact(column)
      ? { old: redact(oldValue), new: redact(newValue) }
      : { old: capValueSize(oldValue, cap), new: capValueSize(newValue, cap) }
    changedFields.push(column)
  }

  // Sorted by code unit, like the capture trigger's ORDER BY ... COLLATE "C", so every path
  // writes the same array whatever column order its ORM uses.
  changedFields.sort()
  if (action === 'updated') {
    if (changedFields.length === 0) return null
    if (changedFields.length === 1 && rules.toggle(changedFields[0]!)) {
      const value = after?.[changedFields[0]!]
      if (typeof value === 'boolean') return { action: value ? 'enabled' : 'disabled', changes, changedFields }
    }
  }
  return { action, changes, changedFields }
}

function redact(value: EncodedValue): EncodedValue {
  return value === null ? null : REDACTED
}
