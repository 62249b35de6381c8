// Monthly partitioning (sql/optional/partition_activity_log_by_month.sql) vs a plain log at
// 10,000,000 entries, side by side in one run (not a test; never asserts timings):
//   - bulk load throughput (set-based INSERT ... SELECT, 1M entries per statement, all indexes on);
//   - single-row and 1,000-row INSERT latency through the ORM writer at that size;
//   - history() latency: WHERE resource_type = $1 AND resource_id = $2 ORDER BY id DESC (~50 rows).
// Entries are spread over 24 months in id order, 200,000 resources. Takes several minutes and
// ~15 GB of disk. BENCH_ROWS overrides the size.
// Run: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/partitioning.ts
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { applyMigrations, writeEntries, type ActivityLogRow } from '@audit-trail/core'
import { interleave, resultsTable, timeMs, type Sample } from './support/bench-stats.ts'
import { createBenchDatabase } from './support/bench-database.ts'

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000_000)
const CHUNK = 1_000_000
const RESOURCES = 200_000
const MONTHS = 24
const PARTITION_SQL = readFileSync(new URL('../sql/optional/partition_activity_log_by_month.sql', import.meta.url), 'utf8')

// Set-based generation: entry i is for item (i % RESOURCES), created i/ROWS of the way through
// the last MONTHS months, so ids and dates grow together as in a real log.
const GENERATE_SQL = `
INSERT INTO audit_trail.activity_log (created_at, log_name, actor_type, actor_id, actor_name, action, resource_type,
  resource_id, resource_name, changes, changed_fields, ip_address, location_id, request_id, source)
SELECT now() - make_interval(months => ${MONTHS}) + (i::float8 / $3) * (now() - (now() - make_interval(months => ${MONTHS}))),
       'backoffice', 'user', 'u' || (i % 50), 'User ' || (i % 50), 'updated', 'item', (i % ${RESOURCES})::text,
       'Item ' || (i % ${RESOURCES}), jsonb_build_object('price', jsonb_build_object('old', i % 100, 'new', i % 100 + 1)),
       ARRAY['price'], '192.168.1.100', 'loc-' || (i % 5), 'req-' || i, 'orm'
FROM generate_series($1::bigint, $2::bigint) AS i`

function entry(n: number): ActivityLogRow {
  return {
    log_name: 'backoffice', actor_type: 'user', actor_id: 'u1', actor_name: 'Jan Manager', actor_email: null,
    impersonator_id: null, impersonator_name: null, action: 'updated', resource_type: 'item', resource_id: String(n % RESOURCES),
    resource_name: `Item ${n}`, changes: { price: { old: 1, new: 2 } }, changed_fields: ['price'], description: null,
    ip_address: '192.168.1.100', user_agent: null, location_id: 'loc-1', tenant_id: null, request_id: `req-${n}`,
    source: 'orm', metadata: null,
  }
}

async function setup(partitioned: boolean) {
  const label = partitioned ? 'partitioned' : 'plain'
  const database = await createBenchDatabase(label)
  await applyMigrations(database.url)
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  if (partitioned) {
    await client.query(PARTITION_SQL)
    await client.query(
      `SELECT audit_trail.create_monthly_partitions('audit_trail.activity_log', 3, (now() - make_interval(months => ${MONTHS}))::date)`,
    )
  }
  let loadMs = 0
  for (let from = 1; from <= ROWS; from += CHUNK) {
    const to = Math.min(ROWS, from + CHUNK - 1)
    loadMs += await timeMs(() => client.query(GENERATE_SQL, [from, to, ROWS]))
    process.stderr.write(`${label}: ${to.toLocaleString('en')} entries, ${((to / loadMs) * 1000).toFixed(0)} entries/s\n`)
  }
  await client.query('VACUUM ANALYZE audit_trail.activity_log')
  const { rows } = await client.query(`SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS size
    FROM pg_class c WHERE c.relnamespace = 'audit_trail'::regnamespace AND c.relname LIKE 'activity_log%' AND c.relkind IN ('r', 'p')`)
  return { label, database, client, loadRate: (ROWS / loadMs) * 1000, size: String(rows[0]?.size) }
}

const setups = []
for (const partitioned of [false, true]) setups.push(await setup(partitioned))
try {
  let n = 0
  let seed = 12345
  const nextResource = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return String(seed % RESOURCES)
  }
  const samples: Sample[] = []
  samples.push(...(await interleave({
    workload: 'history(type, id)',
    configs: Object.fromEntries(setups.map((s) => [s.label, () => s.client.query(
      `SELECT * FROM audit_trail.activity_log WHERE resource_type = $1 AND resource_id = $2 ORDER BY id DESC`, ['item', nextResource()])])),
    rounds: 500,
    warmup: 50,
  })))
  samples.push(...(await interleave({
    workload: 'single-row INSERT',
    configs: Object.fromEntries(setups.map((s) => [s.label, () => writeEntries(s.client, [entry(n++)])])),
    rounds: 500,
    warmup: 50,
  })))
  samples.push(...(await interleave({
    workload: '1,000-row INSERT',
    configs: Object.fromEntries(setups.map((s) => [s.label, () => writeEntries(s.client, Array.from({ length: 1000 }, () => entry(n++)))])),
    rounds: 30,
    warmup: 3,
  })))
  console.log(`${ROWS.toLocaleString('en')} entries over ${MONTHS} months, ${RESOURCES.toLocaleString('en')} resources\n`)
  console.log(resultsTable(samples, 'plain'))
  console.log('\n| config | bulk load, entries/s | size with indexes |\n|---|---|---|')
  for (const s of setups) console.log(`| ${s.label} | ${s.loadRate.toFixed(0)} | ${s.size} |`)
  const plan = await setups[1]!.client.query(
    `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM audit_trail.activity_log WHERE resource_type = 'item' AND resource_id = '42' ORDER BY id DESC`,
  )
  console.log('\npartitioned history() plan:\n' + plan.rows.map((r) => r['QUERY PLAN']).slice(0, 6).join('\n') + '\n...')
} finally {
  for (const s of setups) {
    await s.client.end()
    await s.database.drop()
  }
}
