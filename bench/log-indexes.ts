// Which secondary indexes of audit_trail.activity_log does the query API need, and what does
// each cost per insert? Measured on a log of 10,000,000 entries with realistic, skewed
// selectivity (an earlier run on 1,000,000 entries had 20 locations, 7 tenants and 8 field
// names, so no filter was selective and dropping indexes looked free). Not a test; asserts nothing.
//
// Data (set-based, generate_series + width_bucket over cumulative Zipf tables; deterministic):
//   - requests of 3 consecutive entries share request_id (a UUID; NULL for system jobs, 8%),
//     created_at, actor, location and tenant; created_at spans 2 years in id order;
//   - 50,000 actors (Zipf s=0.8); 2,000 locations (Zipf s=1.1, 30% NULL);
//     300 tenants (UUIDs, Zipf s=1.1, 50% NULL);
//   - 5 resource types (35/25/20/15/5%) x 2,000,000 records, popular records edited more;
//   - changed_fields: updated_at (85%), status (50%) and 0-3 drawn from 78 more names (Zipf
//     s=1 over 70 ordinary ones; 8 rare ones such as iban and bic at 0.01-0.05% of entries),
//     1-4 fields per entry; changes holds {old, new} for each.
// Queries: the real query API (createAuditLog from @audit-trail/core) on one connection, so the
// SQL is exactly what list()/count()/history()/choices() send. "Without index X" runs each call
// inside BEGIN; DROP INDEX X; <call>; ROLLBACK: the planner cannot use X, nothing is rebuilt, and
// all configurations run interleaved (rotating order each round) on the same data and cache.
// EXPLAIN (ANALYZE, BUFFERS) of the first parameter value names each plan.
// Inserts: (a) single-row INSERTs shaped like a capture entry, interleaved rounds, each config
// inside BEGIN; DROP INDEX ...; inserts; ROLLBACK (statement cost, no commit), timed by the client
// and, for the same rows, inside the server (plpgsql loop, clock_timestamp per statement); also
// rows without location/tenant (an install that sets neither); the WAL of each index per insert
// (pg_walinspect, this transaction's records only); (b) one INSERT per committed transaction with
// all indexes, then with the four really dropped, then again with all (rebuilt; build times
// reported), plus the GIN pending-list cleanup those inserts defer.
//
// Run:  npx tsx bench/log-indexes.ts [--entries 10000000] [--runs 20] [--inserts 4000]
//                                    [--timeout 30000] [--keep]    (--inserts: per configuration)
// Database audit_trail_bench_indexes on DATABASE_URL's server (default the local one), dropped at
// the end unless --keep; with --keep, a later run reuses a log of the same size and generator.
// 10,000,000 entries need about 8 GB of disk and take ~10 minutes to generate on 2 cores.
import { createHash } from 'node:crypto'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { applyMigrations, createAuditLog, type AuditFilter, type AuditLog } from '@audit-trail/core'
import { createBenchDatabase, databaseUrl, withServer } from './support/bench-database.ts'
import { percentile, timeMs } from './support/bench-stats.ts'

// ---------------------------------------------------------------------------------------------
// Options

const argv = process.argv.slice(2)
// strict: a mistyped option is refused before anything is generated (10,000,000 entries take minutes).
const flags = (() => {
  try {
    return parseArgs({
      args: argv,
      options: {
        entries: { type: 'string' },
        runs: { type: 'string' },
        inserts: { type: 'string' },
        timeout: { type: 'string' },
        keep: { type: 'boolean', default: false },
      },
    }).values
  } catch (error) {
    console.error(`${(error as Error).message}\nOptions: --entries N --runs N --inserts N --timeout MS --keep`)
    process.exit(2)
  }
})()
function intOption(name: 'entries' | 'runs' | 'inserts' | 'timeout', fallback: number): number {
  const text = flags[name]
  if (text === undefined) return fallback
  const value = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    console.error(`--${name} needs a positive integer, got ${JSON.stringify(text)}`)
    process.exit(2)
  }
  return value
}
const ENTRIES = intOption('entries', 10_000_000)
const RUNS = intOption('runs', 20)
const INSERTS = intOption('inserts', 4000)
const TIMEOUT_MS = intOption('timeout', 30_000)
const KEEP = flags.keep
const DATABASE = 'audit_trail_bench_indexes'
const GENERATOR = 'log-indexes/1'
const CHUNK = 1_000_000
/** Slow shapes (a warm-up call over this) get SLOW_RUNS runs per configuration instead of RUNS. */
const SLOW_MS = 1000
const SLOW_RUNS = 5
/** Inserts whose WAL is split by relation. */
const WAL_ROWS = 2000

// ---------------------------------------------------------------------------------------------
// Distributions (shared by the SQL generator and the single-row inserts)

const LOCATIONS = 2000
const TENANTS = 300
const ACTORS = 50_000
const RECORDS_PER_TYPE = 2_000_000
const LOCATION_NULL = 0.3
const TENANT_NULL = 0.5
const SYSTEM_SHARE = 0.08
const TYPES = ['item', 'order', 'client', 'invoice', 'user']
const TYPE_WEIGHTS = [0.35, 0.25, 0.2, 0.15, 0.05]
const UPDATED_AT_SHARE = 0.85
const STATUS_SHARE = 0.5
/** Cumulative probabilities of drawing 0, 1, 2 more fields (else 3). */
const DRAWS_CDF = [0.3, 0.75, 0.95]
const ORDINARY_FIELDS = [
  'name', 'price', 'quantity', 'email', 'note', 'phone', 'total', 'address', 'title', 'description',
  'due_date', 'paid_at', 'stock', 'sku', 'discount', 'city', 'zip', 'country', 'first_name', 'last_name',
  'company', 'currency', 'category_id', 'supplier_id', 'assigned_to', 'priority', 'shipped_at', 'tracking_number',
  'carrier', 'invoice_number', 'payment_method', 'payment_status', 'refund_amount', 'tax_rate', 'tax_amount',
  'subtotal', 'shipping_cost', 'billing_address', 'shipping_address', 'contact_name', 'contact_email',
  'contact_phone', 'role', 'locale', 'timezone', 'avatar_url', 'website', 'mobile', 'color', 'size', 'weight',
  'tags', 'vat_number', 'birth_date', 'gender', 'last_login_at', 'approved_by', 'approved_at', 'archived_at',
  'external_id', 'legacy_code', 'barcode', 'ean', 'manufacturer', 'warranty_until', 'serial_number',
  'deleted_reason', 'nationality', 'fax', 'internal_note',
]
/** Rare fields and the share of entries that change them. */
const RARE_FIELDS: Array<[string, number]> = [
  ['credit_limit', 0.0005], ['bank_name', 0.0004], ['birth_place', 0.0003], ['password_hash', 0.0003],
  ['id_number', 0.0002], ['passport_number', 0.00015], ['bic', 0.0001], ['iban', 0.0001],
]
/** Drawn field names in rank order (updated_at and status are not drawn: own shares above). */
const DRAWN_FIELDS = [...ORDINARY_FIELDS, ...RARE_FIELDS.map(([name]) => name)]

