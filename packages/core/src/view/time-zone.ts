/**
 * One rule for bare dates everywhere (API, CLI, page): `2024-01-15` is a day in UTC unless a
 * time zone is chosen (`--tz`, the page's zone), then it is that day in that zone.
 */
import { InvalidArgumentError } from '../errors.js'

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/

/** true when `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** Minutes east of UTC of `zone` at `instant`. */
function offsetMinutes(instant: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant))
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value)
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'))
  return Math.round((wall - Math.floor(instant / 1000) * 1000) / 60_000)
}

/** The first instant of the day `date` (YYYY-MM-DD) in `zone`. */
export function startOfDay(date: string, zone = 'UTC'): Date {
  const match = DATE_ONLY.exec(date)
  if (!match) throw new InvalidArgumentError(`expected a date as YYYY-MM-DD, got ${JSON.stringify(date)}`)
  const wall = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))
  if (zone === 'UTC') return new Date(wall)
  // Two passes settle days that start next to a DST change.
  let instant = wall - offsetMinutes(wall, zone) * 60_000
  instant = wall - offsetMinutes(instant, zone) * 60_000
  return new Date(instant)
}

/** The last millisecond of the day `date` in `zone`. */
export function endOfDay(date: string, zone = 'UTC'): Date {
  const next = new Date(startOfDay(date, 'UTC').getTime() + 86_400_000).toISOString().slice(0, 10)
  return new Date(startOfDay(next, zone).getTime() - 1)
}

export function isDateOnly(text: string): boolean {
  return DATE_ONLY.test(text)
}
