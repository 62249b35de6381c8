import { runWithAuditContext } from '@audit-trail/core'
import type { ItemInput, OrmSession } from '../behaviour/driver.js'
import type { TestDatabase } from '../support/test-database.js'
import { seededRandom } from './reliability-fixtures.js'

/** What the fuzz did: the counts a test asserts and prints. */
export interface FuzzReport {
  transactions: number
  committed: number
  failed: number
  /** Entries the committed transactions must have left, by record name (`client:c12`, `item:i40`). */
  expected: Map<string, string[]>
  /** Names whose rows exist at the end, with their price in cents (items) or e-mail (clients). */
  clients: Map<string, string | null>
  items: Map<string, number>
}

interface Model {
  clients: Map<string, { id: number | null; email: string | null }>
  items: Map<string, { id: number | null; client: string; cents: number }>
  expected: Map<string, string[]>
}

const clone = (m: Model): Model => ({
  clients: new Map([...m.clients].map(([k, v]) => [k, { ...v }])),
  items: new Map([...m.items].map(([k, v]) => [k, { ...v }])),
  expected: new Map([...m.expected].map(([k, v]) => [k, [...v]])),
})

const OVERFLOW = '1000000000.00' // numeric(10,2) holds at most 99999999.99: the statement fails in the database
const MISSING_CLIENT = 2_000_000_000 // no such client: a foreign-key violation

/**
 * R1: `count` random transactions through `session`, one at a time, each mixing single-row,
 * bulk and nested writes; about 30% fail at a random point, by a throw of the app or by a
 * statement the database rejects (foreign key, numeric overflow inside a bulk or nested
 * insert). Some are single autocommit writes. A model of the committed state tracks which
 * entries must exist.
 */
