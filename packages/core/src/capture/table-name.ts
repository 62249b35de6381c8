import { InvalidArgumentError } from '../errors.js'

/** A table as the database names it: exact identifiers, schema optional (default: the connection's current schema). */
export interface TableName {
  /** Schema name, exact. Default: the connection's current schema. */
  readonly schema?: string
  /** Table name, exact (no quoting, no case folding). */
  readonly table: string
}

/**
 * Reads `'items'`, `'public.items'`, `'public.TagLists'` or `'public."Article"'`. Unquoted parts
 * are taken EXACTLY as written (no lower-casing: `TagLists` is the table Prisma created as
 * `"TagLists"`); double-quoted parts follow SQL quoting (`""` inside is one quote).
 */
export function parseTableName(name: string | TableName): TableName {
  if (typeof name !== 'string') {
    if (!name.table) throw new InvalidArgumentError('audit-trail: a table name needs `table`.')
    return name
  }
  const parts: string[] = []
  let rest = name.trim()
  while (rest.length > 0) {
    if (rest.startsWith('"')) {
      let end = 1
      let part = ''
      for (;;) {
        const quote = rest.indexOf('"', end)
        if (quote < 0) throw new InvalidArgumentError(`audit-trail: unterminated quoted identifier in table name ${JSON.stringify(name)}.`)
        part += rest.slice(end, quote)
        if (rest[quote + 1] === '"') {
          part += '"'
          end = quote + 2
          continue
        }
        end = quote + 1
        break
      }
      parts.push(part)
      rest = rest.slice(end)
    } else {
      const dot = rest.indexOf('.')
      parts.push(dot < 0 ? rest : rest.slice(0, dot))
      rest = dot < 0 ? '' : rest.slice(dot)
    }
    if (rest.startsWith('.')) {
      rest = rest.slice(1)
      if (rest.length === 0) throw new InvalidArgumentError(`audit-trail: table name ${JSON.stringify(name)} ends with a dot.`)
    } else if (rest.length > 0) throw new InvalidArgumentError(`audit-trail: cannot read table name ${JSON.stringify(name)}.`)
  }
  if (parts.length === 0 || parts.length > 2 || parts.some((part) => part.length === 0)) {
    throw new InvalidArgumentError(`audit-trail: table name ${JSON.stringify(name)} is not "table" or "schema.table".`)
  }
  return parts.length === 2 ? { schema: parts[0], table: parts[1]! } : { table: parts[0]! }
}

/** `"schema"."table"` (or `"table"`), quoted for SQL text and messages. */
export function quoteTableName(name: TableName): string {
  const quote = (part: string) => `"${part.replace(/"/g, '""')}"`
  return name.schema ? `${quote(name.schema)}.${quote(name.table)}` : quote(name.table)
}
