import { JSON_NULL, decodeValue, type EncodedValue } from '../diff/encode-value.js'
import type { AuditEntry } from '../query/audit-entry.js'

/** How one column's values are shown. */
export interface ColumnFormat {
  /**
   * Digits after the decimal point. The log stores decimals without trailing zeros (`12.50` is
   * kept as `12.5`), so the column's scale must come from here to show `12.50`.
   */
  decimals?: number
  /** ISO 4217 code: the value is shown as money in `locale`, e.g. `€12.50`. Implies the currency's decimals unless `decimals` is set. */
  currency?: string
  /** Show booleans as these two words instead of `true` / `false`, e.g. `['Yes', 'No']`. */
  booleans?: readonly [yes: string, no: string]
}

/**
 * Display options shared by the activity log page and `audit-trail tail`.
 *
 * @example
 * { formats: { item: { price: { currency: 'EUR' }, available: { booleans: ['Yes', 'No'] } } },
 *   summaryFields: { item: ['name', 'price'] } }
 */
export interface ViewOptions {
  /** Per resource type (`'*'`: every type), per column. */
  formats?: Readonly<Record<string, Readonly<Record<string, ColumnFormat>>>>
  /**
   * Per resource type, the columns shown first for created and deleted rows (the others follow
   * under "Details"). Default: name-like columns (name, title, label, email, ...) first, then the
   * other non-null columns, keys and timestamps last.
   */
  summaryFields?: Readonly<Record<string, readonly string[]>>
  /** BCP 47 locale for numbers and money. Default `'en-US'`. */
  locale?: string
}

/** One line under an entry: `name: old → new`, or a single value for created/deleted rows. */
export interface FieldLine {
  name: string
  old: string | null
  new: string | null
  /** false: shown only when the entry is expanded (the page's "Details", `tail` shows all). */
  summary: boolean
}

/** How many fields a created/deleted row shows before "Details" when no summaryFields are set. */
export const DEFAULT_SUMMARY_COUNT = 4

const NAME_LIKE = ['name', 'title', 'label', 'display_name', 'full_name', 'username', 'email', 'code', 'sku', 'slug']
const KEY_LIKE = /^(id|uuid|created_at|updated_at|deleted_at)$|_id$|_at$/i

/**
 * The changed fields of an entry, in the order a person reads them: for created/deleted rows the
 * summary fields first and null values left out; JSON values that changed show only the keys
 * that changed (`settings.theme: light → dark`).
 */
export function fieldLines(entry: AuditEntry, options: ViewOptions = {}, maxLength = 200): FieldLine[] {
  const changes = entry.changes ?? {}
  const type = entry.resourceType ?? ''
  const formatFor = (column: string): ColumnFormat | undefined => options.formats?.[type]?.[column] ?? options.formats?.['*']?.[column]
  const show = (value: EncodedValue, column: string) => showValue(value, maxLength, formatFor(column), options.locale)
  const whole = entry.action === 'created' || entry.action === 'deleted'
  if (whole) {
    const side = entry.action === 'created' ? 'new' : 'old'
    const present = Object.keys(changes).filter((column) => changes[column]![side] !== null)
    const chosen = options.summaryFields?.[type]
    const ordered = chosen
      ? [...chosen.filter((column) => present.includes(column)), ...defaultOrder(present.filter((column) => !chosen.includes(column)))]
      : defaultOrder(present)
    const summaryCount = chosen ? chosen.filter((column) => present.includes(column)).length : DEFAULT_SUMMARY_COUNT
    return ordered.map((column, index) => {
      const text = show(changes[column]![side], column)
      return { name: column, old: side === 'old' ? text : null, new: side === 'new' ? text : null, summary: index < summaryCount }
    })
  }
  const lines: FieldLine[] = []
  for (const column of Object.keys(changes).sort(byName)) {
    const change = changes[column]!
    const oldValue = decodeValue(change.old)
    const newValue = decodeValue(change.new)
    if (isPlainObject(oldValue) && isPlainObject(newValue)) {
      for (const key of [...new Set([...Object.keys(oldValue), ...Object.keys(newValue)])].sort(byName)) {
        const before = oldValue[key]
        const after = newValue[key]
        if (JSON.stringify(before) === JSON.stringify(after)) continue
        lines.push({
          name: `${column}.${key}`,
          old: before === undefined ? '(none)' : cut(jsonText(before), maxLength),
          new: after === undefined ? '(none)' : cut(jsonText(after), maxLength),
          summary: true,
        })
      }
      continue
    }
    lines.push({ name: column, old: show(change.old, column), new: show(change.new, column), summary: true })
  }
  return lines
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function defaultOrder(columns: readonly string[]): string[] {
  const rank = (column: string): number => {
    const named = NAME_LIKE.indexOf(column.toLowerCase())
    if (named >= 0) return named
    return KEY_LIKE.test(column) ? 1000 : 100
  }
  // The stored order (jsonb: shorter keys first) breaks ties; it is stable across reads.
  return columns.map((column, index) => ({ column, index })).sort((a, b) => rank(a.column) - rank(b.column) || a.index - b.index).map(({ column }) => column)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date) && !Buffer.isBuffer(value)
}