/** Upper bounds of ranks 1..n-1 of weights (for width_bucket: rank = buckets below u, plus one). */
function cumulative(weights: readonly number[]): number[] {
  const total = weights.reduce((sum, w) => sum + w, 0)
  const bounds: number[] = []
  let running = 0
  for (const w of weights.slice(0, -1)) {
    running += w / total
    bounds.push(running)
  }
  return bounds
}
const zipf = (n: number, s: number): number[] => cumulative(Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s))
const LOCATION_CDF = zipf(LOCATIONS, 1.1)
const TENANT_CDF = zipf(TENANTS, 1.1)
const ACTOR_CDF = zipf(ACTORS, 0.8)
const TYPE_CDF = cumulative(TYPE_WEIGHTS)
// One draw picks a rare field with its target share (about one draw per entry on average),
// an ordinary one by Zipf s=1 with what is left.
const rareShare = RARE_FIELDS.reduce((sum, [, share]) => sum + share, 0)
const ordinaryWeights = ORDINARY_FIELDS.map((_, k) => 1 / (k + 1))
const ordinaryTotal = ordinaryWeights.reduce((sum, w) => sum + w, 0)
const FIELD_CDF = cumulative([...ordinaryWeights.map((w) => (w / ordinaryTotal) * (1 - rareShare)), ...RARE_FIELDS.map(([, share]) => share)])

const tenantId = (rank: number): string => {
  const hex = createHash('md5').update(`tenant-${rank}`).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

// ---------------------------------------------------------------------------------------------
// Set-based generator

/** A uniform [0, 1) from a hash of `expr` (salted): deterministic, independent per salt. */
const u = (expr: string, salt: number) => `((hashint8(${expr} * 64 + ${salt})::float8 + 2147483648) / 4294967296)`

// $1, $2: first and last g; $3 seconds per request group; $4..$7 and $10 cumulative tables (location,
// tenant, actor, type, field); $8 resource types; $9 drawn field names.
const GENERATE_SQL = `
INSERT INTO audit_trail.activity_log (created_at, log_name, actor_type, actor_id, actor_name, actor_email, action,
  resource_type, resource_id, resource_name, changes, changed_fields, ip_address, user_agent, location_id, tenant_id,
  request_id, transaction_id, source, metadata)
SELECT ts, 'backoffice', CASE WHEN sys THEN 'system' ELSE 'user' END,
       CASE WHEN sys THEN NULL ELSE actor::text END,
       CASE WHEN sys THEN NULL ELSE 'User ' || actor END,
       CASE WHEN sys THEN NULL ELSE 'user' || actor || '@example.com' END,
       action, rtype, rec::text, initcap(rtype) || ' #' || rec,
       (CASE WHEN ua THEN jsonb_build_object('updated_at', jsonb_build_object('old', ts - interval '3 days', 'new', ts)) ELSE '{}' END)
         || (CASE WHEN st THEN jsonb_build_object('status', jsonb_build_object('old', (ARRAY['draft','pending','active','done','cancelled'])[1 + g % 5],
                                                                          'new', (ARRAY['draft','pending','active','done','cancelled'])[1 + (g + 1) % 5])) ELSE '{}' END)
         || (CASE WHEN fn1 IS NOT NULL THEN jsonb_build_object(fn1, jsonb_build_object('old', 'v' || g % 997, 'new', 'v' || g % 991)) ELSE '{}' END)
         || (CASE WHEN fn2 IS NOT NULL THEN jsonb_build_object(fn2, jsonb_build_object('old', g % 1009, 'new', g % 1013)) ELSE '{}' END)
         || (CASE WHEN fn3 IS NOT NULL THEN jsonb_build_object(fn3, jsonb_build_object('old', NULL, 'new', 'w' || g % 89)) ELSE '{}' END),
       array_remove(ARRAY[CASE WHEN ua THEN 'updated_at' END, CASE WHEN st THEN 'status' END, fn1, fn2, fn3], NULL),
       CASE WHEN sys THEN NULL ELSE ('10.' || actor % 256 || '.' || actor / 256 % 256 || '.' || 1 + grp % 200)::inet END,
       CASE WHEN sys THEN NULL ELSE 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36' END,
       loc, ten, CASE WHEN sys THEN NULL ELSE md5('request-' || grp)::uuid::text END, 1000000 + grp,
       CASE WHEN sys THEN 'trigger' ELSE 'orm' END,
       CASE WHEN sys THEN '{"job":"nightly-sync"}'::jsonb END
FROM (
  SELECT *, CASE WHEN nd >= 1 THEN ($9::text[])[f1] END AS fn1,
            CASE WHEN nd >= 2 AND f2 <> f1 THEN ($9::text[])[f2] END AS fn2,
            CASE WHEN nd >= 3 AND f3 <> f1 AND f3 <> f2 THEN ($9::text[])[f3] END AS fn3
  FROM (
    SELECT *, greatest(CASE WHEN ua OR st THEN 0 ELSE 1 END, least(draws, 4 - ua::int - st::int)) AS nd
    FROM (
      SELECT g, grp,
             timestamptz '2024-01-01 00:00:00Z' + (grp * $3::float8) * interval '1 second' AS ts,
             ${u('grp', 1)} < ${SYSTEM_SHARE} AS sys,
             width_bucket(${u('grp', 2)}, $6::float8[]) + 1 AS actor,
             CASE WHEN ${u('grp', 3)} < ${LOCATION_NULL} THEN NULL ELSE 'loc-' || width_bucket(${u('grp', 4)}, $4::float8[]) + 1 END AS loc,
             CASE WHEN ${u('grp', 5)} < ${TENANT_NULL} THEN NULL
                  ELSE md5('tenant-' || width_bucket(${u('grp', 6)}, $5::float8[]) + 1)::uuid::text END AS ten,
             ($8::text[])[width_bucket(${u('g', 7)}, $7::float8[]) + 1] AS rtype,
             floor(${RECORDS_PER_TYPE} * ${u('g', 8)} ^ 2)::bigint + 1 AS rec,
             CASE WHEN ${u('g', 9)} < 0.75 THEN 'updated' WHEN ${u('g', 9)} < 0.9 THEN 'created' WHEN ${u('g', 9)} < 0.95 THEN 'deleted'
                  WHEN ${u('g', 9)} < 0.975 THEN 'disabled' ELSE 'enabled' END AS action,
             ${u('g', 10)} < ${UPDATED_AT_SHARE} AS ua,
             ${u('g', 11)} < ${STATUS_SHARE} AS st,
             width_bucket(${u('g', 12)}, ARRAY[${DRAWS_CDF.join(', ')}]::float8[]) AS draws,
             width_bucket(${u('g', 13)}, $10::float8[]) + 1 AS f1,
             width_bucket(${u('g', 14)}, $10::float8[]) + 1 AS f2,
             width_bucket(${u('g', 15)}, $10::float8[]) + 1 AS f3
      FROM (SELECT g, g / 3 AS grp FROM generate_series($1::bigint, $2::bigint) AS g) AS s
    ) AS drawn
  ) AS counted
) AS named`

// ---------------------------------------------------------------------------------------------
// Indexes under test

interface Config {
  name: string
  drop: string[]
}
const GIN = 'activity_log_changed_fields_gin'
const LOCATION = 'activity_log_location_idx'
const TENANT = 'activity_log_tenant_idx'
const REQUEST = 'activity_log_request_idx'
const FOUR = [GIN, LOCATION, TENANT, REQUEST]
const QUERY_CONFIGS: Config[] = [
  { name: 'all indexes', drop: [] },
  { name: '− GIN fields', drop: [GIN] },
  { name: '− location', drop: [LOCATION] },
  { name: '− tenant', drop: [TENANT] },
  { name: '− request', drop: [REQUEST] },
]
interface InsertConfig extends Config {
  /** Rows with location_id and tenant_id NULL: an install that sets neither. */
  withoutScope?: boolean
  /** Index in INSERT_CONFIGS of the configuration the delta is taken against. */
  baseline: number
}
const INSERT_CONFIGS: InsertConfig[] = [
  ...QUERY_CONFIGS.map((config) => ({ ...config, baseline: 0 })),
  { name: '− all four', drop: FOUR, baseline: 0 },
  { name: 'all indexes, rows without location/tenant', drop: [], withoutScope: true, baseline: 6 },
  { name: '− location − tenant, rows without location/tenant', drop: [LOCATION, TENANT], withoutScope: true, baseline: 6 },
]

// ---------------------------------------------------------------------------------------------
// Helpers

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
/** 0..n-1 in random order (Fisher-Yates). */
function permutation(n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  return order
}
/** Like width_bucket(u, bounds): how many bounds are <= u. */
function bucket(bounds: readonly number[], value: number): number {
  let lo = 0
  let hi = bounds.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (bounds[mid]! <= value) lo = mid + 1
    else hi = mid
  }
  return lo
}
const log = (message: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`)
const int = (n: number) => Math.round(n).toLocaleString('en-US')
const pct = (part: number, whole: number) => {
  const p = (100 * part) / whole
  return p >= 1 ? `${p.toFixed(1)}%` : p >= 0.01 ? `${p.toFixed(2)}%` : `${p.toFixed(4)}%`
}
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
function fmtMs(ms: number): string {
  if (ms < 1) return ms.toFixed(3)
  if (ms < 10) return ms.toFixed(2)
  if (ms < 1000) return ms.toFixed(1)
  return `${(ms / 1000).toFixed(2)} s`
}
const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length
const short = (index: string) => index.replace(/^activity_log_/, '')
function isTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === '57014'
}

// ---------------------------------------------------------------------------------------------
// Database

interface Meta {
  generator: string
  entries: number
  loadMs: number
  buildMs: Record<string, number>
}

/** With --keep: does the database exist with a log of this size and generator? (Else it is recreated.) */
async function reusable(): Promise<boolean> {
  const exists = await withServer(async (server) => (await server.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE])).rowCount === 1)
  if (!exists) return false
  const client = new pg.Client({ connectionString: databaseUrl(DATABASE) })
  await client.connect()
  try {
    const { rows } = await client.query(`SELECT value FROM public.bench_meta WHERE key = 'log'`)
    const meta = rows[0]?.value as Meta | undefined
    return meta?.generator === GENERATOR && meta.entries === ENTRIES
  } catch {
    return false
  } finally {
    await client.end()
  }
}

async function openLog(client: pg.Client): Promise<Meta> {
  await client.query('CREATE TABLE IF NOT EXISTS public.bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)')
  const stored = (await client.query(`SELECT value FROM public.bench_meta WHERE key = 'log'`)).rows[0]?.value as Meta | undefined
  if (stored && stored.generator === GENERATOR && stored.entries === ENTRIES) {
    log(`reusing ${DATABASE} (${int(ENTRIES)} entries)`)
    await applyMigrations(client) // recreates any index a crashed run left dropped
    await client.query('ANALYZE audit_trail.activity_log')
    return stored
  }
  const have = Number((await client.query('SELECT count(*) AS n FROM audit_trail.activity_log')).rows[0].n)
  if (have !== 0) throw new Error(`${DATABASE} holds ${have} entries of another generator/size: drop it or run without --keep`)
  // Secondary indexes are built after the load (as a DBA would for a bulk import), each timed.
  const definitions = await secondaryIndexes(client)
  for (const { name } of definitions) await client.query(`DROP INDEX audit_trail.${name}`)
  await client.query('SET synchronous_commit = off')
  const groupSeconds = (2 * 365 * 86400 * 3) / ENTRIES
  let loadMs = 0
  for (let start = 1; start <= ENTRIES; start += CHUNK) {
    const end = Math.min(ENTRIES, start + CHUNK - 1)
    loadMs += await timeMs(() =>
      client.query(GENERATE_SQL, [start, end, groupSeconds, LOCATION_CDF, TENANT_CDF, ACTOR_CDF, TYPE_CDF, TYPES, DRAWN_FIELDS, FIELD_CDF]),
    )
    log(`generated ${int(end)} entries (${(loadMs / 1000).toFixed(0)} s)`)
  }
  const buildMs = await buildIndexes(client, definitions, 'built')
  await client.query('RESET synchronous_commit')
  await applyMigrations(client) // must find nothing to create
  await client.query('VACUUM (ANALYZE) audit_trail.activity_log')
  const meta: Meta = { generator: GENERATOR, entries: ENTRIES, loadMs, buildMs }
  await client.query(
    `INSERT INTO public.bench_meta VALUES ('log', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    [JSON.stringify(meta)],
  )
  return meta
}

