/**
 * W6 in its own process, so its peak RSS is the export's and not the suite's: exports the first
 * `rows` entries of the log at `url` (a created_at range, see query-log.ts) to a temporary file
 * and prints one JSON line { rows, ms, bytes, rssBefore, peakRss }.
 * Usage: tsx bench/workloads/export-child.ts <url> <rows>
 */
import { createWriteStream, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { createAuditLog } from '@audit-trail/core'
import { timeMs } from '../support/bench-stats.ts'
import { LOG_START, SECONDS_PER_ENTRY } from './query-log.ts'

const [url, rowsArg] = process.argv.slice(2)
const wanted = Number(rowsArg)
const file = join(tmpdir(), `audit_trail_bench_export_${process.pid}.csv`)
const pool = new pg.Pool({ connectionString: url, max: 2 })
const log = createAuditLog({ pool })
try {
  const from = new Date(LOG_START + SECONDS_PER_ENTRY * 1000)
  const to = new Date(LOG_START + SECONDS_PER_ENTRY * 1000 * wanted)
  const rssBefore = process.memoryUsage().rss
  let rows = 0
  const ms = await timeMs(async () => {
    ;({ rows } = await log.exportCsv({ from, to }, createWriteStream(file)))
  })
  const peakRss = process.resourceUsage().maxRSS * 1024
  console.log(JSON.stringify({ rows, ms, bytes: statSync(file).size, rssBefore, peakRss }))
} finally {
  rmSync(file, { force: true })
  await pool.end()
}
