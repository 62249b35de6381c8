import { InvalidArgumentError } from '../errors.js'

// The checks every public function applies to its arguments, in one place: each throws
// InvalidArgumentError naming the argument (`filter.from`, `event.action`) and what it got.

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/i

/**
 * A Date or an ISO 8601 string as a valid Date; throws naming `name` otherwise. Strings must name
 * a real calendar day and time (`2024-02-30` and `25:00` are refused, not rolled over), and the
 * year must be 1 to 9999 (what both JavaScript and PostgreSQL read the same way).
 */
export function parseInstant(value: unknown, name: string): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InvalidArgumentError(`audit-trail: ${name} is an invalid Date.`)
    return checkYear(value, name)
  }
  if (typeof value === 'string' && ISO_8601.test(value.trim())) {
    const text = value.trim()
    const parts = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/i.exec(text)!
    const [year, month, day, hour, minute, second] = parts.slice(1).map((part) => (part === undefined ? 0 : Number(part))) as number[]
    if (month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth(year!, month!)) {
      throw new InvalidArgumentError(
        `audit-trail: ${name} must be a Date or an ISO 8601 date or timestamp that exists; ${describe(value)} is not a calendar date (${monthName(month!)} has no day ${day}).`,
      )
    }
    if (hour! > 23 || minute! > 59 || second! > 59) {
      throw new InvalidArgumentError(
        `audit-trail: ${name} must be a Date or an ISO 8601 date or timestamp that exists; ${describe(value)} has an impossible time of day.`,
      )
    }
    const date = new Date(text)
    if (!Number.isNaN(date.getTime())) return checkYear(date, name)
  }
  throw new InvalidArgumentError(
    `audit-trail: ${name} must be a Date or an ISO 8601 date or timestamp such as 2024-01-15 or 2024-01-15T14:30:00Z, got ${describe(value)}.`,
  )
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 31
}

function monthName(month: number): string {
  return month >= 1 && month <= 12 ? new Date(Date.UTC(2001, month - 1, 1)).toLocaleString('en-US', { month: 'long', timeZone: 'UTC' }) : `month ${month}`
}

function checkYear(date: Date, name: string): Date {
  const year = date.getUTCFullYear()
  if (year < 1 || year > 9999) {
    throw new InvalidArgumentError(`audit-trail: ${name} must be between the years 1 and 9999, got ${year < 1 ? 'a date before year 1' : 'a date after year 9999'} (${describe(date.toISOString())}).`)
  }
  return date
}

/** True for a non-null object that is not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** A non-null plain object, or throws naming `name`. */
export function checkObject(value: unknown, name: string): Record<string, unknown> {
  if (!isPlainObject(value)) {
    throw new InvalidArgumentError(`audit-trail: ${name} must be an object, got ${describe(value)}.`)
  }
  return value as Record<string, unknown>
}

/** A string PostgreSQL can hold (no U+0000), or throws naming `name`. */
export function checkString(value: unknown, name: string, expected = 'a string'): string {
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(`audit-trail: ${name} must be ${expected}, got ${describe(value)}.`)
  }
  if (value.includes('\u0000')) {
    throw new InvalidArgumentError(`audit-trail: ${name} contains U+0000, which PostgreSQL text cannot hold; remove it.`)
  }
  return value
}

/** A short description of a bad value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : 'a Date'
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${String(value)}`
}
