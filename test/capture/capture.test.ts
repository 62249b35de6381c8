import { randomBytes } from 'node:crypto'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  JSON_NULL,
  SET_AUDIT_CONTEXT_SQL,
  applyMigrations,
  auditContextSetting,
  disableCapture,
  enableCapture,
  encodeValue,
  readCaptureSettings,
  type ValueKind,
} from '@audit-trail/core'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
const appRole = `capture_app_${randomBytes(3).toString('hex')}`

beforeAll(async () => {
  db = await createTestDatabase()
  await db.query(`
    CREATE TYPE mood AS ENUM ('happy', 'sad');
    CREATE TABLE products (
      id          serial PRIMARY KEY,
      name        text NOT NULL,
      price       numeric(12, 4),
      stock       bigint,
      ratio       double precision,
      active      boolean,
      picture     bytea,
      settings    jsonb,
      launched_at timestamptz,
      local_time  timestamp,
      feeling     mood,
      tags        text[],
      api_token   text,
      name_upper  text GENERATED ALWAYS AS (upper(name)) STORED,
      updated_at  timestamptz
    );
    CREATE TABLE translations (product_id int, locale text, title text, PRIMARY KEY (product_id, locale));
    CREATE TABLE no_key (a int);
    CREATE ROLE ${appRole} NOLOGIN;
    GRANT ALL ON products, translations TO ${appRole};
    GRANT USAGE ON SEQUENCE products_id_seq TO ${appRole};
  `)
  await enableCapture(db.pool, 'public.products', { resourceType: 'product', nameColumn: 'name' })
  await enableCapture(db.pool, 'translations')
})
afterAll(async () => {
  await db?.query(`DROP OWNED BY ${appRole}`).catch(() => undefined)
  await db?.query(`DROP ROLE IF EXISTS ${appRole}`).catch(() => undefined)
  await db?.drop()
})

