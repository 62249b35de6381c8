// Cost of the hash chain per audited insert, measured side by side in one run (not a test; never
// asserts timings). Configs, each on its own database on the same server:
//   no chain     sql/001-003 only
//   sealer       sql/001-005 (the shipped design: writers do nothing extra)
//   sealer+seal  the same, plus audit_trail.seal_chain() after every write (worst case: sealing
//                after each write instead of on a schedule)
//   commit-link  the rejected design: a DEFERRABLE INITIALLY DEFERRED constraint trigger linking
//                each entry at commit under an advisory lock (prototype below, bench only)
// Workloads: one single-row INSERT, one 1,000-row INSERT (the ORM writer's json_to_recordset),
// and the throughput of 8 concurrent clients doing single-row inserts.
// Run: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/chain.ts
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { applyMigrations, sqlDirectory, writeEntries, type ActivityLogRow } from '@audit-trail/core'
import { interleave, resultsTable, type Sample } from './support/bench-stats.ts'
import { createBenchDatabase } from './support/bench-database.ts'


const COMMIT_LINK_PROTOTYPE = `
CREATE TABLE bench_commit_chain (seq bigserial PRIMARY KEY, entry_id bigint NOT NULL, hash text NOT NULL);
CREATE FUNCTION bench_link() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE prev text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('bench_commit_chain'));
  SELECT hash INTO prev FROM bench_commit_chain ORDER BY seq DESC LIMIT 1;
  INSERT INTO bench_commit_chain (entry_id, hash) VALUES (NEW.id,
    encode(sha256(convert_to(coalesce(prev, repeat('0', 64)) || audit_trail.entry_canonical(to_jsonb(NEW)), 'UTF8')), 'hex'));
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER bench_link AFTER INSERT ON audit_trail.activity_log
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bench_link();`

function entry(n: number): ActivityLogRow {
  return {
    log_name: 'backoffice', actor_type: 'user', actor_id: `u${n % 7}`, actor_name: 'Jan Manager', actor_email: 'jan@example.com',
    impersonator_id: null, impersonator_name: null, action: 'updated', resource_type: 'item', resource_id: String(n),
    resource_name: `Item ${n}`, changes: { price: { old: { $decimal: '12.50' }, new: { $decimal: '13.50' } } },
    changed_fields: ['price'], description: null, ip_address: '192.168.1.100', user_agent: 'bench', location_id: 'loc-1',
    tenant_id: null, request_id: `req-${n}`, source: 'orm', metadata: null,
  }
}

const configs = ['no chain', 'sealer', 'sealer+seal', 'commit-link'] as const
type Config = (typeof configs)[number]

async function setup(config: Config) {
  const database = await createBenchDatabase(config.replace(/[^a-z]/g, '_'))
  if (config === 'no chain') {
    const dir = mkdtempSync(join(tmpdir(), 'audit-sql-'))
    mkdirSync(join(dir, 'functions'))
    for (const file of ['001_activity_log.sql', '002_capture_catalog.sql', 'functions/01_append_only.sql', 'functions/02_capture.sql']) {
      cpSync(join(sqlDirectory(), file), join(dir, file))
    }
    await applyMigrations(database.url, { directory: dir })
    rmSync(dir, { recursive: true })
  } else {
    await applyMigrations(database.url)
  }
  const pool = new pg.Pool({ connectionString: database.url, max: 9 })
  // The bench prototype needs entry_canonical, so it sits on the full migrations.
  if (config === 'commit-link') await pool.query(COMMIT_LINK_PROTOTYPE)
  let n = 0
  const client = await pool.connect()
  const write = async (count: number) => {
    await writeEntries(client, Array.from({ length: count }, () => entry(n++)))
    if (config === 'sealer+seal') await client.query('SELECT audit_trail.seal_chain()')
  }
  return { config, pool, client, write, database }
}

async function throughput(pool: pg.Pool, config: Config, clients: number, perClient: number): Promise<number> {
  const start = process.hrtime.bigint()
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const client = await pool.connect()
      try {
        for (let i = 0; i < perClient; i++) {
          await writeEntries(client, [entry(c * perClient + i)])
          if (config === 'sealer+seal' && i % 100 === 99) await client.query('SELECT audit_trail.seal_chain()')
        }
      } finally {
        client.release()
      }
    }),
  )
  return (clients * perClient) / (Number(process.hrtime.bigint() - start) / 1e9)
}

const setups = await Promise.all(configs.map(setup))
try {
  const samples: Sample[] = []
  samples.push(
    ...(await interleave({
      workload: 'single-row INSERT',
      configs: Object.fromEntries(setups.map((s) => [s.config, () => s.write(1)])),
      rounds: 400,
      warmup: 50,
    })),
  )
  samples.push(
    ...(await interleave({
      workload: '1,000-row INSERT',
      configs: Object.fromEntries(setups.map((s) => [s.config, () => s.write(1000)])),
      rounds: 30,
      warmup: 3,
    })),
  )
  console.log(resultsTable(samples, 'no chain'))
  for (const s of setups) s.client.release()
  console.log('\n| config | 8 clients x 500 single-row inserts, entries/s |\n|---|---|')
  for (const s of setups) console.log(`| ${s.config} | ${(await throughput(s.pool, s.config, 8, 500)).toFixed(0)} |`)

  // Sealing cost, amortised: seal everything written above in one call on the sealer database.
  const sealer = setups.find((s) => s.config === 'sealer')!
  const { rows } = await sealer.pool.query('SELECT count(*)::int AS n FROM audit_trail.activity_log e WHERE e.id > coalesce((SELECT max(entry_id) FROM audit_trail.activity_log_chain), 0)')
  const start = process.hrtime.bigint()
  await sealer.pool.query('SELECT audit_trail.seal_chain()')
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  console.log(`\nseal_chain(): ${rows[0]!.n} entries in ${ms.toFixed(0)} ms (${((ms * 1000) / rows[0]!.n).toFixed(1)} µs per entry)`)
  const verifyStart = process.hrtime.bigint()
  const { verifyChain } = await import('@audit-trail/core')
  const result = await verifyChain(sealer.pool)
  const verifyMs = Number(process.hrtime.bigint() - verifyStart) / 1e6
  console.log(`verifyChain(): ${result.checked} entries in ${verifyMs.toFixed(0)} ms (${((verifyMs * 1000) / result.checked).toFixed(1)} µs per entry), ok=${result.ok}`)
} finally {
  for (const s of setups) {
    await s.pool.end()
    await s.database.drop()
  }
}
