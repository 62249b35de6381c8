// Cost of database-level capture, measured side by side in one run (not a test; never asserts
// timings), on one fresh database where each configuration has its own copy of the same
// 10-column, 10,000-row table:
//   - uncaptured: no trigger (the baseline);
//   - floor:      the same UPDATE and one INSERT of a JSON entry, in one statement (a writable
//                 CTE) into an unindexed table: the least any audit can cost;
//   - captured:   audit_trail.enable_capture (the generated per-table capture function), the
//                 statement tagged with an app context as the plugins send it;
//   - to_jsonb:   the usual hand-written audit trigger (row-level, to_jsonb(OLD)/to_jsonb(NEW))
//                 into a table with the SAME columns, constraints and indexes as the log;
//   - hstore:     Logidze's design, written here from its published description: the history
//                 lives IN the row, in an extra `log_data jsonb` column ({v, h: [{v, ts, c}]}); a
//                 BEFORE INSERT OR UPDATE row trigger puts a full snapshot as version 1 on INSERT
//                 and, on UPDATE, appends the diff `hstore(NEW) - hstore(OLD)` (changed columns,
//                 new values); past 10 versions the two oldest are merged, so the first stays a
//                 full snapshot. No log table; DELETE is not recorded (the history goes with the
//                 row), and the wider rows cost every scan and update of the table;
//   - supa_audit: supa_audit's design (Supabase's audit extension), written here from its
//                 published description: a row-level AFTER INSERT OR UPDATE OR DELETE trigger
//                 that looks the primary key columns up in pg_index/pg_attribute on every call,
//                 derives record_id/old_record_id (uuid v5 of the table oid and key values) and
//                 inserts one row (to_jsonb(NEW), to_jsonb(OLD), op, ts, table oid/schema/name)
//                 into audit.record_version, indexed like the original: primary key on id, brin on
//                 ts, btree on table_oid, record_id and old_record_id.
// Workloads: single-row UPDATE, INSERT and DELETE by key through node-pg (client-timed,
// interleaved rounds), one UPDATE of 10,000 rows, and an in-server commit loop (a procedure
// doing single-row UPDATEs, each its own transaction, in short calls interleaved over the configs;
// µs added per committed transaction, wall time and the server process's CPU time).
// The single-row DELETE finds its row by name, a sequential scan of the whole table.
// Run: npm run build && DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/capture.ts
import pg from 'pg'
import { applyMigrations, enableCapture } from '@audit-trail/core'
import { interleave, resultsTable, type Sample } from './support/bench-stats.ts'
import { createBenchDatabase } from './support/bench-database.ts'
import { BENCH_ROWS as ROWS, benchTableSql, fillBenchTableSql, serverCpuClock, tagged } from './support/capture-bench.ts'

const CHUNK = 250
const LOOP_ROUNDS = 13
const CONFIGS = ['uncaptured', 'floor', 'captured', 'to_jsonb', 'hstore', 'supa_audit'] as const
/** Versions kept in a row's log_data by the hstore config (Logidze's `--limit`). */
const HISTORY_LIMIT = 10
type Config = (typeof CONFIGS)[number]

const table = (config: Config) => `bench_${config}`