async function watermark(): Promise<number> {
  return (await db.one<{ max: number }>('SELECT coalesce(max(id), 0)::int AS max FROM audit_trail.activity_log')).max
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Entry = Record<string, any>
async function entriesSince(since: number): Promise<Entry[]> {
  return db.query(`SELECT * FROM audit_trail.activity_log WHERE id > $1 ORDER BY id`, [since])
}
/** The triggers enable_capture installs: one per event (transition tables allow one), plus TRUNCATE. */
const CAPTURE_TRIGGERS = ['audit_trail_capture_delete', 'audit_trail_capture_insert', 'audit_trail_capture_truncate', 'audit_trail_capture_update']
async function triggerNames(table: string): Promise<string[]> {
  const rows = await db.query<{ tgname: string }>(`SELECT tgname FROM pg_trigger WHERE tgrelid = $1::regclass ORDER BY 1`, [table])
  return rows.map((row) => row.tgname)
}
async function inTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.pool.connect()
  try {
    await client.query('BEGIN')
    const result = await fn(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    await client.query('ROLLBACK')
    throw error
  } finally {
    client.release()
  }
}

const fullRow = `INSERT INTO products (name, price, stock, ratio, active, picture, settings, launched_at, local_time, feeling, tags, api_token)
  VALUES ('Lamp', 12.5000, 9007199254740993, 'NaN', true, '\\x00ff', '{"color": "red", "$weird": 1}',
          '2024-01-15 14:30:00.123+02', '2024-01-15 14:30:00.5', 'happy', '{a,b}', 'secret-token') RETURNING id`

describe('database capture', () => {
  it('records raw SQL writes as the database role, with every value encoded like the ORM path', async () => {
    const since = await watermark()
    const { id } = await db.one<{ id: number }>(fullRow)
    const [entry] = await entriesSince(since)
    expect(entry).toMatchObject({
      action: 'created',
      actor_type: 'database',
      actor_id: null,
      source: 'trigger',
      resource_type: 'product',
      resource_id: String(id),
      resource_name: 'Lamp',
      metadata: { application_name: null },
    })
    expect(entry!.actor_name).toBe((await db.one<{ u: string }>('SELECT session_user AS u')).u)
    expect(entry!.changes).toEqual({
      id: { old: null, new: id },
      name: { old: null, new: 'Lamp' },
      price: { old: null, new: { $decimal: '12.5' } },
      stock: { old: null, new: { $bigint: '9007199254740993' } },
      ratio: { old: null, new: { $number: 'NaN' } },
      active: { old: null, new: true },
      picture: { old: null, new: { $bytes: 'AP8=' } },
      settings: { old: null, new: { color: 'red', $weird: 1 } },
      launched_at: { old: null, new: { $date: '2024-01-15T12:30:00.123Z' } },
      local_time: { old: null, new: { $date: '2024-01-15T14:30:00.500Z' } },
      feeling: { old: null, new: 'happy' },
      tags: { old: null, new: ['a', 'b'] },
      api_token: { old: null, new: '[REDACTED]' },
      name_upper: { old: null, new: 'LAMP' },
    })
    expect(entry!.changed_fields).toEqual(Object.keys(entry!.changes).sort())
  })

  // Parity: record() encodes JS values with core's encoder; the trigger encodes column values in
  // SQL. The same value must give the same JSON either way.
  it('stores the same JSON as core’s encoder (record()) for the same values', async () => {
    const { id } = await db.one<{ id: number }>(fullRow)
    const since = await watermark()
    const values = {
      price: '13.7500',
      stock: -9007199254740993n,
      ratio: Number.POSITIVE_INFINITY,
      picture: Buffer.from([1, 2, 255]),
      settings: { $weird: 2, nested: [1, 'x', null] },
      launched_at: new Date('1969-07-20T20:17:40.000Z'),
      name: 'Lamp \u00e9 "quoted" \\ <b>',
      active: false,
    }
    await db.query(
      `UPDATE products SET price = $2, stock = $3, ratio = $4, picture = $5, settings = $6, launched_at = $7, name = $8, active = $9
       WHERE id = $1`,
      [id, values.price, values.stock.toString(), 'Infinity', values.picture, JSON.stringify(values.settings), values.launched_at, values.name, values.active],
    )
    await db.query(`UPDATE products SET settings = 'null' WHERE id = $1`, [id])
    const [update, jsonNull] = await entriesSince(since)
    const kinds: Partial<Record<keyof typeof values, ValueKind>> = { price: 'decimal', settings: 'json' }
    for (const [column, value] of Object.entries(values)) {
      expect(update!.changes[column].new, column).toEqual(encodeValue(value, kinds[column as keyof typeof values] ?? 'auto'))
    }
    expect(jsonNull!.changes.settings.new).toEqual(encodeValue(JSON_NULL, 'json'))
    expect(update!.changes.stock).toEqual({ old: { $bigint: '9007199254740993' }, new: { $bigint: '-9007199254740993' } })
  })

  it('takes the context handed off in the same transaction, and only for that transaction', async () => {
    const since = await watermark()
    await inTransaction(async (client) => {
      await client.query(SET_AUDIT_CONTEXT_SQL, [
        auditContextSetting({ actor: { id: 'u-7', name: 'Ana' }, ipAddress: '10.0.0.7', locationId: 'lyon', requestId: 'r-1' }),
      ])
      await client.query(`UPDATE products SET name = 'Handed off' WHERE id = (SELECT min(id) FROM products)`)
    })
    await db.query(`UPDATE products SET name = 'After commit' WHERE id = (SELECT min(id) FROM products)`)
    const entries = await entriesSince(since)
    // Without context, the IP is the database client's address (null over a Unix socket).
    const { ip } = await db.one<{ ip: string | null }>('SELECT host(inet_client_addr()) AS ip')
    expect(entries.map((e) => [e.actor_type, e.actor_id, e.actor_name, e.ip_address, e.location_id, e.source])).toEqual([
      ['user', 'u-7', 'Ana', '10.0.0.7', 'lyon', 'orm'],
      ['database', null, entries[1]!.actor_name, ip, null, 'trigger'],
    ])
    expect(entries[0]!.request_id).toBe('r-1')
  })

  it('skips updates that change nothing or only ignored columns, and records toggles', async () => {
    const { id } = await db.one<{ id: number }>(fullRow)
    const since = await watermark()
    await db.query(`UPDATE products SET price = 12.5, updated_at = now() WHERE id = $1`, [id])
    await db.query(`UPDATE products SET active = false WHERE id = $1`, [id])
    await db.query(`UPDATE products SET active = true WHERE id = $1`, [id])
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.action, e.changes])).toEqual([
      ['disabled', { active: { old: true, new: false } }],
      ['enabled', { active: { old: false, new: true } }],
    ])
  })

  it('records every row of a multi-row statement and every deleted row with its old values', async () => {
    await db.query(`INSERT INTO products (name, price) SELECT 'Bulk ' || i, i FROM generate_series(1, 50) i`)
    const since = await watermark()
    await db.query(`UPDATE products SET price = price + 1 WHERE name LIKE 'Bulk %'`)
    await db.query(`DELETE FROM products WHERE name LIKE 'Bulk %'`)
    const entries = await entriesSince(since)
    expect(entries.filter((e) => e.action === 'updated')).toHaveLength(50)
    const deleted = entries.filter((e) => e.action === 'deleted')
    expect(deleted).toHaveLength(50)
    const bulk7 = deleted.find((e) => e.resource_name === 'Bulk 7')!
    expect(bulk7.changes.price).toEqual({ old: { $decimal: '8' }, new: null })
    expect(bulk7.changes.name).toEqual({ old: 'Bulk 7', new: null })
  })

  // The trigger takes a shorter path for a statement that changes one row; both must write the
  // same entries, value for value.
  it('records the same entries for a row updated alone and in a multi-row statement', async () => {
    const columns = `id int PRIMARY KEY, name text, price numeric(12, 4), stock bigint, ratio double precision, active boolean,
      picture bytea, settings jsonb, doc json, launched_at timestamptz, local_time timestamp, feeling mood, tags text[], api_token text`
    await db.query(`CREATE TABLE path_one (${columns}); CREATE TABLE path_many (${columns})`)
    for (const table of ['path_one', 'path_many']) {
      await enableCapture(db.pool, table, { resourceType: 'path', nameColumn: 'name' })
      await db.query(`INSERT INTO ${table} (id, name, price, stock, ratio, active, picture, settings, doc, launched_at, local_time, feeling, tags, api_token)
        VALUES (1, 'empty', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
               (2, 'full', 1.5, 9007199254740993, 'NaN', true, '\\x00ff', '{"$tag": 1}', '{"a":  [1, null]}', 'infinity', '2024-01-15 14:30:00.5',
                'happy', '{a,b}', 'secret'),
               (3, 'json', 2, 1, 1.25, true, NULL, '{"k": 1}', '[1]', '2024-01-15 14:30:00.123456+02', NULL, 'sad', '{}', NULL),
               (4, 'toggle', 3, 2, 0, true, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
               (5, 'unchanged', 4, 3, 0, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
    }
    const big = 'x'.repeat(70_000)
    const updates: Array<[id: number, set: string]> = [
      [1, `name = 'was empty', price = 13.7500, stock = -5, ratio = '-Infinity', active = false, picture = '\\x0102', settings = 'null',
           doc = '{"$x": {"y": 1}}', launched_at = '1969-07-20 20:17:40Z', local_time = '-infinity', feeling = 'sad', tags = '{c}', api_token = 't2'`],
      [2, `name = 'was full', price = NULL, stock = NULL, ratio = NULL, active = NULL, picture = NULL, settings = NULL, doc = NULL,
           launched_at = NULL, local_time = NULL, feeling = NULL, tags = NULL, api_token = NULL`],
      [3, `name = '${big}', picture = decode(repeat('ab', 70000), 'hex'), settings = '{"big": "${big}"}', doc = 'null'`],
      [4, `active = false`],
      [5, `price = 4, active = false`],
    ]
    const since = await watermark()
    for (const [id, set] of updates) await db.query(`UPDATE path_one SET ${set} WHERE id = ${id}`)
    // One statement for all five rows: every column set through a CASE on the id.
    const assignments = new Map<string, string[]>()
    for (const [id, set] of updates) {
      for (const part of set.split(/,\s*(?=[a-z_]+ = )/)) {
        const [column, value] = [part.slice(0, part.indexOf(' = ')).trim(), part.slice(part.indexOf(' = ') + 3)]
        assignments.set(column, [...(assignments.get(column) ?? []), `WHEN ${id} THEN ${value}`])
      }
    }
    const set = [...assignments].map(([column, cases]) => `${column} = CASE id ${cases.join(' ')} ELSE ${column} END`).join(', ')
    await db.query(`UPDATE path_many SET ${set}`)

    const entries = (await entriesSince(since)).filter((e) => e.action !== 'created')
    const strip = ({ id: _id, created_at: _at, transaction_id: _tx, hash: _hash, ...rest }: Entry) => rest
    const one = entries.slice(0, entries.length / 2).map(strip)
    const many = entries.slice(entries.length / 2).map(strip)
    expect(one.map((e) => e.resource_id)).toEqual(['1', '2', '3', '4'])
    expect(many).toEqual(one)
    expect(one[3]!.action).toBe('disabled')
    expect(one[0]!.changes.settings).toEqual({ old: null, new: { $json: null } })
    expect(one[0]!.changes.doc).toEqual({ old: null, new: { $json: { $x: { y: 1 } } } })
    expect(one[0]!.changes.api_token).toEqual({ old: null, new: '[REDACTED]' })
    expect(one[0]!.changes.local_time).toEqual({ old: null, new: { $date: '-infinity' } })
    expect(one[1]!.changes.settings).toEqual({ old: { $json: { $tag: 1 } }, new: null })
    expect(one[1]!.changes.launched_at).toEqual({ old: { $date: 'infinity' }, new: null })
    expect(one[2]!.changes.name.new).toHaveProperty('$truncated')
    expect(one[2]!.changes.name.old).toBe('json')
    expect(one[2]!.changes.picture.new).toHaveProperty('$truncated')
    expect(one[2]!.changes.settings.new).toHaveProperty('$truncated')
    expect(one[2]!.changes.doc).toEqual({ old: [1], new: { $json: null } })
    for (const table of ['path_one', 'path_many']) await disableCapture(db.pool, table)
    await db.query(`DROP TABLE path_one, path_many`)
  })

  it('pairs old and new rows by position in one statement, even when it changes primary keys', async () => {
    await db.query(`INSERT INTO products (id, name, price) SELECT 9000 + i, 'Shift ' || i, i FROM generate_series(1, 20) i`)
    const since = await watermark()
    // Every key moves by 100 and every name changes: rows can only pair by position.
    await db.query(`UPDATE products SET id = id + 100, name = name || '!' WHERE name LIKE 'Shift %'`)
    const entries = await entriesSince(since)
    expect(entries).toHaveLength(20)
    for (const e of entries) {
      const oldId = e.changes.id.old as number
      expect(e.changes.id.new).toBe(oldId + 100)
      expect(e.changes.name).toEqual({ old: `Shift ${oldId - 9000}`, new: `Shift ${oldId - 9000}!` })
      expect(e.resource_id).toBe(String(oldId + 100))
    }
  })

  it('tables whose columns are named like the trigger’s own aliases (t, k, r, d, u, c)', async () => {
    await db.query(`CREATE TABLE short_names (t int PRIMARY KEY, k text, r jsonb, d numeric, u bigint, c text)`)
    await enableCapture(db.pool, 'short_names')
    const since = await watermark()
    await db.query(`INSERT INTO short_names VALUES (1, 'key', 'null', 2.50, 7, 'c')`)
    await db.query(`UPDATE short_names SET k = 'other', d = 3 WHERE t = 1`)
    await db.query(`DELETE FROM short_names WHERE t = 1`)
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.action, e.resource_id])).toEqual([
      ['created', '1'],
      ['updated', '1'],
      ['deleted', '1'],
    ])
    expect(entries[0]!.changes).toEqual({
      t: { old: null, new: 1 },
      k: { old: null, new: 'key' },
      r: { old: null, new: { $json: null } },
      d: { old: null, new: { $decimal: '2.5' } },
      u: { old: null, new: { $bigint: '7' } },
      c: { old: null, new: 'c' },
    })
    expect(entries[1]!.changes).toEqual({ d: { old: { $decimal: '2.5' }, new: { $decimal: '3' } }, k: { old: 'key', new: 'other' } })
    expect(entries[2]!.changes.r).toEqual({ old: { $json: null }, new: null })
    await disableCapture(db.pool, 'short_names')
  })

  it('a partitioned table: one entry per row, and an update that moves a row between partitions is one update', async () => {
    await db.query(`
      CREATE TABLE orders (id int, region text, total numeric, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
      CREATE TABLE orders_eu PARTITION OF orders FOR VALUES IN ('eu');
      CREATE TABLE orders_us PARTITION OF orders FOR VALUES IN ('us');`)
    await enableCapture(db.pool, 'orders')
    const since = await watermark()
    await db.query(`INSERT INTO orders VALUES (1, 'eu', 10), (2, 'us', 20)`)
    await db.query(`UPDATE orders SET region = 'us' WHERE id = 1`)
    await db.query(`DELETE FROM orders`)
    const entries = await entriesSince(since)
    expect(entries.slice(0, 3).map((e) => [e.action, e.resource_id, e.action === 'updated' ? e.changes : null])).toEqual([
      ['created', '["1","eu"]', null],
      ['created', '["2","us"]', null],
      ['updated', '["1","us"]', { region: { old: 'eu', new: 'us' } }],
    ])
    // The DELETE scans the partition, whose rows are in no particular order.
    expect(entries.slice(3).map((e) => [e.action, e.resource_id]).sort()).toEqual([
      ['deleted', '["1","us"]'],
      ['deleted', '["2","us"]'],
    ])
    await disableCapture(db.pool, 'orders')
  })

  it('composite keys give a JSON array resource_id', async () => {
    const since = await watermark()
    await db.query(`INSERT INTO translations VALUES (7, 'en', 'Lamp'), (7, 'fr', 'Lampe')`)
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.resource_type, e.resource_id])).toEqual([
      ['translations', '["7","en"]'],
      ['translations', '["7","fr"]'],
    ])
  })

  it('records TRUNCATE as one truncated entry', async () => {
    const since = await watermark()
    await db.query(`TRUNCATE translations`)
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.action, e.resource_type, e.resource_id, e.description])).toEqual([
      ['truncated', 'translations', null, 'TRUNCATE public.translations'],
    ])
  })

  it('lets a role without any privilege on the log write to a captured table', async () => {
    const since = await watermark()
    const client = await db.pool.connect()
    try {
      await client.query(`SET ROLE ${appRole}`)
      await expect(client.query('SELECT 1 FROM audit_trail.activity_log LIMIT 1')).rejects.toMatchObject({ code: '42501' })
      await client.query(`INSERT INTO products (name) VALUES ('From app role')`)
    } finally {
      await client.query('RESET ROLE')
      client.release()
    }
    const [entry] = await entriesSince(since)
    // actor_name is session_user (the login role), which SET ROLE does not change.
    const { login } = await db.one<{ login: string }>('SELECT session_user AS login')
    expect(entry).toMatchObject({ action: 'created', resource_name: 'From app role', actor_type: 'database', actor_name: login })
  })

  it('keeps working after columns are added, renamed and dropped', async () => {
    await db.query(`ALTER TABLE products ADD COLUMN weight bigint`)
    await db.query(`ALTER TABLE products RENAME COLUMN ratio TO score`)
    await db.query(`ALTER TABLE products DROP COLUMN tags`)
    await db.query(`ALTER TABLE translations RENAME COLUMN locale TO lang`)
    const since = await watermark()
    const { id } = await db.one<{ id: number }>(`INSERT INTO products (name, weight, score) VALUES ('Changed', 5, 'Infinity') RETURNING id`)
    await db.query(`INSERT INTO translations VALUES ($1, 'de', 'Lampe')`, [id])
    const [product, translation] = await entriesSince(since)
    expect(product!.changes.weight).toEqual({ old: null, new: { $bigint: '5' } })
    expect(product!.changes.score).toEqual({ old: null, new: { $number: 'Infinity' } })
    expect(product!.changes).not.toHaveProperty('tags')
    expect(translation!.resource_id).toBe(`["${id}","de"]`)
  })

  it('captures a table without a primary key with every column as its key', async () => {
    await enableCapture(db.pool, 'no_key')
    const since = await watermark()
    await db.query(`INSERT INTO no_key VALUES (7), (NULL)`)
    await db.query(`DELETE FROM no_key WHERE a = 7`)
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.action, e.resource_type, e.resource_id])).toEqual([
      ['created', 'no_key', '7'],
      ['created', 'no_key', null],
      ['deleted', 'no_key', '7'],
    ])
    await disableCapture(db.pool, 'no_key')
  })

  it('refuses unknown columns and the log itself, with clear errors', async () => {
    await expect(enableCapture(db.pool, 'products', { nameColumn: 'title' })).rejects.toMatchObject({
      code: '42703',
      message: 'audit_trail.enable_capture: products has no column(s) title',
    })
    await expect(enableCapture(db.pool, 'audit_trail.activity_log')).rejects.toMatchObject({ code: '42809' })
  })

  it('is idempotent, listed in the catalog, and can be turned off', async () => {
    await db.query(`CREATE TABLE notes (id int PRIMARY KEY, body text)`)
    await enableCapture(db.pool, 'notes', { toggle: false })
    await enableCapture(db.pool, 'notes', { toggle: false })
    const names = async () => (await readCaptureSettings(db.pool)).tables.map((t) => `${t.schema}.${t.table}`)
    expect(await names()).toEqual(['public.notes', 'public.products', 'public.translations'])
    const catalog = await db.query(`SELECT table_name::text, resource_type, toggle_columns FROM audit_trail.capture_catalog ORDER BY 1`)
    expect(catalog).toContainEqual({ table_name: 'notes', resource_type: 'notes', toggle_columns: [] })
    expect(await triggerNames('notes')).toEqual(CAPTURE_TRIGGERS)
    await disableCapture(db.pool, 'notes')
    await disableCapture(db.pool, 'notes')
    const since = await watermark()
    await db.query(`INSERT INTO notes VALUES (1, 'not recorded')`)
    expect(await entriesSince(since)).toEqual([])
    expect(await names()).not.toContain('public.notes')
  })

  it('re-applying sql/ moves a table captured by the earlier row-level trigger to the statement triggers', async () => {
    await db.query(`CREATE TABLE legacy (id int PRIMARY KEY, body text)`)
    await enableCapture(db.pool, 'legacy')
    // What an install of the earlier sql/003 left: one row trigger named audit_trail_capture.
    await db.query(`
      DROP TRIGGER audit_trail_capture_insert ON legacy;
      DROP TRIGGER audit_trail_capture_update ON legacy;
      DROP TRIGGER audit_trail_capture_delete ON legacy;
      CREATE FUNCTION legacy_row_trigger() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
      CREATE TRIGGER audit_trail_capture AFTER INSERT OR UPDATE OR DELETE ON legacy FOR EACH ROW EXECUTE FUNCTION legacy_row_trigger();`)
    await applyMigrations(db.url)
    expect(await triggerNames('legacy')).toEqual(CAPTURE_TRIGGERS)
    const since = await watermark()
    await db.query(`INSERT INTO legacy VALUES (1, 'a')`)
    await db.query(`UPDATE legacy SET body = 'b'`)
    expect((await entriesSince(since)).map((e) => [e.action, e.resource_type, e.resource_id])).toEqual([
      ['created', 'legacy', '1'],
      ['updated', 'legacy', '1'],
    ])
    await disableCapture(db.pool, 'legacy')
  })

  it('caps large values at 64 KiB with their size and SHA-256, like the ORM path', async () => {
    const big = 'é'.repeat(40_000)
    const since = await watermark()
    await db.query(`INSERT INTO products (name) VALUES ($1)`, [big])
    const [entry] = await entriesSince(since)
    const { createHash } = await import('node:crypto')
    expect(entry!.changes.name.new).toEqual({
      $truncated: { bytes: 80_000, sha256: createHash('sha256').update(big).digest('hex') },
    })
  })
})
