// Cost of database-level capture, measured side by side in one run (not a test; never asserts
// timings), on one fresh database where each configuration has its own copy of the same
// 10-column, 10,000-row table:
//   - uncaptured: no trigger (the baseline);
//   - floor:      the same UPDATE and one INSERT of a JSON entry, in one statement (a writable
//                 CTE) into an unindexed table: the least any audit can cost;
//   - captured:   audit_trail.enable_capture (the generated per-table capture function), the
//                 statement tagged with an app context as the plugins send it;
//   - to_jsonb:   the usual hand-written audit trigger (row-level, to_jsonb(OLD)/to_jsonb(NEW))
//                 into a table with the SAME columns, constraints and indexes as the log.
// Workloads: single-row UPDATE, INSERT and DELETE by key through node-pg (client-timed,
// interleaved rounds), one UPDATE of 10,000 rows, and an in-server commit loop (a procedure
// doing 2,000 single-row UPDATEs, each its own transaction; µs added per committed transaction).
// Run: npm run build && DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/capture.ts
import pg from 'pg'
import { applyMigrations, enableCapture, runWithAuditContext, withAuditContextSql } from '@audit-trail/core'
import { interleave, resultsTable, type Sample } from './support/bench-stats.ts'
import { createBenchDatabase } from './support/bench-database.ts'

const ROWS = 10_000
const LOOP = 2_000
const CONFIGS = ['uncaptured', 'floor', 'captured', 'to_jsonb'] as const
type Config = (typeof CONFIGS)[number]

const table = (config: Config) => `bench_${config}`
const context = { actor: { id: 'bench', name: 'Bench User' }, ipAddress: '10.0.0.1', requestId: 'bench' }
const tagged = (sql: string) => runWithAuditContext(context, () => withAuditContextSql(sql))

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
  for (const config of CONFIGS) {
    await client.query(`
      CREATE TABLE ${table(config)} (
        id serial PRIMARY KEY, name text NOT NULL, price numeric(10, 2) NOT NULL, available boolean NOT NULL,
        sku bigint, quantity integer, attributes jsonb, note text, released_at timestamptz, updated_at timestamptz);
      INSERT INTO ${table(config)} (name, price, available, sku, quantity, attributes, note, released_at)
      SELECT 'Item ' || i, i % 100 + 0.5, true, 9007199254740993 + i, i % 17, jsonb_build_object('i', i, 'tags', jsonb_build_array('a', 'b')),
             repeat('x', 40), timestamptz '2024-01-15 14:30:00Z' + i * interval '1 minute'
      FROM generate_series(1, ${ROWS}) AS i;
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
const loops: Array<{ config: Config; usPerTransaction: number }> = []
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
    // In-server commit loop, rotated three times; the median per config. The CALL carries no tag:
    // capture records these as the database role (the same trigger work).
    const perConfig = new Map<Config, number[]>()
    for (let round = 0; round < 3; round++) {
      for (const config of [...CONFIGS].sort(() => (round % 2 ? 1 : -1))) {
        const started = process.hrtime.bigint()
        await client.query(`CALL loop_${config}(${LOOP})`)
        perConfig.set(config, [...(perConfig.get(config) ?? []), Number(process.hrtime.bigint() - started) / 1000 / LOOP])
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
    for (const config of CONFIGS) loops.push({ config, usPerTransaction: median(perConfig.get(config)!) })
  } finally {
    await client.end()
  }
} finally {
  await database.drop()
}

const base = loops.find((l) => l.config === 'uncaptured')!.usPerTransaction
const floorAdded = loops.find((l) => l.config === 'floor')!.usPerTransaction - base
console.log(`# Capture trigger benchmark\n\nNode ${process.version}, ${new Date().toISOString()}, server defaults\n`)
console.log(resultsTable(samples, 'uncaptured'))
console.log(`\n## In-server commit loop (${LOOP} single-row UPDATEs, each committed)\n`)
console.log('| config | µs per transaction | µs added | × floor’s added |\n|---|---|---|---|')
for (const { config, usPerTransaction } of loops) {
  const added = usPerTransaction - base
  console.log(`| ${config} | ${usPerTransaction.toFixed(1)} | ${added.toFixed(1)} | ${config === 'uncaptured' ? '-' : (added / floorAdded).toFixed(2)} |`)
}
