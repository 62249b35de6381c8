import type { TestDatabase } from '../support/test-database.js'

type Queryable = Pick<TestDatabase, 'query'>

/** One business row as both the table and the replayed log describe it. */
export type BusinessState = Record<string, string>

/** Row state of the clients and items tables, keyed `client:<id>` / `item:<id>`. */
export async function tableState(db: Queryable): Promise<Map<string, BusinessState>> {
  const state = new Map<string, BusinessState>()
  for (const row of await db.query<{ id: number; name: string; email: string | null }>(`SELECT id, name, email_address AS email FROM clients`)) {
    state.set(`client:${row.id}`, { id: String(row.id), name: row.name, email_address: String(row.email) })
  }
  for (const row of await db.query<{ id: number; client_id: number | null; name: string; price: string; available: boolean }>(
    `SELECT id, client_id, name, price::text AS price, available FROM items`,
  )) {
    state.set(`item:${row.id}`, {
      id: String(row.id),
      client_id: String(row.client_id),
      name: row.name,
      price: Number(row.price).toFixed(2),
      available: String(row.available),
    })
  }
  return state
}

const COLUMNS: Record<string, readonly string[]> = {
  client: ['id', 'name', 'email_address'],
  item: ['id', 'client_id', 'name', 'price', 'available'],
}

function plain(column: string, value: unknown): string {
  if (value !== null && typeof value === 'object' && '$decimal' in value) return Number((value as { $decimal: string }).$decimal).toFixed(2)
  if (column === 'price' && typeof value === 'number') return value.toFixed(2)
  return String(value)
}

/**
 * The clients and items that the log says exist now, replaying every entry of each record in
 * id order (`created` sets every column, updates overwrite, `deleted` ends the record). It must
 * equal `tableState`: then every committed change has its entries and no rolled-back change
 * left one.
 */
export async function replayedState(db: Queryable): Promise<Map<string, BusinessState>> {
  const entries = await db.query<{ resource_type: string; resource_id: string; action: string; changes: Record<string, { old: unknown; new: unknown }> }>(
    `SELECT resource_type, resource_id, action, changes FROM audit_trail.activity_log
     WHERE resource_type IN ('client', 'item') ORDER BY id`,
  )
  const state = new Map<string, BusinessState>()
  for (const entry of entries) {
    const key = `${entry.resource_type}:${entry.resource_id}`
    const columns = COLUMNS[entry.resource_type]!
    if (entry.action === 'created') {
      if (state.has(key)) throw new Error(`${key} created twice`)
      state.set(key, Object.fromEntries(columns.map((c) => [c, plain(c, entry.changes[c]?.new ?? null)])))
    } else if (entry.action === 'deleted') {
      if (!state.delete(key)) throw new Error(`${key} deleted but never created (or deleted twice)`)
    } else {
      const row = state.get(key)
      if (!row) throw new Error(`${key} ${entry.action} before created or after deleted`)
      for (const [column, change] of Object.entries(entry.changes)) {
        if (!columns.includes(column)) continue
        if (plain(column, change.old) !== row[column]) {
          throw new Error(`${key} ${entry.action}: ${column} old ${plain(column, change.old)} but the previous entry left ${row[column]}`)
        }
        row[column] = plain(column, change.new)
      }
    }
  }
  return state
}

/** Both maps as sorted arrays, so a failed comparison shows a readable diff. */
export function sortedState(state: Map<string, BusinessState>): Array<[string, BusinessState]> {
  return [...state].sort(([a], [b]) => a.localeCompare(b))
}
