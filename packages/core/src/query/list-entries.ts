import { InvalidArgumentError } from '../errors.js'
import type { AuditExecutor } from '../writer/executor.js'
import { ENTRY_SELECT_LIST, toAuditEntry, type AuditEntry } from './audit-entry.js'
import { FILTER_KEYS, buildFilterCondition, type ListOptions } from './audit-filter.js'
import { checkObject, describe } from '../validate/validators.js'
import { decodeCursor, encodeCursor, type SortOrder } from './cursor.js'

/** One page of `list()`. */
export interface ListResult {
  /** The page's entries, in the requested order. */
  entries: AuditEntry[]
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null
}

export const DEFAULT_LIMIT = 100
export const MAX_LIMIT = 1000

const LIST_KEYS: readonly string[] = [...FILTER_KEYS, 'limit', 'cursor', 'order']

/** `list()`: one page of entries matching the filter, keyset-paginated on `id`. */
export async function listEntries(executor: AuditExecutor, options: ListOptions = {}): Promise<ListResult> {
  const { limit: rawLimit, cursor, order: rawOrder, ...filter } = checkObject(options, 'list() options')
  const condition = buildFilterCondition(filter, { allowed: LIST_KEYS, idWindow: true })
  const order = parseOrder(rawOrder)
  const limit = parseLimit(rawLimit)
  let where = condition.where
  if (cursor !== undefined && cursor !== null) {
    condition.params.push(decodeCursor(cursor, order))
    where += ` AND id ${order === 'desc' ? '<' : '>'} $${condition.params.length}::bigint`
  }
  // ORDER BY activity_log.id: a bare `id` would name the select list's text alias and sort as text.
  // One extra row tells whether there is a next page without a second query.
  condition.params.push(limit + 1)
  const { rows } = await executor.query(
    `SELECT ${ENTRY_SELECT_LIST} FROM ${condition.from} WHERE ${where} ` +
      `ORDER BY activity_log.id ${order === 'desc' ? 'DESC' : 'ASC'} LIMIT $${condition.params.length}`,
    condition.params,
  )
  const entries = rows.slice(0, limit).map(toAuditEntry)
  const last = entries[entries.length - 1]
  return { entries, nextCursor: rows.length > limit && last ? encodeCursor(order, last.id) : null }
}

export function parseOrder(value: unknown): SortOrder {
  if (value === undefined) return 'desc'
  if (value === 'asc' || value === 'desc') return value
  throw new InvalidArgumentError(`audit-trail: order must be 'asc' or 'desc', got ${describe(value)}.`)
}

export function parseLimit(value: unknown): number {
  if (value === undefined) return DEFAULT_LIMIT
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw new InvalidArgumentError(
      `audit-trail: limit must be an integer from 1 to ${MAX_LIMIT}, got ${describe(value)}; page with nextCursor for more.`,
    )
  }
  return value
}