/** Creates each index of `definitions` (with 2 GB of maintenance_work_mem); ms per index name. */
async function buildIndexes(
  client: pg.Client,
  definitions: ReadonlyArray<{ name: string; definition: string }>,
  verb: 'built' | 'rebuilt',
): Promise<Record<string, number>> {
  await client.query(`SET maintenance_work_mem = '2GB'`)
  const ms: Record<string, number> = {}
  for (const { name, definition } of definitions) {
    ms[name] = await timeMs(() => client.query(definition))
    log(`${verb} ${name} (${(ms[name] / 1000).toFixed(1)} s)`)
  }
  await client.query('RESET maintenance_work_mem')
  return ms
}

async function secondaryIndexes(client: pg.Client): Promise<Array<{ name: string; definition: string }>> {
  const { rows } = await client.query(
    `SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
      WHERE i.schemaname = 'audit_trail' AND i.tablename = 'activity_log' AND i.indexname <> 'activity_log_pkey' ORDER BY 1`,
  )
  return rows as Array<{ name: string; definition: string }>
}

// ---------------------------------------------------------------------------------------------
// The data as generated: distributions and the parameter values of the query shapes

interface Counted {
  value: string
  n: number
}
interface DataSet {
  entries: number
  locations: Counted[]
  tenants: Counted[]
  fields: Counted[]
  actors: Counted[]
  nulls: { location: number; tenant: number; request: number; actor: number }
  fieldsPerEntry: Record<string, number>
  sampled: Array<{ resource_type: string; resource_id: string; request_id: string | null; day: string }>
  firstDay: string
  lastDay: string
}

async function describeData(client: pg.Client): Promise<DataSet> {
  const counted = async (sql: string): Promise<Counted[]> =>
    (await client.query(sql)).rows.map((r) => ({ value: String(r.value), n: Number(r.n) }))
  log('reading distributions')
  const locations = await counted(
    `SELECT location_id AS value, count(*) AS n FROM audit_trail.activity_log WHERE location_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1`,
  )
  const tenants = await counted(
    `SELECT tenant_id AS value, count(*) AS n FROM audit_trail.activity_log WHERE tenant_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1`,
  )
  const actors = await counted(
    `SELECT actor_id AS value, count(*) AS n FROM audit_trail.activity_log WHERE actor_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1`,
  )
  const fields = await counted(
    `SELECT f AS value, count(*) AS n FROM audit_trail.activity_log, unnest(changed_fields) AS f GROUP BY 1 ORDER BY 2 DESC, 1`,
  )
  const totals = (
    await client.query(
      `SELECT count(*) AS entries, count(*) FILTER (WHERE location_id IS NULL) AS location, count(*) FILTER (WHERE tenant_id IS NULL) AS tenant,
              count(*) FILTER (WHERE request_id IS NULL) AS request, count(*) FILTER (WHERE actor_id IS NULL) AS actor,
              min(created_at)::date::text AS first_day, max(created_at)::date::text AS last_day
         FROM audit_trail.activity_log WHERE id <= $1`,
      [ENTRIES],
    )
  ).rows[0]
  const perEntry = (
    await client.query(`SELECT cardinality(changed_fields)::text AS k, count(*) AS c FROM audit_trail.activity_log WHERE id <= $1 GROUP BY 1 ORDER BY 1`, [ENTRIES])
  ).rows
  const random = mulberry32(7)
  const ids = Array.from({ length: 400 }, () => 1 + Math.floor(random() * ENTRIES))
  const sampled = (
    await client.query(`SELECT resource_type, resource_id, request_id, (created_at AT TIME ZONE 'UTC')::date::text AS day
         FROM audit_trail.activity_log WHERE id = ANY($1::bigint[]) ORDER BY id`, [ids])
  ).rows as DataSet['sampled']
  return {
    entries: Number(totals.entries),
    locations,
    tenants,
    fields,
    actors,
    nulls: { location: Number(totals.location), tenant: Number(totals.tenant), request: Number(totals.request), actor: Number(totals.actor) },
    fieldsPerEntry: Object.fromEntries(perEntry.map((r) => [String(r.k), Number(r.c)])),
    sampled,
    firstDay: String(totals.first_day),
    lastDay: String(totals.last_day),
  }
}

