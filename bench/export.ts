// CSV export of 1,000,000 entries (not a test; never asserts): rows/s and the process's peak RSS,
// streamed to a file through exportCsv(). Run:
// DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/export.ts [--rows N]
import { createWriteStream, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { applyMigrations, createAuditLog } from '@audit-trail/core'
import { timeMs } from './support/bench-stats.ts'

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' } } })
const ROWS = Number(values.rows)
const serverUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
const name = `audit_trail_bench_export_${process.pid}`
const url = new URL(serverUrl)
url.pathname = `/${name}`

const admin = new pg.Client({ connectionString: serverUrl })
await admin.connect()
await admin.query(`CREATE DATABASE ${name}`)
await admin.end()
const file = join(tmpdir(), `${name}.csv`)
try {
  await applyMigrations(url.toString())
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 })
  // Entries shaped like real ones: names, an IP, a two-column change, metadata.
  await pool.query(
    `INSERT INTO audit_trail.activity_log (actor_type, actor_id, actor_name, actor_email, action, resource_type, resource_id,
       resource_name, changes, changed_fields, ip_address, user_agent, location_id, request_id, source, metadata)
     SELECT 'user', 'u' || (g % 500), 'User ' || (g % 500), 'user' || (g % 500) || '@example.com', 'updated', 'item', (g % 100000)::text,
            'Item, "number" ' || (g % 100000),
            jsonb_build_object('price', jsonb_build_object('old', jsonb_build_object('$decimal', (g % 100)::text), 'new', jsonb_build_object('$decimal', (g % 100 + 1)::text)),
                               'name', jsonb_build_object('old', 'Old name ' || g, 'new', 'New name ' || g)),
            ARRAY['name', 'price'], '192.168.1.100', 'Mozilla/5.0 (X11; Linux x86_64)', 'paris', 'req-' || g, 'orm', '{"feature":"menu"}'
       FROM generate_series(1, $1::int) AS g`,
    [ROWS],
  )
  await pool.query('VACUUM ANALYZE audit_trail.activity_log')
  const log = createAuditLog({ pool })
  global.gc?.()
  const rssBefore = process.memoryUsage().rss
  let peak = rssBefore
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 20)
  let rows = 0
  const ms = await timeMs(async () => {
    ;({ rows } = await log.exportCsv({}, createWriteStream(file)))
  })
  clearInterval(sampler)
  peak = Math.max(peak, process.memoryUsage().rss)
  const maxRssKb = process.resourceUsage().maxRSS
  console.log(`\n## CSV export of ${rows.toLocaleString('en-US')} entries\n`)
  console.log('| measure | value |\n|---|---|')
  console.log(`| time | ${(ms / 1000).toFixed(2)} s |`)
  console.log(`| rows/s | ${Math.round(rows / (ms / 1000)).toLocaleString('en-US')} |`)
  console.log(`| file size | ${(statSync(file).size / 1024 / 1024).toFixed(1)} MiB |`)
  console.log(`| RSS before export | ${(rssBefore / 1024 / 1024).toFixed(1)} MiB |`)
  console.log(`| peak RSS during export (sampled every 20 ms) | ${(peak / 1024 / 1024).toFixed(1)} MiB |`)
  console.log(`| peak RSS of the process (getrusage maxrss) | ${(maxRssKb / 1024).toFixed(1)} MiB |`)
  await pool.end()
} finally {
  rmSync(file, { force: true })
  const dropper = new pg.Client({ connectionString: serverUrl })
  await dropper.connect()
  await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  await dropper.end()
}