// hstore (Logidze-style): the row's own history in log_data = {v: current version, h: [{v, ts (epoch
// ms), c: changed columns}]}; version 1 is a full snapshot, later ones the diff hstore(NEW) - hstore(OLD).
const HSTORE_SQL = `
  CREATE EXTENSION hstore;
  CREATE FUNCTION row_history() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    changes jsonb;
    history jsonb := '[]';
    version int := 1;
  BEGIN
    IF TG_OP = 'UPDATE' AND OLD.log_data IS NOT NULL THEN
      changes := hstore_to_jsonb_loose((hstore(NEW) - hstore(OLD)) - 'log_data'::text);
      IF changes = '{}' THEN
        RETURN NEW;
      END IF;
      history := OLD.log_data -> 'h';
      version := (OLD.log_data ->> 'v')::int + 1;
    ELSE
      changes := hstore_to_jsonb_loose(hstore(NEW) - 'log_data'::text);
    END IF;
    history := history || jsonb_build_array(jsonb_build_object(
      'v', version, 'ts', floor(extract(epoch FROM statement_timestamp()) * 1000)::bigint, 'c', changes));
    IF jsonb_array_length(history) > ${HISTORY_LIMIT} THEN
      -- Fold the two oldest versions into one (the newer's v and ts): the first stays a full snapshot.
      history := jsonb_build_array((history -> 1) || jsonb_build_object('c', (history -> 0 -> 'c') || (history -> 1 -> 'c')))
                 || (history - 0 - 0);
    END IF;
    NEW.log_data := jsonb_build_object('v', version, 'h', history);
    RETURN NEW;
  END $$;`

// supa_audit-style: one row per change in audit.record_version; record ids are uuid v5 of the table
// oid and the primary key values, the key columns read from the catalog on every call.
const SUPA_AUDIT_SQL = `
  CREATE EXTENSION "uuid-ossp";
  CREATE SCHEMA audit;
  CREATE TABLE audit.record_version (
    id bigserial PRIMARY KEY,
    record_id uuid,
    old_record_id uuid,
    op text NOT NULL,
    ts timestamptz NOT NULL DEFAULT now(),
    table_oid oid NOT NULL,
    table_schema name NOT NULL,
    table_name name NOT NULL,
    record jsonb,
    old_record jsonb);
  CREATE INDEX record_version_ts ON audit.record_version USING brin (ts);
  CREATE INDEX record_version_table_oid ON audit.record_version (table_oid);
  CREATE INDEX record_version_record_id ON audit.record_version (record_id);
  CREATE INDEX record_version_old_record_id ON audit.record_version (old_record_id);
  CREATE FUNCTION audit.primary_key_columns(relid oid) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(a.attname::text ORDER BY a.attnum), '{}')
    FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
    WHERE i.indrelid = relid AND i.indisprimary
  $$;
  CREATE FUNCTION audit.to_record_id(relid oid, key_columns text[], rec jsonb) RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN rec IS NOT NULL AND cardinality(key_columns) > 0 THEN
      uuid_generate_v5('dd9db787-5ddc-4472-9926-b92c6978dae4',
        (SELECT jsonb_build_array(relid::bigint) || jsonb_agg(rec -> k.name ORDER BY k.n) FROM unnest(key_columns) WITH ORDINALITY AS k(name, n))::text)
    END
  $$;
  CREATE FUNCTION audit.record_version_row() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    key_columns text[] := audit.primary_key_columns(TG_RELID);
    new_record jsonb := to_jsonb(NEW);
    previous jsonb := to_jsonb(OLD);
  BEGIN
    INSERT INTO audit.record_version (record_id, old_record_id, op, table_oid, table_schema, table_name, record, old_record)
    VALUES (audit.to_record_id(TG_RELID, key_columns, new_record), audit.to_record_id(TG_RELID, key_columns, previous),
            TG_OP, TG_RELID, TG_TABLE_SCHEMA, TG_TABLE_NAME, new_record, previous);
    RETURN coalesce(NEW, OLD);
  END $$;`

