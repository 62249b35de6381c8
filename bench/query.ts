// Query API on a large log (not a test; never asserts timings): p50/p95 of history() of one record
// and of filtered list() pages of 100, on 10,000,000 generated entries, with EXPLAIN plans.
// Run: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/query.ts [--rows N] [--keep]
// --keep leaves the bench database in place and reuses it on the next run (generation takes minutes).
import { parseArgs } from 'node:util'
import pg from 'pg'
import { applyMigrations, createAuditLog, type ListOptions } from '@audit-trail/core'
import { percentile, timeMs } from './support/bench-stats.ts'

const { values } = parseArgs({ options: { rows: { type: 'string', default: '10000000' }, keep: { type: 'boolean', default: false } } })
const ROWS = Number(values.rows)
const RECORDS_PER_TYPE = 200_000
const ROUNDS = 300
const WARMUP = 30
const serverUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
const name = `audit_trail_bench_query_${ROWS}`
const url = new URL(serverUrl)
url.pathname = `/${name}`

// Deterministic pseudo-random columns from the row number: ~1,000,000 records (5 types × 200,000)
// with ~10 entries each, 500 actors (10% system entries), 20 locations, 8 changed fields.
const GENERATE_SQL = `
INSERT INTO audit_trail.activity_log (created_at, log_name, actor_type, actor_id, actor_name, action, resource_type,
  resource_id, resource_name, changes, changed_fields, location_id, tenant_id, request_id, source)
SELECT timestamptz '2023-01-01' + g * interval '3 seconds',
       CASE WHEN h1 % 10 = 0 THEN 'customer' ELSE 'backoffice' END,
       CASE WHEN h1 % 10 = 3 THEN 'system' ELSE 'user' END,
       CASE WHEN h1 % 10 = 3 THEN NULL ELSE 'u' || (h2 % 500) END,
       CASE WHEN h1 % 10 = 3 THEN NULL ELSE 'User ' || (h2 % 500) END,
       (ARRAY['updated','updated','updated','updated','created','deleted','disabled','enabled'])[1 + h3 % 8],
       (ARRAY['item','client','order','invoice','user'])[1 + h1 % 5],
       (h2 % ${RECORDS_PER_TYPE})::text,
       'Record ' || (h2 % ${RECORDS_PER_TYPE}),
       jsonb_build_object(field, jsonb_build_object('old', h3 % 1000, 'new', h3 % 1000 + 1)),
       ARRAY[field],
       'loc' || (h2 / 500 % 20),
       't' || (h1 % 7),
       'req-' || g,
       'orm'
  FROM (SELECT g, abs(hashint8(g)) AS h1, abs(hashint8(g + 1000000007)) AS h2, abs(hashint8(g * 7 + 13)) AS h3,
               (ARRAY['name','price','email','phone','available','status','note','address'])[1 + abs(hashint8(g * 31)) % 8] AS field
          FROM generate_series($1::bigint, $2::bigint) AS g) AS s`

async function prepare(): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1
  if (!exists) await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  try {
    await applyMigrations(client)
    const have = Number((await client.query('SELECT count(*) AS n FROM audit_trail.activity_log')).rows[0].n)
    if (have === ROWS) return
    if (have !== 0) throw new Error(`${name} holds ${have} entries, not ${ROWS}: drop it and rerun`)
    // Build secondary indexes once at the end rather than maintain them through 10^7 inserts.
    const indexes = await client.query(
      `SELECT indexname FROM pg_indexes WHERE schemaname = 'audit_trail' AND tablename = 'activity_log' AND indexname <> 'activity_log_pkey'`,
    )
    for (const row of indexes.rows) await client.query(`DROP INDEX audit_trail.${row.indexname}`)
    const chunk = 1_000_000
    for (let start = 1; start <= ROWS; start += chunk) {
      const ms = await timeMs(() => client.query(GENERATE_SQL, [start, Math.min(ROWS, start + chunk - 1)]))
      console.error(`generated ${Math.min(ROWS, start + chunk - 1).toLocaleString('en-US')} entries (${(ms / 1000).toFixed(1)} s)`)
    }
    const ms = await timeMs(() => applyMigrations(client))
    console.error(`indexes rebuilt (${(ms / 1000).toFixed(1)} s)`)
    await client.query('VACUUM ANALYZE audit_trail.activity_log')
  } finally {
    await client.end()
  }
}

async function main(): Promise<void> {
  await prepare()
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 })
  const log = createAuditLog({ pool })
  let seed = 42
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed % n
  }
  const types = ['item', 'client', 'order', 'invoice', 'user']
  const lists: Record<string, () => ListOptions> = {
    'list actorId': () => ({ actorId: `u${random(500)}`, limit: 100 }),
    'list resourceType + field email': () => ({ resourceType: 'client', field: 'email', limit: 100 }),
    'list locationId + action': () => ({ locationId: `loc${random(20)}`, action: 'deleted', limit: 100 }),
    'list one day (from/to)': () => {
      const day = new Date(Date.UTC(2023, 0, 2 + random(300)))
      return { from: day, to: new Date(day.getTime() + 86_399_999), limit: 100 }
    },
    'list system + tenant': () => ({ system: true, tenantId: `t${random(7)}`, limit: 100 }),
  }
  const samples: Record<string, number[]> = { history: [] }
  for (const key of Object.keys(lists)) samples[key] = []
  let historyRows = 0
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const type = types[random(5)]!
    const id = String(random(RECORDS_PER_TYPE))
    const ms = await timeMs(async () => {
      historyRows += (await log.history(type, id)).length
    })
    if (round >= WARMUP) samples.history!.push(ms)
    for (const [key, options] of Object.entries(lists)) {
      const args = options()
      const listMs = await timeMs(() => log.list(args))
      if (round >= WARMUP) samples[key]!.push(listMs)
    }
  }
  console.log(`\n## Query API on ${ROWS.toLocaleString('en-US')} entries (${ROUNDS} rounds after ${WARMUP} warm-up, random arguments)\n`)
  console.log('| query | p50 ms | p95 ms |\n|---|---|---|')
  for (const [key, ms] of Object.entries(samples)) console.log(`| ${key} | ${percentile(ms, 50).toFixed(2)} | ${percentile(ms, 95).toFixed(2)} |`)
  console.log(`\nhistory(): ${(historyRows / (WARMUP + ROUNDS)).toFixed(1)} entries per record on average`)

  // The plans of the statements the API sends, captured from the pool.
  const sent: Array<{ text: string; values: unknown[] }> = []
  const capture = {
    query: async (text: string, params?: readonly unknown[]) => {
      sent.push({ text, values: [...(params ?? [])] })
      return { rows: [] }
    },
  }
  const captureLog = createAuditLog({ pool: capture as unknown as pg.Pool })
  await captureLog.history('client', '4242')
  for (const options of Object.values(lists)) await captureLog.list(options())
  for (const statement of sent) {
    const plan = await pool.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${statement.text}`, statement.values)
    console.log(`\n${statement.text.replace(/SELECT .* FROM/, 'SELECT … FROM')}\n${JSON.stringify(statement.values)}`)
    console.log(plan.rows.map((row) => `    ${row['QUERY PLAN']}`).join('\n'))
  }
  await pool.end()
  if (!values.keep) {
    const admin = new pg.Client({ connectionString: serverUrl })
    await admin.connect()
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  }
}

await main()