function jsonText(value: unknown): string {
  return typeof value === 'string' ? oneLine(value) : JSON.stringify(value) ?? 'null'
}

/** A stored value, decoded and shown as a person reads it, on one line. */
export function showValue(encoded: EncodedValue, maxLength = 60, format?: ColumnFormat, locale = 'en-US'): string {
  if (isMarker(encoded, '$truncated')) {
    const marker = (encoded as { $truncated: { bytes: number } }).$truncated
    return `[${marker.bytes} bytes, over the size cap]`
  }
  const value = decodeValue(encoded)
  let text: string
  if (value === null || value === undefined) text = 'null'
  else if (value === JSON_NULL) text = 'null (JSON)'
  else if (typeof value === 'boolean') text = format?.booleans ? format.booleans[value ? 0 : 1] : String(value)
  else if (format && (typeof value === 'number' || typeof value === 'bigint' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)))) {
    text = formatNumber(String(value), format, locale)
  } else if (typeof value === 'string') text = oneLine(value)
  else if (typeof value === 'number' || typeof value === 'bigint') text = String(value)
  else if (value instanceof Date) text = Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()
  else if (Buffer.isBuffer(value)) text = `[${value.length} bytes]`
  else text = JSON.stringify(value) ?? 'null'
  return cut(text, maxLength)
}

/** Decimal text with a fixed number of fraction digits, exactly (no float rounding), then money if asked. */
function formatNumber(text: string, format: ColumnFormat, locale: string): string {
  const currencyDigits = format.currency
    ? new Intl.NumberFormat('en-US', { style: 'currency', currency: format.currency }).resolvedOptions().maximumFractionDigits
    : undefined
  const decimals = format.decimals ?? currencyDigits
  let fixed = text
  if (decimals !== undefined) {
    const [whole = '0', fraction = ''] = text.split('.')
    // Stored values keep every digit; only padding (12.5 → 12.50) is done here, never rounding away digits.
    fixed = fraction.length >= decimals ? text : `${whole}.${fraction.padEnd(decimals, '0')}`
    if (decimals === 0 && fraction === '') fixed = whole
  }
  if (!format.currency) return fixed
  const digits = (fixed.split('.')[1] ?? '').length
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: format.currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: Math.max(digits, 0),
  }).format(fixed as unknown as number)
}

function isMarker(value: EncodedValue, tag: string): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && tag in value
}

/** Line breaks and other control characters would break the layout: show them escaped. */
export function oneLine(text: string): string {
  return /[\u0000-\u001f\u007f]/.test(text) ? JSON.stringify(text) : text
}

export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