async function setup(client: pg.Client): Promise<void> {
  await client.query(`
    CREATE TABLE floor_log (entry jsonb);
    CREATE TABLE plain_audit (LIKE audit_trail.activity_log INCLUDING ALL);
    CREATE FUNCTION plain_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO plain_audit (actor_type, action, resource_type, resource_id, changes, source)
      VALUES ('database', lower(TG_OP), TG_TABLE_NAME, CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END::text,
              jsonb_build_object('old', CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, 'new', CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END),
              'trigger');
      RETURN NULL;
    END $$;`)
  await client.query(HSTORE_SQL)
  await client.query(SUPA_AUDIT_SQL)
  for (const config of CONFIGS) {
    await client.query(benchTableSql(table(config), config === 'hstore' ? ', log_data jsonb' : ''))
    // Logidze's trigger is on before the rows arrive, so each starts with its version-1 snapshot.
    if (config === 'hstore') await client.query(`CREATE TRIGGER row_history BEFORE INSERT OR UPDATE ON ${table(config)} FOR EACH ROW EXECUTE FUNCTION row_history()`)
    await client.query(fillBenchTableSql(table(config)))
    await client.query(`
      CREATE PROCEDURE loop_${config}(n int) LANGUAGE plpgsql AS $$
      BEGIN
        FOR i IN 1..n LOOP
          ${
            config === 'floor'
              ? `WITH u AS (UPDATE ${table(config)} SET price = price + 1 WHERE id = i RETURNING id, price)
                 INSERT INTO floor_log SELECT jsonb_build_object('id', id, 'price', price) FROM u;`
              : `UPDATE ${table(config)} SET price = price + 1 WHERE id = i;`
          }
          COMMIT;
        END LOOP;
      END $$;`)
    await client.query(`VACUUM ANALYZE ${table(config)}`)
  }
  await enableCapture(client, `public.${table('captured')}`, { resourceType: 'item', nameColumn: 'name' })
  await client.query(`CREATE TRIGGER plain_audit AFTER INSERT OR UPDATE OR DELETE ON ${table('to_jsonb')} FOR EACH ROW EXECUTE FUNCTION plain_audit_row()`)
  await client.query(
    `CREATE TRIGGER record_version AFTER INSERT OR UPDATE OR DELETE ON ${table('supa_audit')} FOR EACH ROW EXECUTE FUNCTION audit.record_version_row()`,
  )
}

const update1 = (config: Config, id: number) =>
  config === 'floor'
    ? `WITH u AS (UPDATE ${table(config)} SET price = price + 1 WHERE id = ${id} RETURNING id, price)
       INSERT INTO floor_log SELECT jsonb_build_object('id', id, 'price', price) FROM u`
    : `UPDATE ${table(config)} SET price = price + 1 WHERE id = ${id}`
const insert1 = (config: Config, round: number) =>
  config === 'floor'
    ? `WITH u AS (INSERT INTO ${table(config)} (name, price, available) VALUES ('New ${round}', 1, true) RETURNING *)
       INSERT INTO floor_log SELECT to_jsonb(u) FROM u`
    : `INSERT INTO ${table(config)} (name, price, available) VALUES ('New ${round}', 1, true)`
const delete1 = (config: Config, round: number) =>
  config === 'floor'
    ? `WITH u AS (DELETE FROM ${table(config)} WHERE name = 'New ${round}' RETURNING *) INSERT INTO floor_log SELECT to_jsonb(u) FROM u`
    : `DELETE FROM ${table(config)} WHERE name = 'New ${round}'`

