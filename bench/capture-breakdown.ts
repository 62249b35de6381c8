// Where a captured single-row UPDATE's time goes (not a test; never asserts timings). One fresh
// database, one 10-column, 10,000-row table per configuration; each configuration is the table's
// generated capture function (audit_trail.capture_table_<oid>(), read back with
// pg_get_functiondef) with one part replaced, so the difference between two rows is the cost of
// that part:
//   - uncaptured:                no trigger;
//   - trigger, empty, no SET:    the statement trigger with its transition tables, body RETURN NULL,
//                                without SECURITY DEFINER and the SET clauses;
//   - trigger, empty:            the same with the generated function's SECURITY DEFINER and SETs;
//   - + entry_context():         the empty trigger reading the statement's context tag;
//   - + row count:               ... and counting the transition table's rows;
//   - full, constant context:    the generated function with a constant context instead of the call;
//   - full, log without indexes: the generated function writing to a copy of the log with only its
//                                primary key;
//   - full:                      the generated function as enable_capture wrote it.
// Measure: an in-server commit loop (single-row UPDATEs, each committed) in short CALLs that carry
// the app's tag, interleaved over the configurations for many rounds; the server process's CPU
// time per transaction (/proc/<pid>/schedstat, Linux, server on this machine), minimum over rounds.
// The kernel's share of each COMMIT's WAL flush is in every row alike.
// Run: npm run build && DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/capture-breakdown.ts
import pg from 'pg'
import { applyMigrations, enableCapture } from '@audit-trail/core'
import { createBenchDatabase } from './support/bench-database.ts'
import { benchTableSql, fillBenchTableSql, serverCpuClock, tagged } from './support/capture-bench.ts'

const CHUNK = 250
const ROUNDS = 21

/** Replaces `pattern` in a function's text, or fails: a replacement that silently matched nothing would measure the wrong thing. */
function replace(text: string, pattern: RegExp | string, by: string): string {
  const result = text.replace(pattern, by)
  if (result === text) throw new Error(`bench/capture-breakdown.ts: ${String(pattern)} no longer matches the generated capture function; update the bench`)
  return result
}

const emptyBody = (fn: string) => replace(fn, /\nBEGIN\n[\s\S]*\nEND\n/, '\nBEGIN\n  RETURN NULL;\nEND\n')
const withoutContext = (fn: string) => replace(fn, /\nDECLARE\n[\s\S]*?\nBEGIN\n/, '\nBEGIN\n')
const withoutSettings = (fn: string) => replace(fn, / SECURITY DEFINER\n( SET [^\n]*\n)+/, '\n')
const CONFIGS: Array<{ name: string; variant: ((fn: string) => string) | null }> = [
  { name: 'uncaptured', variant: null },
  { name: 'trigger, empty, no SET', variant: (fn) => withoutSettings(withoutContext(emptyBody(fn))) },
  { name: 'trigger, empty', variant: (fn) => withoutContext(emptyBody(fn)) },
  { name: '+ entry_context()', variant: emptyBody },
  {
    name: '+ row count',
    variant: (fn) => replace(fn, /\nBEGIN\n[\s\S]*\nEND\n/, '\nBEGIN\n  IF (SELECT count(*) FROM audit_trail_new) = 1 THEN\n    RETURN NULL;\n  END IF;\n  RETURN NULL;\nEND\n'),
  },
  {
    name: 'full, constant context',
    variant: (fn) =>
      replace(
        fn,
        'audit_trail.entry_context := audit_trail.entry_context();',
        `audit_trail.entry_context := ROW('backoffice', 'user', 'bench', 'Bench User', NULL, NULL, NULL, '10.0.0.1', NULL, NULL, NULL, 'bench', 'orm', NULL)::audit_trail.entry_context;`,
      ),
  },
  { name: 'full, log without indexes', variant: (fn) => replace(fn, /INSERT INTO audit_trail\.activity_log /g, 'INSERT INTO public.log_without_indexes ') },
  { name: 'full', variant: (fn) => fn },
]
const table = (index: number) => `items_${index}`

const database = await createBenchDatabase('capture_breakdown')
const cpuPerTransaction = new Map<string, number[]>()
try {
  await applyMigrations(database.url)
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  try {
    await client.query(`
      CREATE TABLE log_without_indexes (LIKE audit_trail.activity_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY);
      ALTER TABLE log_without_indexes ADD PRIMARY KEY (id);`)
    for (const [index] of CONFIGS.entries()) {
      await client.query(benchTableSql(table(index)))
      await client.query(fillBenchTableSql(table(index)))
      await client.query(`
        CREATE PROCEDURE loop_${index}(n int) LANGUAGE plpgsql AS $$
        BEGIN
          FOR i IN 1..n LOOP
            UPDATE ${table(index)} SET price = price + 1 WHERE id = i;
            COMMIT;
          END LOOP;
        END $$;`)
      await client.query(`VACUUM ANALYZE ${table(index)}`)
    }
    // The generated function of the last table is the template of every variant.
    const fullIndex = CONFIGS.length - 1
    await enableCapture(client, `public.${table(fullIndex)}`, { resourceType: 'item', nameColumn: 'name' })
    const generated = (
      await client.query<{ name: string; definition: string }>(
        `SELECT p.oid::regproc::text AS name, pg_get_functiondef(p.oid) AS definition
         FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
         WHERE t.tgrelid = $1::regclass AND t.tgname = 'audit_trail_capture_update'`,
        [table(fullIndex)],
      )
    ).rows[0]!
    for (const [index, { variant }] of CONFIGS.entries()) {
      if (variant === null || index === fullIndex) continue
      const name = `public.capture_variant_${index}`
      await client.query(variant(replace(generated.definition, generated.name, name)))
      await client.query(
        `CREATE TRIGGER capture_variant AFTER UPDATE ON ${table(index)} REFERENCING OLD TABLE AS audit_trail_old NEW TABLE AS audit_trail_new
         FOR EACH STATEMENT EXECUTE FUNCTION ${name}()`,
      )
    }
    const backendPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
    const cpuNs = serverCpuClock(backendPid)
    if (cpuNs === null) throw new Error(`bench/capture-breakdown.ts measures the server's CPU time from /proc/${backendPid}/schedstat: run it on the (Linux) machine of the server`)
    for (let round = 0; round < ROUNDS; round++) {
      const order = [...CONFIGS.keys()]
      for (const index of round % 2 ? order.reverse() : order) {
        const before = cpuNs()
        await client.query(tagged(`CALL loop_${index}(${CHUNK})`))
        const after = cpuNs()
        if (round === 0) continue // warm-up
        const name = CONFIGS[index]!.name
        cpuPerTransaction.set(name, [...(cpuPerTransaction.get(name) ?? []), (after - before) / 1000 / CHUNK])
      }
    }
  } finally {
    await client.end()
  }
} finally {
  await database.drop()
}

const minimum = (name: string) => Math.min(...cpuPerTransaction.get(name)!)
const base = minimum('uncaptured')
console.log(`# Capture breakdown: one captured single-row UPDATE\n\nNode ${process.version}, ${new Date().toISOString()}, server defaults;`)
console.log(`server CPU µs per committed transaction, minimum of ${ROUNDS - 1} interleaved rounds of ${CHUNK}\n`)
console.log('| configuration | CPU µs per transaction | added to uncaptured |')
console.log('|---|---|---|')
for (const { name } of CONFIGS) console.log(`| ${name} | ${minimum(name).toFixed(1)} | ${(minimum(name) - base).toFixed(1)} |`)
