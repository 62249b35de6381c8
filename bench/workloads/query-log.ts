/**
 * The large log of W5 and W6: `entries` generated entries in database
 * `audit_trail_bench_log_<entries>`, kept between runs with `--keep` (10,000,000 take minutes).
 *
 * Deterministic pseudo-random columns from the row number: ~1,000,000 records (5 types x
 * 200,000) with ~`entries`/1,000,000 entries each, 500 actors (10% system entries), 20 locations,
 * 8 changed fields; one entry every 3 seconds from 2023-01-01 (so a day holds 28,800 entries).
 */
import pg from 'pg'
import { applyMigrations } from '@audit-trail/core'
import { createBenchDatabase, type BenchDatabase } from '../support/bench-database.ts'
import { timeMs } from '../support/bench-stats.ts'

export const RECORDS_PER_TYPE = 200_000
/** created_at of entry g is LOG_START + 3g seconds. */
export const LOG_START = Date.UTC(2023, 0, 1)
export const SECONDS_PER_ENTRY = 3

const GENERATE_SQL = `
INSERT INTO audit_trail.activity_log (created_at, log_name, actor_type, actor_id, actor_name, actor_email, action, resource_type,
  resource_id, resource_name, changes, changed_fields, ip_address, user_agent, location_id, tenant_id, request_id, source, metadata)
SELECT timestamptz '2023-01-01 00:00:00Z' + g * interval '${SECONDS_PER_ENTRY} seconds',
       CASE WHEN h1 % 10 = 0 THEN 'customer' ELSE 'backoffice' END,
       CASE WHEN h1 % 10 = 3 THEN 'system' ELSE 'user' END,
       CASE WHEN h1 % 10 = 3 THEN NULL ELSE 'u' || (h2 % 500) END,
       CASE WHEN h1 % 10 = 3 THEN NULL ELSE 'User ' || (h2 % 500) END,
       CASE WHEN h1 % 10 = 3 THEN NULL ELSE 'user' || (h2 % 500) || '@example.com' END,
       (ARRAY['updated','updated','updated','updated','created','deleted','disabled','enabled'])[1 + h3 % 8],
       (ARRAY['item','client','order','invoice','user'])[1 + h1 % 5],
       (h2 % ${RECORDS_PER_TYPE})::text,
       'Record, "number" ' || (h2 % ${RECORDS_PER_TYPE}),
       jsonb_build_object(field, jsonb_build_object('old', h3 % 1000, 'new', h3 % 1000 + 1),
                          'price', jsonb_build_object('old', jsonb_build_object('$decimal', (h3 % 100)::text),
                                                      'new', jsonb_build_object('$decimal', (h3 % 100 + 1)::text))),
       ARRAY[field, 'price'],
       CASE WHEN h1 % 10 = 3 THEN NULL ELSE '192.168.1.' || (h2 % 250) END::inet,
       'Mozilla/5.0 (X11; Linux x86_64)',
       'loc' || (h2 / 500 % 20),
       't' || (h1 % 7),
       'req-' || g,
       'orm',
       '{"feature":"menu"}'::jsonb
  FROM (SELECT g, abs(hashint8(g)) AS h1, abs(hashint8(g + 1000000007)) AS h2, abs(hashint8(g * 7 + 13)) AS h3,
               (ARRAY['name','email','phone','available','status','note','address','sku'])[1 + abs(hashint8(g * 31)) % 8] AS field
          FROM generate_series($1::bigint, $2::bigint) AS g) AS s`

/** Opens (and generates when missing) the log of `entries` entries; logs progress to stderr. */
export async function openQueryLog(entries: number, keep: boolean): Promise<BenchDatabase> {
  const database = await createBenchDatabase('log', { name: `audit_trail_bench_log_${entries}`, reuse: keep })
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  try {
    await applyMigrations(client)
    const have = Number((await client.query('SELECT count(*) AS n FROM audit_trail.activity_log')).rows[0].n)
    if (have === entries) return database
    if (have !== 0) throw new Error(`${database.name} holds ${have} entries, not ${entries}: drop it and rerun`)
    // Secondary indexes are built once at the end rather than maintained through every insert;
    // re-applying the migrations recreates them (every CREATE INDEX there is IF NOT EXISTS).
    const indexes = await client.query(
      `SELECT indexname FROM pg_indexes WHERE schemaname = 'audit_trail' AND tablename = 'activity_log' AND indexname <> 'activity_log_pkey'`,
    )
    for (const row of indexes.rows) await client.query(`DROP INDEX audit_trail.${row.indexname}`)
    const chunk = 1_000_000
    for (let start = 1; start <= entries; start += chunk) {
      const end = Math.min(entries, start + chunk - 1)
      const ms = await timeMs(() => client.query(GENERATE_SQL, [start, end]))
      console.error(`  generated ${end.toLocaleString('en-US')} entries (${(ms / 1000).toFixed(1)} s)`)
    }
    await client.query('SET maintenance_work_mem = \'256MB\'')
    const ms = await timeMs(() => applyMigrations(client))
    console.error(`  indexes built (${(ms / 1000).toFixed(1)} s)`)
    await client.query('VACUUM ANALYZE audit_trail.activity_log')
    return database
  } finally {
    await client.end()
  }
}
