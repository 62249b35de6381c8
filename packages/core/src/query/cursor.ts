import { InvalidArgumentError } from '../errors.js'

export type SortOrder = 'asc' | 'desc'

const MAX_BIGINT = 9223372036854775807n

/**
 * The opaque `nextCursor` of `list()`: base64url of the order and the last id of the page.
 * Keyset paging on `id` stays stable while entries are appended: new ids never fall between
 * pages already read in descending order, and land after the last page in ascending order.
 */
export function encodeCursor(order: SortOrder, lastId: string): string {
  return Buffer.from(`${order === 'asc' ? 'a' : 'd'}:${lastId}`, 'utf8').toString('base64url')
}

/** The id a cursor points after; throws InvalidArgumentError for anything `list()` did not make. */
export function decodeCursor(cursor: unknown, order: SortOrder): string {
  const bad = (why: string) =>
    new InvalidArgumentError(`audit-trail: cursor ${why}; pass the nextCursor of a previous list() call unchanged.`)
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(cursor)) throw bad('is not a list() cursor')
  const match = /^([ad]):(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!match || BigInt(match[2]!) > MAX_BIGINT) throw bad('is not a list() cursor')
  const cursorOrder = match[1] === 'a' ? 'asc' : 'desc'
  if (cursorOrder !== order) throw bad(`was made for order '${cursorOrder}', not '${order}'`)
  return match[2]!
}
