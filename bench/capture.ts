// Cost of database-level capture, measured side by side in one run (not a test; never asserts
// timings): a single-row UPDATE by primary key and one UPDATE of 10,000 rows on
//   - uncaptured:   the table with no trigger (baseline);
//   - captured:     audit_trail.enable_capture (the shipped statement-level triggers);
//   - to_jsonb:     the usual hand-written audit trigger (row-level, full to_jsonb OLD/NEW into a
//                   plain table, no diff, encoding, redaction or key).
// Each config has its own table with the same 10,000 rows, on one fresh database.
// Run: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/capture.ts
import pg from 'pg'
import { applyMigrations, enableCapture } from '@audit-trail/core'
import { interleave, resultsTable, type Sample } from './support/bench-stats.ts'
import { createBenchDatabase } from './support/bench-database.ts'

const ROWS = 10_000
const CONFIGS = ['uncaptured', 'captured', 'to_jsonb'] as const

const table = (config: string) => `bench_${config}`

async function setup(client: pg.Client): Promise<void> {
  await client.query(`
    CREATE TABLE plain_audit (id bigserial PRIMARY KEY, table_name text, op text, old_row jsonb, new_row jsonb, at timestamptz DEFAULT now());
    CREATE FUNCTION plain_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO plain_audit (table_name, op, old_row, new_row)
      VALUES (TG_TABLE_NAME, TG_OP, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
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
      FROM generate_series(1, ${ROWS}) AS i;`)
    await client.query(`VACUUM ANALYZE ${table(config)}`)
  }
  await enableCapture(client, `public.${table('captured')}`, { resourceType: 'item', nameColumn: 'name' })
  await client.query(`CREATE TRIGGER plain_audit AFTER INSERT OR UPDATE OR DELETE ON ${table('to_jsonb')} FOR EACH ROW EXECUTE FUNCTION plain_audit_row()`)
}

const database = await createBenchDatabase('capture')
const samples: Sample[] = []
try {
  await applyMigrations(database.url)
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  try {
    await setup(client)
    // The server's own settings (jit on by default): capture's INSERT uses a generic plan whose
    // row estimate keeps it under jit_above_cost, so a 10,000-row statement pays no JIT.
    const single = Object.fromEntries(
      CONFIGS.map((config) => [
        config,
        (round: number) => client.query(`UPDATE ${table(config)} SET price = price + 1 WHERE id = $1`, [(round % ROWS) + 1]),
      ]),
    )
    samples.push(...(await interleave({ workload: 'single-row UPDATE', configs: single, rounds: 500, warmup: 50 })))
    const bulk = Object.fromEntries(CONFIGS.map((config) => [config, () => client.query(`UPDATE ${table(config)} SET price = price + 1`)]))
    samples.push(...(await interleave({ workload: `${ROWS}-row UPDATE`, configs: bulk, rounds: 7, warmup: 1 })))
  } finally {
    await client.end()
  }
} finally {
  await database.drop()
}

console.log(`# Capture trigger benchmark\n\nNode ${process.version}, ${new Date().toISOString()}, server defaults\n`)
console.log(resultsTable(samples, 'uncaptured'))