export async function runAtomicityFuzz(args: { db: TestDatabase; session: OrmSession; count: number; seed: number }): Promise<FuzzReport> {
  const { db, session, count } = args
  const random = seededRandom(args.seed)
  let model: Model = { clients: new Map(), items: new Map(), expected: new Map() }
  let serial = 0
  let committed = 0
  let failed = 0

  const log = (m: Model, key: string, action: string) => {
    const list = m.expected.get(key) ?? []
    list.push(action)
    m.expected.set(key, list)
  }
  const cents = () => 100 + (++serial % 900_000)
  const price = (c: number) => (c / 100).toFixed(2)
  const item = (name: string, clientId: number | null, c: number): ItemInput => ({ name, clientId, price: price(c), available: true })

  /** One random write on `s`, applied to the draft model `m`. */
  async function write(s: OrmSession, m: Model): Promise<void> {
    const clients = [...m.clients].filter(([, c]) => c.id !== null)
    const items = [...m.items].filter(([, i]) => i.id !== null)
    const kind = random.int(10)
    if (kind === 0 || clients.length === 0) {
      const name = `c${++serial}`
      const id = await s.createClient({ name })
      m.clients.set(name, { id, email: null })
      log(m, `client:${name}`, 'created')
    } else if (kind === 1) {
      const [name, client] = random.pick(clients)
      const email = `e${++serial}@example.com`
      await s.updateClient(client.id!, { email })
      client.email = email
      log(m, `client:${name}`, 'updated')
    } else if (kind === 2) {
      const [clientName, client] = random.pick(clients)
      const name = `i${++serial}`
      const c = cents()
      const id = await s.createItem(item(name, client.id, c))
      m.items.set(name, { id, client: clientName, cents: c })
      log(m, `item:${name}`, 'created')
    } else if (kind === 3 && items.length > 0) {
      const [name, row] = random.pick(items)
      const c = cents()
      await s.updateItem(row.id!, { price: price(c) })
      row.cents = c
      log(m, `item:${name}`, 'updated')
    } else if (kind === 4 && items.length > 0) {
      const [name, row] = random.pick(items)
      await s.deleteItem(row.id!)
      m.items.delete(name)
      log(m, `item:${name}`, 'deleted')
    } else if (kind === 5) {
      // Bulk insert; the ids are read back after the commit.
      const [clientName, client] = random.pick(clients)
      const rows = Array.from({ length: 1 + random.int(4) }, () => ({ name: `i${++serial}`, c: cents() }))
      await s.createItems(rows.map((r) => item(r.name, client.id, r.c)))
      for (const r of rows) {
        m.items.set(r.name, { id: null, client: clientName, cents: r.c })
        log(m, `item:${r.name}`, 'created')
      }
    } else if (kind === 6) {
      const [clientName, client] = random.pick(clients)
      const c = cents()
      const mine = [...m.items].filter(([, i]) => i.client === clientName)
      const updated = await s.setPriceOfClientItems(client.id!, price(c))
      if (updated !== mine.length) throw new Error(`bulk update of ${clientName} changed ${updated} rows, the model has ${mine.length}`)
      for (const [name, row] of mine) {
        row.cents = c
        log(m, `item:${name}`, 'updated')
      }
    } else if (kind === 7) {
      const [clientName, client] = random.pick(clients)
      const mine = [...m.items].filter(([, i]) => i.client === clientName)
      const deleted = await s.deleteClientItems(client.id!)
      if (deleted !== mine.length) throw new Error(`bulk delete of ${clientName} removed ${deleted} rows, the model has ${mine.length}`)
      for (const [name] of mine) {
        m.items.delete(name)
        log(m, `item:${name}`, 'deleted')
      }
    } else if (kind === 8) {
      // Nested create: a client and its items in one ORM call.
      const name = `c${++serial}`
      const rows = Array.from({ length: 1 + random.int(3) }, () => ({ name: `i${++serial}`, c: cents() }))
      const id = await s.createClientWithItems({ name }, rows.map((r) => item(r.name, null, r.c)))
      m.clients.set(name, { id, email: null })
      log(m, `client:${name}`, 'created')
      for (const r of rows) {
        m.items.set(r.name, { id: null, client: name, cents: r.c })
        log(m, `item:${r.name}`, 'created')
      }
    } else {
      // Delete a client that has no items (deleting one with items would cascade in the database).
      const empty = clients.filter(([name]) => ![...m.items.values()].some((i) => i.client === name))
      if (empty.length === 0) return write(s, m)
      const [name, client] = random.pick(empty)
      await s.deleteClient(client.id!)
      m.clients.delete(name)
      log(m, `client:${name}`, 'deleted')
    }
  }

  /** A write the database rejects, of a random shape. */
  async function failingWrite(s: OrmSession, m: Model): Promise<void> {
    const clients = [...m.clients].filter(([, c]) => c.id !== null)
    const shape = random.int(3)
    if (shape === 0 || clients.length === 0) {
      await s.createItem(item(`x${++serial}`, MISSING_CLIENT, 100))
    } else if (shape === 1) {
      const [, client] = random.pick(clients)
      await s.createItems([item(`x${++serial}`, client.id, 100), { ...item(`x${++serial}`, client.id, 100), price: OVERFLOW }])
    } else {
      await s.createClientWithItems({ name: `x${++serial}` }, [item(`x${++serial}`, null, 100), { ...item(`x${++serial}`, null, 100), price: OVERFLOW }])
    }
    throw new Error('the database accepted a write that must fail')
  }

  /** Fills in the ids of rows created by bulk or nested inserts, once committed. */
  async function resolveIds(m: Model): Promise<void> {
    const pending = [...m.items].filter(([, i]) => i.id === null).map(([name]) => name)
    if (pending.length === 0) return
    const rows = await db.query<{ id: number; name: string }>(`SELECT id, name FROM items WHERE name = ANY($1)`, [pending])
    for (const row of rows) m.items.get(row.name)!.id = row.id
  }

  const forced = new Error('forced failure')
  for (let t = 0; t < count; t++) {
    const draft = clone(model)
    const fails = random.chance(0.3)
    const autocommit = random.chance(0.2)
    const actor = { id: `u${random.int(5)}` }
    let outcome: 'committed' | 'failed'
    try {
      await runWithAuditContext({ actor }, async () => {
        if (autocommit) {
          if (fails) await failingWrite(session, draft)
          else await write(session, draft)
          return
        }
        const ops = 1 + random.int(5)
        const failAt = fails ? random.int(ops + 1) : -1
        const dbFailure = random.chance(0.5)
        await session.transaction(async (tx) => {
          for (let i = 0; i < ops; i++) {
            if (i === failAt) {
              if (dbFailure) await failingWrite(tx, draft)
              throw forced
            }
            await write(tx, draft)
          }
          if (failAt === ops) throw forced
        })
      })
      outcome = 'committed'
    } catch (error) {
      if (!fails) throw new Error(`transaction ${t} was meant to commit but failed: ${String(error)}`, { cause: error })
      if (error instanceof Error && error.message === 'the database accepted a write that must fail') throw error
      outcome = 'failed'
    }
    if (outcome === 'committed') {
      if (fails) throw new Error(`transaction ${t} was meant to fail but committed`)
      await resolveIds(draft)
      model = draft
      committed++
    } else {
      failed++
    }
  }
  return {
    transactions: count,
    committed,
    failed,
    expected: model.expected,
    clients: new Map([...model.clients].map(([name, c]) => [name, c.email])),
    items: new Map([...model.items].map(([name, i]) => [name, i.cents])),
  }
}

/** Record name (`item:i40`) → actions in id order, read from the log. Throws if a record's name changes. */
export async function loggedHistories(db: TestDatabase): Promise<Map<string, string[]>> {
  const entries = await db.query<{ resource_type: string; resource_id: string; resource_name: string; action: string }>(
    `SELECT resource_type, resource_id, resource_name, action FROM audit_trail.activity_log
     WHERE resource_type IN ('client', 'item') ORDER BY id`,
  )
  const names = new Map<string, string>()
  const histories = new Map<string, string[]>()
  for (const e of entries) {
    const id = `${e.resource_type}:${e.resource_id}`
    const name = `${e.resource_type}:${e.resource_name}`
    const known = names.get(id)
    if (known !== undefined && known !== name) throw new Error(`${id} logged as ${known} and as ${name}`)
    names.set(id, name)
    const list = histories.get(name) ?? []
    list.push(e.action)
    histories.set(name, list)
  }
  if (new Set(names.values()).size !== names.size) throw new Error('two records were logged under one name')
  return histories
}