/** `count` values spread evenly over `from` (in order), cycling to `n`. */
function spread<T>(from: readonly T[], count: number): T[] {
  if (from.length <= count) return [...from]
  return Array.from({ length: count }, (_, i) => from[Math.floor((i * from.length) / count)]!)
}
function cycle<T>(values: readonly T[], n: number): T[] {
  return Array.from({ length: n }, (_, i) => values[i % values.length]!)
}
const range = (values: readonly Counted[]) => {
  const ns = values.map((v) => v.n)
  return `${int(Math.min(...ns))}–${int(Math.max(...ns))} entries each`
}

interface Shape {
  name: string
  /** What the parameter values are. */
  values: string
  /** One call per run (cycled). */
  calls: Array<(log: AuditLog) => Promise<unknown>>
  /** For count shapes: the list shape whose "matches" column it fills. */
  countsFor?: string
}

function shapes(data: DataSet): Shape[] {
  const n = Math.max(RUNS, 5)
  const random = mulberry32(11)
  const fieldRank = data.fields
  const commonFields = fieldRank.slice(0, 5)
  const rareFields = [...fieldRank].sort((a, b) => a.n - b.n).slice(0, 5)
  const bigLocations = data.locations.slice(0, 5)
  const rareLocations = spread(data.locations.slice(-200), 20)
  const bigTenants = data.tenants.slice(0, 3)
  const rareTenants = spread(data.tenants.slice(-50), 10)
  // Half the actors from random entries (busy ones), half uniformly from all actors (the tail).
  const actorsByEntry = spread(data.actors.slice(0, 200), 10)
  const actorsUniform = Array.from({ length: 10 }, () => data.actors[Math.floor(random() * data.actors.length)]!)
  const actors = actorsByEntry.flatMap((a, i) => [a, actorsUniform[i]!])
  const first = Date.parse(`${data.firstDay}T00:00:00Z`)
  const days = Array.from({ length: n }, (_, i) => {
    const day = new Date(first + Math.floor(((i + 0.5) / n) * (Date.parse(`${data.lastDay}T00:00:00Z`) - first) / 86_400_000) * 86_400_000)
    return day.toISOString().slice(0, 10)
  })
  const records = data.sampled.slice(0, n)
  const requests = data.sampled.filter((s) => s.request_id !== null).slice(0, n)
  const typeField = Array.from({ length: n }, (_, i) => ({ type: TYPES[i % TYPES.length]!, field: rareFields[Math.floor(i / TYPES.length) % rareFields.length]! }))
  const names = (values: readonly Counted[]) => values.map((v) => v.value).join(', ')

  const filters: Array<{ name: string; values: string; filters: AuditFilter[] }> = [
    { name: 'unfiltered', values: '(none)', filters: [{}] },
    { name: 'field: common', values: `${names(commonFields)} (${range(commonFields)})`, filters: cycle(commonFields.map((f) => ({ field: f.value })), n) },
    { name: 'field: rare', values: `${names(rareFields)} (${range(rareFields)})`, filters: cycle(rareFields.map((f) => ({ field: f.value })), n) },
    { name: 'locationId: big', values: `top 5 of ${int(data.locations.length)} (${range(bigLocations)})`, filters: cycle(bigLocations.map((l) => ({ locationId: l.value })), n) },
    { name: 'locationId: rare', values: `20 of the 200 rarest (${range(rareLocations)})`, filters: cycle(rareLocations.map((l) => ({ locationId: l.value })), n) },
    { name: 'tenantId: big', values: `top 3 of ${int(data.tenants.length)} (${range(bigTenants)})`, filters: cycle(bigTenants.map((t) => ({ tenantId: t.value })), n) },
    { name: 'tenantId: rare', values: `10 of the 50 rarest (${range(rareTenants)})`, filters: cycle(rareTenants.map((t) => ({ tenantId: t.value })), n) },
    {
      name: 'resourceType + field: rare',
      values: `each type × ${names(rareFields)}`,
      filters: typeField.map(({ type, field }) => ({ resourceType: type, field: field.value })),
    },
    {
      name: 'actorId',
      values: `10 of the 200 busiest + 10 of all ${int(data.actors.length)} (${range(actors)})`,
      filters: cycle(actors.map((a) => ({ actorId: a.value })), n),
    },
    { name: 'from/to: one day', values: `${n} days spread over ${data.firstDay}..${data.lastDay}`, filters: days.map((d) => ({ from: d, to: `${d}T23:59:59.999Z` })) },
    { name: 'requestId', values: `${requests.length} request ids of random entries`, filters: cycle(requests.map((r) => ({ requestId: r.request_id! })), n) },
    {
      name: 'requestId + from/to: its day',
      values: 'the same, with the UTC day of the entry (a lookup from a log line with its date)',
      filters: cycle(requests.map((r) => ({ requestId: r.request_id!, from: r.day, to: `${r.day}T23:59:59.999Z` })), n),
    },
  ]
  const result: Shape[] = []
  for (const f of filters) {
    result.push({ name: `list(${f.name})`, values: f.values, calls: f.filters.map((filter) => (l: AuditLog) => l.list(filter)) })
  }
  result.push({
    name: 'history(type, id)',
    values: `${records.length} records of random entries (busy records more likely)`,
    calls: records.map((r) => (l: AuditLog) => l.history(r.resource_type, r.resource_id)),
  })
  for (const f of filters) {
    result.push({ name: `count(${f.name})`, values: 'as list()', calls: f.filters.map((filter) => (l: AuditLog) => l.count(filter)), countsFor: `list(${f.name})` })
  }
  result.push({ name: 'choices()', values: 'unscoped page', calls: [(l: AuditLog) => l.choices()] })
  result.push({
    name: 'choices({ tenantId }): big',
    values: 'page scoped to a top-3 tenant',
    calls: bigTenants.map((t) => (l: AuditLog) => l.choices({ tenantId: t.value })),
  })
  result.push({
    name: 'choices({ tenantId }): rare',
    values: 'page scoped to a rare tenant',
    calls: rareTenants.map((t) => (l: AuditLog) => l.choices({ tenantId: t.value })),
  })
  return result
}

// ---------------------------------------------------------------------------------------------
// Query measurement

