import { actionLabel } from '../view/action-label.js'
import type { AuditEntry } from '../query/audit-entry.js'
import { cut, fieldLines, oneLine, type ViewOptions } from '../view/field-lines.js'

/** What `formatTail()` prints: the entries, the total for the footer, and how to show times and values. */
export interface FormatTailOptions {
  /** The entries to show, in display order (as `list()` returns them). */
  entries: readonly AuditEntry[]
  /** How many entries match the filter in all (`count()`), for "Showing N of M entries". */
  total: number
  /** IANA time zone for day headers and times. Default `'UTC'`. */
  timeZone?: string
  /** Longest value shown for one field before it is cut with `…`. Default 60. */
  maxValueLength?: number
  /** Column formats and summary fields, as the activity log page takes them. */
  view?: ViewOptions
}

const AUTH_ACTIONS = new Set(['login', 'logout', 'login_failed'])
const INDENT = '       '

/**
 * The activity log as text, day by day, as `audit-trail tail` prints it and the activity log
 * page shows it:
 *
 * ```text
 * Jan 15, 2024
 *
 * 14:30  Jan Manager    Updated   Margherita Pizza
 *        └─ price: 12.5 → 13.5
 *
 * Showing 1 of 156 entries · times in UTC
 * ```
 * One line per entry (time, actor name or `System`, action, resource name), then one line per
 * changed field with decoded values (created: the new values, deleted: the old ones), the IP
 * address for logins and logouts, the impersonator and the description when there is one.
 */
export function formatTail(options: FormatTailOptions): string {
  const timeZone = options.timeZone ?? 'UTC'
  const maxValue = options.maxValueLength ?? 60
  const day = new Intl.DateTimeFormat('en-US', { timeZone, month: 'short', day: 'numeric', year: 'numeric' })
  const time = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
  const actorWidth = columnWidth(options.entries.map(actorLabel), 13, 24)
  const actionWidth = columnWidth(options.entries.map((entry) => actionLabel(entry.action)), 8, 20)
  const lines: string[] = []
  let currentDay: string | undefined
  for (const entry of options.entries) {
    const entryDay = day.format(entry.createdAt)
    if (entryDay !== currentDay) {
      if (currentDay !== undefined) lines.push('')
      lines.push(entryDay, '')
      currentDay = entryDay
    }
    const head = [
      time.format(entry.createdAt),
      fit(actorLabel(entry), actorWidth),
      fit(actionLabel(entry.action), actionWidth),
      resourceLabel(entry),
    ].join('  ')
    lines.push(head.trimEnd())
    for (const detail of details(entry, maxValue, options.view)) lines.push(`${INDENT}└─ ${detail}`)
  }
  if (lines.length > 0) lines.push('')
  lines.push(`Showing ${options.entries.length} of ${options.total} ${options.total === 1 ? 'entry' : 'entries'} · times in ${timeZone}`)
  return `${lines.join('\n')}\n`
}

function columnWidth(labels: readonly string[], min: number, max: number): number {
  return Math.min(max, Math.max(min, ...labels.map((label) => label.length)))
}

function fit(label: string, width: number): string {
  return label.length > width ? `${label.slice(0, width - 1)}…` : label.padEnd(width)
}

function actorLabel(entry: AuditEntry): string {
  if (entry.actor.type === 'system') return 'System'
  return entry.actor.name ?? entry.actor.email ?? entry.actor.id ?? (entry.actor.type === 'database' ? 'Database' : 'Unknown')
}

function resourceLabel(entry: AuditEntry): string {
  if (entry.resourceName) return oneLine(entry.resourceName)
  if (entry.resourceType && entry.resourceId) return `${entry.resourceType} #${oneLine(entry.resourceId)}`
  return entry.resourceType ?? ''
}

function details(entry: AuditEntry, maxValue: number, view?: ViewOptions): string[] {
  const out: string[] = []
  for (const line of fieldLines(entry, view, maxValue)) {
    if (line.old !== null && line.new !== null) out.push(`${line.name}: ${line.old} → ${line.new}`)
    else out.push(`${line.name}: ${line.new ?? line.old ?? ''}`)
  }
  if (AUTH_ACTIONS.has(entry.action) && entry.ipAddress) out.push(`IP: ${entry.ipAddress}`)
  if (entry.impersonator) out.push(`impersonated by ${entry.impersonator.name ?? entry.impersonator.id}`)
  if (entry.description) out.push(cut(oneLine(entry.description), maxValue * 2))
  return out
}