const database = await createBenchDatabase('capture')
const samples: Sample[] = []
const loops: Array<{ config: Config; usPerTransaction: number; cpuUsPerTransaction: number | null }> = []
try {
  await applyMigrations(database.url)
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  try {
    await setup(client)
    const each = (sql: (config: Config, round: number) => string) =>
      Object.fromEntries(CONFIGS.map((config) => [config, (round: number) => client.query(tagged(sql(config, round)))]))
    samples.push(...(await interleave({ workload: 'single-row UPDATE', configs: each((c, r) => update1(c, (r % ROWS) + 1)), rounds: 800, warmup: 100 })))
    samples.push(...(await interleave({ workload: 'single-row INSERT', configs: each(insert1), rounds: 800, warmup: 100 })))
    samples.push(...(await interleave({ workload: 'single-row DELETE', configs: each(delete1), rounds: 800, warmup: 100 })))
    const bulk = Object.fromEntries(
      CONFIGS.map((config) => [
        config,
        () =>
          client.query(
            tagged(
              config === 'floor'
                ? `WITH u AS (UPDATE ${table(config)} SET price = price + 1 WHERE id <= ${ROWS} RETURNING id, price)
                   INSERT INTO floor_log SELECT jsonb_build_object('id', id, 'price', price) FROM u`
                : `UPDATE ${table(config)} SET price = price + 1 WHERE id <= ${ROWS}`,
            ),
          ),
      ]),
    )
    samples.push(...(await interleave({ workload: `${ROWS}-row UPDATE`, configs: bulk, rounds: 9, warmup: 1 })))
    // In-server commit loop: short CALLs (CHUNK committed single-row UPDATEs each), interleaved
    // over all configs for many rounds, so interference from other processes falls on all of them
    // alike. Per config: the median wall time of its chunks, and, when the server runs on this
    // machine (Linux), the server process's own CPU time (/proc/<pid>/schedstat), whose minimum is
    // the steadiest measure on a shared machine. The CALL carries the app's tag, so capture reads
    // and checks it on every UPDATE as it does for an ORM's statements (the trigger reads the tag
    // of the statement the client sent).
    const backendPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
    const cpuClock = serverCpuClock(backendPid)
    const cpuNs = (): number | null => cpuClock?.() ?? null
    const wall = new Map<Config, number[]>()
    const cpu = new Map<Config, number[]>()
    for (let round = 0; round < LOOP_ROUNDS; round++) {
      for (const config of round % 2 ? [...CONFIGS].reverse() : CONFIGS) {
        const cpuBefore = cpuNs()
        const started = process.hrtime.bigint()
        await client.query(tagged(`CALL loop_${config}(${CHUNK})`))
        const cpuAfter = cpuNs()
        if (round === 0) continue // warm-up
        wall.set(config, [...(wall.get(config) ?? []), Number(process.hrtime.bigint() - started) / 1000 / CHUNK])
        if (cpuBefore !== null && cpuAfter !== null) cpu.set(config, [...(cpu.get(config) ?? []), (cpuAfter - cpuBefore) / 1000 / CHUNK])
      }
    }
    const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!
    for (const config of CONFIGS) {
      loops.push({ config, usPerTransaction: median(wall.get(config)!), cpuUsPerTransaction: cpu.has(config) ? Math.min(...cpu.get(config)!) : null })
    }
  } finally {
    await client.end()
  }
} finally {
  await database.drop()
}

const base = loops.find((l) => l.config === 'uncaptured')!
const floor = loops.find((l) => l.config === 'floor')!
const added = (value: number | null, baseline: number | null) => (value === null || baseline === null ? null : value - baseline)
console.log(`# Capture trigger benchmark\n\nNode ${process.version}, ${new Date().toISOString()}, server defaults\n`)
console.log(resultsTable(samples, 'uncaptured'))
console.log(`\n## In-server commit loop (single-row UPDATEs, each committed; ${LOOP_ROUNDS - 1} interleaved rounds of ${CHUNK})\n`)
console.log('| config | wall µs per transaction (median) | µs added | server CPU µs per transaction (min) | CPU µs added | × floor’s CPU added |')
console.log('|---|---|---|---|---|---|')
const floorCpuAdded = added(floor.cpuUsPerTransaction, base.cpuUsPerTransaction)
const fixed = (value: number | null, digits = 1) => (value === null ? 'n/a' : value.toFixed(digits))
for (const { config, usPerTransaction, cpuUsPerTransaction } of loops) {
  const cpuAdded = added(cpuUsPerTransaction, base.cpuUsPerTransaction)
  const timesFloor = config === 'uncaptured' || cpuAdded === null || !floorCpuAdded ? null : cpuAdded / floorCpuAdded
  console.log(
    `| ${config} | ${usPerTransaction.toFixed(1)} | ${(usPerTransaction - base.usPerTransaction).toFixed(1)} | ${fixed(cpuUsPerTransaction)} | ${fixed(cpuAdded)} | ${config === 'uncaptured' ? '-' : fixed(timesFloor, 2)} |`,
  )
}