/** The query API on one connection; `recorded` collects the SQL while set. */
class Session {
  readonly log: AuditLog
  recorded: Array<{ text: string; values: unknown[] }> | null = null
  /** Settles when every statement the API has sent so far has settled. */
  private queue: Promise<unknown> = Promise.resolve()
  constructor(readonly client: pg.Client) {
    // One connection: calls that send several statements at once (choices() uses Promise.all)
    // run them one after another, in the order sent.
    const pool = {
      query: (text: string, values?: unknown[]) => {
        this.recorded?.push({ text, values: values ?? [] })
        const result = this.queue.then(() => client.query(text, values))
        this.queue = result.catch(() => undefined)
        return result
      },
    }
    this.log = createAuditLog({ pool: pool as unknown as pg.Pool })
  }

  /** Runs `fn` with `config`'s indexes dropped in a transaction that is rolled back. */
  async without<T>(config: Config, fn: () => Promise<T>): Promise<T> {
    await this.client.query('BEGIN')
    try {
      for (const index of config.drop) await this.client.query(`DROP INDEX audit_trail.${index}`)
      return await fn()
    } finally {
      // After a timeout, statements of the same call may still be queued: they fail in the
      // aborted transaction before it is rolled back.
      await this.queue
      await this.client.query('ROLLBACK')
    }
  }
}

interface Timing {
  ms: number[]
  timedOut: boolean
  /** Result of each call index (config "all indexes"): count() values fill the "matching entries" column. */
  results: unknown[]
}
interface PlanSummary {
  text: string
  buffers: number
  analyzed: boolean
}
interface ShapeResult {
  shape: Shape
  timings: Timing[]
  plans: PlanSummary[]
}

async function timedCall(session: Session, config: Config, call: (l: AuditLog) => Promise<unknown>): Promise<{ ms: number; result?: unknown }> {
  return session.without(config, async () => {
    const start = process.hrtime.bigint()
    try {
      const result = await call(session.log)
      return { ms: Number(process.hrtime.bigint() - start) / 1e6, result }
    } catch (error) {
      if (isTimeout(error)) return { ms: Number.POSITIVE_INFINITY }
      throw error
    }
  })
}

async function measureShape(session: Session, shape: Shape): Promise<ShapeResult> {
  const timings: Timing[] = QUERY_CONFIGS.map(() => ({ ms: [], timedOut: false, results: [] }))
  // Warm-up (not recorded): first parameter once per configuration; records the SQL sent.
  let slowest = 0
  let statements: Array<{ text: string; values: unknown[] }> = []
  for (const [c, config] of QUERY_CONFIGS.entries()) {
    session.recorded = []
    const { ms } = await timedCall(session, config, shape.calls[0]!)
    if (c === 0) statements = session.recorded
    session.recorded = null
    if (ms === Number.POSITIVE_INFINITY) timings[c]!.timedOut = true
    else slowest = Math.max(slowest, ms)
  }
  const runs = slowest > SLOW_MS ? Math.min(RUNS, SLOW_RUNS) : RUNS
  const shuffle = mulberry32(runs * 1000 + shape.calls.length)
  for (let round = 0; round < runs; round++) {
    const call = shape.calls[round % shape.calls.length]!
    // A fresh random order every round: a configuration that scans the whole table evicts
    // shared_buffers, and with a fixed rotation the same configuration would always follow it.
    for (const c of permutation(QUERY_CONFIGS.length, shuffle)) {
      if (timings[c]!.timedOut) continue
      const { ms, result } = await timedCall(session, QUERY_CONFIGS[c]!, call)
      if (ms === Number.POSITIVE_INFINITY) timings[c]!.timedOut = true
      else {
        timings[c]!.ms.push(ms)
        if (c === 0) timings[c]!.results[round % shape.calls.length] = result
      }
    }
  }
  if (shape.countsFor) {
    // Slow shapes ran fewer rounds than there are values: count the rest once (untimed).
    for (let i = 0; i < shape.calls.length; i++) {
      if (timings[0]!.results[i] === undefined && !timings[0]!.timedOut) timings[0]!.results[i] = (await timedCall(session, QUERY_CONFIGS[0]!, shape.calls[i]!)).result
    }
  }
  const plans: PlanSummary[] = []
  for (const [c, config] of QUERY_CONFIGS.entries()) plans.push(await explain(session, config, statements, timings[c]!.timedOut))
  return { shape, timings, plans }
}

interface PlanNode {
  'Node Type': string
  'Index Name'?: string
  'Relation Name'?: string
  'Scan Direction'?: string
  'Parallel Aware'?: boolean
  'Parent Relationship'?: string
  'Shared Hit Blocks'?: number
  'Shared Read Blocks'?: number
  Plans?: PlanNode[]
}

/** EXPLAIN (ANALYZE, BUFFERS) of each statement the call sent (plain EXPLAIN if it timed out): its scans. */
async function explain(
  session: Session,
  config: Config,
  statements: ReadonlyArray<{ text: string; values: unknown[] }>,
  timedOut: boolean,
): Promise<PlanSummary> {
  const parts: string[] = []
  let buffers = 0
  let analyzed = !timedOut
  for (const statement of statements) {
    const run = async (analyze: boolean) =>
      session.without(config, async () => {
        const { rows } = await session.client.query(
          `EXPLAIN (${analyze ? 'ANALYZE, BUFFERS, ' : ''}FORMAT JSON) ${statement.text}`,
          statement.values,
        )
        return (rows[0]['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0]!.Plan
      })
    let plan: PlanNode
    try {
      plan = await run(!timedOut)
    } catch (error) {
      if (!isTimeout(error)) throw error
      plan = await run(false)
      analyzed = false
    }
    const scans: string[] = []
    const walk = (node: PlanNode) => {
      // Scans of the log and its indexes (a Bitmap Index Scan names only its index).
      if (node['Relation Name'] === 'activity_log' || node['Index Name']?.startsWith('activity_log_')) {
        const on = node['Index Name'] ? ` ${short(node['Index Name'])}` : ''
        const label = `${node['Parallel Aware'] ? 'Parallel ' : ''}${node['Node Type']}${node['Scan Direction'] === 'Backward' ? ' Backward' : ''}${on}`
        if (!scans.includes(label)) scans.push(label)
      }
      for (const child of node.Plans ?? []) walk(child)
    }
    walk(plan)
    if (scans.length === 0) continue // e.g. the pg_stats read of choices()
    buffers += (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0)
    parts.push(scans.join(' + '))
  }
  return { text: parts.join(' ; '), buffers, analyzed }
}

// ---------------------------------------------------------------------------------------------
// Insert measurement

const INSERT_COLUMNS = [
  'log_name', 'actor_type', 'actor_id', 'actor_name', 'actor_email', 'action', 'resource_type', 'resource_id', 'resource_name',
  'changes', 'changed_fields', 'ip_address', 'user_agent', 'location_id', 'tenant_id', 'request_id', 'source', 'metadata',
]
const INSERT_SQL = `INSERT INTO audit_trail.activity_log (${INSERT_COLUMNS.join(', ')})
VALUES (${INSERT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`
// The same INSERT run server-side, one statement per row as a capture trigger does, timed with
// clock_timestamp() around each: no round trip, so the indexes' share is not lost in network noise.
const SERVER_INSERT_FUNCTION = `
CREATE OR REPLACE FUNCTION public.bench_insert_rows(rows jsonb) RETURNS float8[] LANGUAGE plpgsql AS $$
DECLARE
  batch audit_trail.activity_log[];
  r audit_trail.activity_log;
  t timestamptz;
  us float8[] := '{}';
BEGIN
  SELECT array_agg(x) INTO batch FROM jsonb_populate_recordset(NULL::audit_trail.activity_log, rows) AS x;
  FOREACH r IN ARRAY batch LOOP
    t := clock_timestamp();
    INSERT INTO audit_trail.activity_log (${INSERT_COLUMNS.join(', ')})
    VALUES (${INSERT_COLUMNS.map((c) => `r.${c}`).join(', ')});
    us := us || (extract(epoch FROM clock_timestamp() - t) * 1e6)::float8;
  END LOOP;
  RETURN us;
END $$`

/** Parameters of one capture-shaped entry, drawn from the same distributions as the log. */
function insertRows(count: number, seed: number): unknown[][] {
  const random = mulberry32(seed)
  const rows: unknown[][] = []
  for (let i = 0; i < count; i++) {
    const system = random() < SYSTEM_SHARE
    const actor = bucket(ACTOR_CDF, random()) + 1
    const location = random() < LOCATION_NULL ? null : `loc-${bucket(LOCATION_CDF, random()) + 1}`
    const tenant = random() < TENANT_NULL ? null : tenantId(bucket(TENANT_CDF, random()) + 1)
    const type = TYPES[bucket(TYPE_CDF, random())]!
    const record = Math.floor(RECORDS_PER_TYPE * random() ** 2) + 1
    const updatedAt = random() < UPDATED_AT_SHARE
    const status = random() < STATUS_SHARE
    const draws = Math.max(updatedAt || status ? 0 : 1, Math.min(bucket(DRAWS_CDF, random()), 4 - Number(updatedAt) - Number(status)))
    const fields = [...(updatedAt ? ['updated_at'] : []), ...(status ? ['status'] : [])]
    for (let d = 0; d < draws; d++) {
      const name = DRAWN_FIELDS[bucket(FIELD_CDF, random())]!
      if (!fields.includes(name)) fields.push(name)
    }
    const changes = Object.fromEntries(fields.map((f) => [f, { old: `v${i % 97}`, new: `v${i % 89}` }]))
    rows.push([
      'backoffice', system ? 'system' : 'user', system ? null : String(actor), system ? null : `User ${actor}`,
      system ? null : `user${actor}@example.com`, 'updated', type, String(record), `${type} #${record}`, JSON.stringify(changes), fields,
      system ? null : `10.${actor % 256}.${(actor >> 8) % 256}.1`, system ? null : 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0',
      location, tenant, system ? null : tenantId(1_000_000 + seed * 100_000 + Math.floor(i / 3)), system ? 'trigger' : 'orm', null,
    ])
  }
  return rows
}

/** The rows as `config` inserts them (an install that sets neither location nor tenant). */
function rowsFor(config: InsertConfig, rows: readonly unknown[][]): unknown[][] {
  return config.withoutScope ? rows.map((row) => row.map((value, i) => (i === 13 || i === 14 ? null : value))) : [...rows]
}

async function insertBatch(client: pg.Client, rows: readonly unknown[][], us: number[]): Promise<void> {
  for (const row of rows) {
    const start = process.hrtime.bigint()
    await client.query(INSERT_SQL, row)
    us.push(Number(process.hrtime.bigint() - start) / 1e3)
  }
}

interface WalShare {
  relation: string
  records: number
  recordBytes: number
  fpi: number
  fpiBytes: number
}

/**
 * WAL of `rows` inserted in one transaction (rolled back) with all indexes, split by the relation
 * each record changes: pg_walinspect's records of this transaction's xid only, so other databases
 * on the server do not count. Null when pg_walinspect is not available.
 */
async function walByRelation(client: pg.Client, rows: readonly unknown[][]): Promise<WalShare[] | null> {
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect')
  } catch {
    return null
  }
  await client.query('BEGIN')
  const { xid, start } = (await client.query(`SELECT (txid_current() % 4294967296)::text AS xid, pg_current_wal_insert_lsn()::text AS start`)).rows[0]
  for (const row of rows) await client.query(INSERT_SQL, row)
  const end = (await client.query('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0].lsn as string
  await client.query('ROLLBACK')
  // pg_walinspect reads flushed WAL only: a committed write flushes everything before it.
  await client.query(`INSERT INTO public.bench_meta VALUES ('wal-flush', '0') ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
  while ((await client.query(`SELECT pg_current_wal_flush_lsn() < $1::pg_lsn AS behind`, [end])).rows[0].behind) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const { rows: shares } = await client.query(
    `SELECT coalesce(c.relname, w.rm) AS relation, count(*) AS records, sum(w.record_length - w.fpi_length) AS record_bytes,
            count(*) FILTER (WHERE w.fpi_length > 0) AS fpi, sum(w.fpi_length) AS fpi_bytes
       FROM (SELECT resource_manager AS rm, record_length, fpi_length, substring(block_ref FROM 'rel \\d+/\\d+/(\\d+)')::oid AS filenode
               FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn) WHERE xid = $3::xid) AS w
       LEFT JOIN pg_class c ON c.relfilenode = w.filenode AND c.relfilenode <> 0
      GROUP BY 1 ORDER BY 3 DESC`,
    [start, end, xid],
  )
  return shares.map((r) => ({
    relation: String(r.relation),
    records: Number(r.records) / rows.length,
    recordBytes: Number(r.record_bytes) / rows.length,
    fpi: Number(r.fpi) / rows.length,
    fpiBytes: Number(r.fpi_bytes) / rows.length,
  }))
}

/** Runs `fn` in BEGIN; DROP INDEX (config's); ...; ROLLBACK. */
async function inRolledBack(client: pg.Client, config: Config, fn: () => Promise<void>): Promise<void> {
  await client.query('BEGIN')
  try {
    for (const index of config.drop) await client.query(`DROP INDEX audit_trail.${index}`)
    await fn()
  } finally {
    await client.query('ROLLBACK')
  }
}

async function serverBatch(client: pg.Client, rows: readonly unknown[][], us: number[]): Promise<void> {
  const objects = rows.map((row) =>
    Object.fromEntries(INSERT_COLUMNS.map((column, i) => [column, column === 'changes' && typeof row[i] === 'string' ? JSON.parse(row[i] as string) : row[i]])),
  )
  const { rows: result } = await client.query('SELECT public.bench_insert_rows($1::jsonb) AS us', [JSON.stringify(objects)])
  us.push(...(result[0].us as number[]))
}

interface InsertTimes {
  /** Per configuration: µs per INSERT as the client sees it (round trip). */
  client: number[][]
  /** Per configuration: µs per INSERT statement inside the server. */
  server: number[][]
}

/**
 * (a) Statement cost: per config, INSERTs inside BEGIN; DROP INDEX ...; ROLLBACK, interleaved
 * rounds with the same rows for every config; each round sends the rows one by one from the
 * client, then the same rows again through bench_insert_rows (server-side timing).
 */
async function insertsInTransaction(client: pg.Client): Promise<InsertTimes> {
  await client.query(SERVER_INSERT_FUNCTION)
  const rounds = 20
  const batch = Math.ceil(INSERTS / rounds)
  const samples: InsertTimes = { client: INSERT_CONFIGS.map(() => []), server: INSERT_CONFIGS.map(() => []) }
  const shuffle = mulberry32(4242)
  for (let round = -1; round < rounds; round++) {
    const rows = insertRows(round < 0 ? 50 : batch, 100 + round) // the same rows for every config in a round
    for (const c of permutation(INSERT_CONFIGS.length, shuffle)) {
      const config = INSERT_CONFIGS[c]!
      await inRolledBack(client, config, async () => {
        await insertBatch(client, rowsFor(config, rows), round < 0 ? [] : samples.client[c]!)
        await serverBatch(client, rowsFor(config, rows), round < 0 ? [] : samples.server[c]!)
      })
    }
    if (round >= 0 && (round + 1) % 5 === 0) log(`inserts in transactions: round ${round + 1}/${rounds}`)
  }
  return samples
}

interface CommittedResult {
  phases: Array<{ name: string; us: number[] }>
  rebuildMs: Record<string, number>
  pendingCleanupMs: number
}

/** (b) One INSERT per committed transaction: all indexes, the four really dropped, all again (rebuilt). */
async function insertsCommitted(client: pg.Client): Promise<CommittedResult> {
  const definitions = (await secondaryIndexes(client)).filter((d) => FOUR.includes(d.name))
  await client.query(`SELECT gin_clean_pending_list('audit_trail.${GIN}'::regclass)`)
  const phase = async (name: string, seed: number) => {
    const us: number[] = []
    await insertBatch(client, insertRows(50, seed + 1), []) // warm-up
    await insertBatch(client, insertRows(INSERTS, seed), us)
    log(`committed inserts: ${name}`)
    return { name, us }
  }
  const phases = [await phase('all indexes (before)', 200)]
  for (const index of FOUR) await client.query(`DROP INDEX audit_trail.${index}`)
  phases.push(await phase('− all four (really dropped)', 300))
  const rebuildMs = await buildIndexes(client, definitions, 'rebuilt')
  phases.push(await phase('all indexes (after rebuild)', 400))
  // The GIN index defers most of its work (fastupdate): entries wait in a pending list that the
  // next VACUUM, autoanalyze or a full list (gin_pending_list_limit) merges. Timed here for the
  // rows of the last phase.
  const pendingCleanupMs = await timeMs(() => client.query(`SELECT gin_clean_pending_list('audit_trail.${GIN}'::regclass)`))
  return { phases, rebuildMs, pendingCleanupMs }
}

// ---------------------------------------------------------------------------------------------
// Report

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
}

async function main(): Promise<void> {
  const database = await createBenchDatabase('indexes', { name: DATABASE, reuse: KEEP && (await reusable()) })
  const client = new pg.Client({ connectionString: database.url, application_name: 'bench log-indexes' })
  await client.connect()
  const out: string[] = []
  try {
    const server = (await client.query(`SELECT current_setting('server_version') AS v, current_setting('shared_buffers') AS sb,
        current_setting('jit') AS jit, current_setting('work_mem') AS wm, current_setting('max_parallel_workers_per_gather') AS par,
        current_setting('max_parallel_maintenance_workers') AS pmw`)).rows[0]
    await applyMigrations(client)
    const meta = await openLog(client)
    const data = await describeData(client)
    const sizes = (
      await client.query(
        `SELECT c.relname AS name, pg_relation_size(c.oid) AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'audit_trail' AND (c.relname = 'activity_log' OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'audit_trail.activity_log'::regclass))
          ORDER BY c.relname = 'activity_log' DESC, 1`,
      )
    ).rows.map((r) => ({ name: String(r.name), bytes: Number(r.bytes) }))
    const toast = Number((await client.query(`SELECT pg_total_relation_size('audit_trail.activity_log') - pg_indexes_size('audit_trail.activity_log') - pg_relation_size('audit_trail.activity_log') AS b`)).rows[0].b)

    await client.query(`SET statement_timeout = ${TIMEOUT_MS}`)
    const session = new Session(client)
    const results: ShapeResult[] = []
    for (const shape of shapes(data)) {
      log(`query ${shape.name}`)
      results.push(await measureShape(session, shape))
    }
    await client.query('RESET statement_timeout')

    log('inserts (a): statements in rolled-back transactions')
    const inTransaction = await insertsInTransaction(client)
    log('inserts: WAL by relation')
    const wal = await walByRelation(client, insertRows(WAL_ROWS, 600))
    log('inserts (b): committed, one per transaction')
    const committed = await insertsCommitted(client)

    // ----- report
    const N = data.entries
    out.push(`# activity_log secondary indexes at ${int(N)} entries`, '')
    out.push(
      `PostgreSQL ${server.v} (shared_buffers ${server.sb}, work_mem ${server.wm}, jit ${server.jit}, ${server.par} parallel workers per gather), ` +
        `same machine, one connection. Generated by \`npx tsx bench/log-indexes.ts${argv.length ? ` ${argv.join(' ')}` : ''}\` on ${new Date().toISOString()}.`,
      `Load: ${(meta.loadMs / 1000).toFixed(0)} s for ${int(meta.entries)} entries (primary key only), then each secondary index built on its own.`,
      '',
    )
    out.push('## Data', '')
    const top = (values: Counted[], k: number) => values.slice(0, k).map((v) => pct(v.n, N)).join(', ')
    const rareFields = [...data.fields].sort((a, b) => a.n - b.n)
    out.push(
      table(
        ['column', 'distinct', 'NULL', 'largest values (share of all entries)', 'smallest values'],
        [
          ['location_id', int(data.locations.length), pct(data.nulls.location, N), top(data.locations, 5), `${data.locations.slice(-3).map((v) => int(v.n)).join(', ')} entries`],
          ['tenant_id', int(data.tenants.length), pct(data.nulls.tenant, N), top(data.tenants, 5), `${data.tenants.slice(-3).map((v) => int(v.n)).join(', ')} entries`],
          ['actor_id', int(data.actors.length), pct(data.nulls.actor, N), top(data.actors, 5), `${data.actors.slice(-3).map((v) => int(v.n)).join(', ')} entries`],
          [
            'changed_fields (elements)',
            int(data.fields.length),
            '0',
            data.fields.slice(0, 5).map((v) => `${v.value} ${pct(v.n, N)}`).join(', '),
            rareFields.slice(0, 4).map((v) => `${v.value} ${int(v.n)}`).join(', '),
          ],
          ['request_id', 'one per request (3 consecutive entries)', pct(data.nulls.request, N), '', ''],
        ],
      ),
      '',
      `Fields per entry: ${Object.entries(data.fieldsPerEntry).map(([k, c]) => `${k}: ${pct(c, N)}`).join(', ')}. ` +
        `Resource types ${TYPES.map((t, i) => `${t} ${Math.round(TYPE_WEIGHTS[i]! * 100)}%`).join(', ')}, ids 1..${int(RECORDS_PER_TYPE)} (popular records edited more). ` +
        `created_at ${data.firstDay} .. ${data.lastDay}.`,
      '',
    )

    out.push('## Index sizes and build times', '')
    const tableBytes = sizes.find((s) => s.name === 'activity_log')?.bytes ?? 0
    out.push(
      table(
        ['relation', 'size', 'bytes/entry', 'build (after load)', 'rebuild (during insert test)'],
        sizes.map((s) => [
          s.name === 'activity_log' ? `activity_log (heap; + ${mb(toast)} TOAST)` : s.name,
          mb(s.bytes),
          (s.bytes / N).toFixed(1),
          meta.buildMs[s.name] !== undefined ? `${(meta.buildMs[s.name]! / 1000).toFixed(1)} s` : '',
          committed.rebuildMs[s.name] !== undefined ? `${(committed.rebuildMs[s.name]! / 1000).toFixed(1)} s` : '',
        ]),
      ),
      '',
      `All secondary indexes: ${mb(sizes.filter((s) => s.name !== 'activity_log' && s.name !== 'activity_log_pkey').reduce((sum, s) => sum + s.bytes, 0))} ` +
        `(heap ${mb(tableBytes)}). Builds with maintenance_work_mem 2GB, up to ${server.pmw} parallel workers (b-tree only).`,
      '',
    )

    out.push('## Query latency: median ms per configuration', '')
    out.push(
      `Each call through the query API (createAuditLog) on one connection; "− X": the same call in a transaction that dropped index X ` +
        `(rolled back after). Configurations interleaved, in a random order each round, ${RUNS} runs each with the parameter values cycled ` +
        `(${SLOW_RUNS} runs when a warm-up call took over ${SLOW_MS} ms); warm-up not recorded; statement_timeout ${TIMEOUT_MS / 1000} s. ` +
        `"×" is the ratio to "all indexes" when it is over 1.5 or under 0.67 and the medians differ by 0.5 ms or more. list() pages are ` +
        `limit 100 (LIMIT 101). choices() sends its statements one after another here (a pool would overlap three of them). ` +
        `The heap is ${mb(tableBytes)} against shared_buffers ${server.sb}; it fits the OS page cache, so misses are memory reads, not disk.`,
      '',
    )
    const matches = new Map<string, string>()
    for (const r of results) {
      if (!r.shape.countsFor) continue
      const counts = r.timings[0]!.results.map(Number).filter((v) => Number.isFinite(v))
      const [low, high] = [Math.min(...counts), Math.max(...counts)]
      if (counts.length) matches.set(r.shape.countsFor, low === high ? int(low) : `${int(low)}–${int(high)}`)
    }
    const cell = (t: Timing, base: Timing) => {
      if (t.timedOut) return `> ${TIMEOUT_MS / 1000} s (timeout)`
      const median = percentile(t.ms, 50)
      const baseMedian = base.timedOut ? Number.POSITIVE_INFINITY : percentile(base.ms, 50)
      const ratio = median / baseMedian
      const shown = (ratio > 1.5 || ratio < 0.67) && Math.abs(median - baseMedian) >= 0.5
      return `${fmtMs(median)}${shown ? ` (×${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)})` : ''}`
    }
    out.push(
      table(
        ['call', 'parameter values', 'matching entries', ...QUERY_CONFIGS.map((c) => c.name), 'runs'],
        results.map((r) => [
          `\`${r.shape.name}\``,
          r.shape.values,
          matches.get(r.shape.name) ?? (r.shape.countsFor ? matches.get(r.shape.countsFor) ?? '' : ''),
          ...r.timings.map((t) => cell(t, r.timings[0]!)),
          String(Math.max(...r.timings.map((t) => t.ms.length))),
        ]),
      ),
      '',
    )

    out.push('## Plans', '')
    out.push(
      'Scan nodes of EXPLAIN (ANALYZE, BUFFERS) for the first parameter value of each call (every statement the call sends; `;` separates ' +
        'statements, choices() sends actors ; resource types ; locations ; recent window), and shared buffers touched. "same": the plan of ' +
        '"all indexes". "(plan only)": EXPLAIN without ANALYZE because the query timed out.',
      '',
    )
    out.push(
      table(
        ['call', ...QUERY_CONFIGS.map((c) => c.name)],
        results.map((r) => [
          `\`${r.shape.name}\``,
          ...r.plans.map((p, c) => {
            const buf = p.analyzed ? `; ${int(p.buffers)} buf` : ' (plan only)'
            return c > 0 && p.text === r.plans[0]!.text ? `same${buf}` : `${p.text}${buf}`
          }),
        ]),
      ),
      '',
    )

    out.push('## Insert cost', '')
    out.push(
      `(a) Statement cost. Single-row INSERT ... VALUES of a capture-shaped entry (1–4 changed fields; location, tenant, request id ` +
        `as in the data: request ids are random UUIDs, one per 3 rows); per configuration ${int(inTransaction.client[0]!.length)} inserts in 20 ` +
        `rounds, configurations in a random order each round, each round \`BEGIN; DROP INDEX ...; inserts; ROLLBACK\` with the same rows for every configuration; commit not included. ` +
        `"server": each INSERT timed inside PostgreSQL (a plpgsql loop, one statement per row as the capture trigger runs them: ` +
        `executor, heap, indexes, WAL insert); "client": the same rows sent one by one through one pg client (adds round trip, parse, ` +
        `plan). Δ against "all indexes" (the last configuration: against the one above it).`,
      '',
    )
    const delta = (value: number, base: number) => `${value - base >= 0 ? '+' : ''}${(value - base).toFixed(1)}`
    out.push(
      table(
        ['configuration', 'server median µs', 'server mean µs', 'Δ median', 'Δ mean', 'client median µs', 'client mean µs', 'Δ median', 'Δ mean'],
        INSERT_CONFIGS.map((config, c) => {
          const own = c === config.baseline
          const cells = (times: number[][]) => {
            const [s, b] = [times[c]!, times[config.baseline]!]
            return [
              percentile(s, 50).toFixed(1),
              mean(s).toFixed(1),
              own ? '' : delta(percentile(s, 50), percentile(b, 50)),
              own ? '' : delta(mean(s), mean(b)),
            ]
          }
          return [config.name, ...cells(inTransaction.server), ...cells(inTransaction.client)]
        }),
      ),
      '',
    )
    if (wal) {
      out.push(
        `WAL per insert by relation: ${int(WAL_ROWS)} inserts in one transaction with all indexes (pg_walinspect, this transaction's records only). ` +
          `FPI: full-page images, written for the first change of a page after a checkpoint (full_page_writes): an index whose inserts ` +
          `land on random pages (a random UUID key) pays one on nearly every insert unless the log is written fast enough to hit ` +
          `the same pages within one checkpoint interval; indexes filled at the right edge (id, time) or on a few hot pages pay rarely. ` +
          `A record with an FPI carries the page instead of the tuple, so compare totals.`,
        '',
        table(
          ['relation', 'records/insert', 'record bytes/insert', 'FPI/insert', 'FPI bytes/insert', 'total bytes/insert'],
          wal.map((w) => [
            w.relation,
            w.records.toFixed(2),
            w.recordBytes.toFixed(0),
            w.fpi.toFixed(3),
            w.fpiBytes.toFixed(0),
            (w.recordBytes + w.fpiBytes).toFixed(0),
          ]),
        ),
        '',
      )
    } else out.push('(pg_walinspect is not available: no WAL breakdown.)', '')
    out.push(
      `(b) One INSERT per committed transaction (autocommit, synchronous_commit on, so each waits for its WAL flush), ` +
        `${int(INSERTS)} per phase, phases in this order (not interleaved: the drop is real).`,
      '',
    )
    out.push(
      table(
        ['phase', 'median µs', 'mean µs', 'p95 µs'],
        committed.phases.map(({ name, us }) => [name, percentile(us, 50).toFixed(0), mean(us).toFixed(0), percentile(us, 95).toFixed(0)]),
      ),
      '',
      `GIN pending list: merging the ${int(INSERTS)} entries of the last phase into the index (gin_clean_pending_list: what VACUUM, ` +
        `autoanalyze or an insert that finds the list full at gin_pending_list_limit does) took ${fmtMs(committed.pendingCleanupMs)} ms = ` +
        `${((committed.pendingCleanupMs * 1000) / INSERTS).toFixed(0)} µs per insert, not included above.`,
      '',
    )
    process.stdout.write(`${out.join('\n')}\n`)
  } finally {
    await client.end()
    if (!KEEP) {
      await database.drop()
      log(`dropped ${DATABASE}`)
    } else log(`kept ${DATABASE}`)
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
