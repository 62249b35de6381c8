import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { runWithAuditContext, verifyChain } from '@audit-trail/core'
import type { OpenedOrm } from '../behaviour/driver.js'
import type { TestDatabase } from '../support/test-database.js'
import { replayedState, sortedState, tableState } from '../reliability/log-invariant.js'
import { ALL_WRITE_PATHS } from '../reliability/reliability-fixtures.js'
import { BUSINESS_OPTIONS } from '../support/business-schema.js'
import { useBusinessDatabase } from '../support/orm-database.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** After a crash: replaying the log gives the tables exactly (R1's invariant) and the chain verifies. */
async function expectRecovered(db: TestDatabase): Promise<void> {
  expect(sortedState(await replayedState(db))).toEqual(sortedState(await tableState(db)))
  const verified = await verifyChain(db.pool)
  expect(verified).toMatchObject({ ok: true, unsealed: 0 })
  const { total } = await db.one<{ total: number }>(`SELECT count(*)::int AS total FROM audit_trail.activity_log`)
  expect(verified.checked).toBe(total)
}

describe.each(ALL_WRITE_PATHS)('R2 the writing process killed with SIGKILL mid-transaction: $name', (driver) => {
  const db = useBusinessDatabase()

  it('leaves the committed transactions with all their entries and nothing of the killed one', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/stress/crash-writer.ts'), driver.name, db.url, '20'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('MID') && resolve())
      child.on('exit', (code) => reject(new Error(`crash writer exited (${code}) before MID: ${stderr}`)))
    })
    // The killed transaction is open now, its writes done: it holds a backend in a transaction.
    const open = await db.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`)
    expect(open.length).toBeGreaterThan(0)
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    // The server notices the closed socket and rolls the transaction back.
    for (let i = 0; i < 100; i++) {
      const left = await db.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`)
      if (left.length === 0) break
      await sleep(100)
    }
    expect(await db.query(`SELECT name FROM clients WHERE name LIKE 'killed%'`)).toEqual([])
    const { killed } = await db.one<{ killed: number }>(`SELECT count(*)::int AS killed FROM audit_trail.activity_log WHERE resource_name LIKE 'killed%'`)
    expect(killed).toBe(0)
    const { done } = await db.one<{ done: number }>(`SELECT count(*)::int AS done FROM audit_trail.activity_log WHERE resource_name LIKE 'done%'`)
    // 20 transactions x (1 client + 3 items created + 1 single update + 3 bulk updates)
    expect(done).toBe(20 * 8)
    await expectRecovered(db)
  })
})

// Stopping PostgreSQL needs the cluster's control script and the right to run it (root or the
// cluster owner, as on CI and the dev machine). Where the process may not control the cluster
// the scenario cannot exist, so it is not defined.
const version = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql')[0] : undefined
const mayControlCluster =
  version !== undefined &&
  spawnSync('pg_ctlcluster', ['--help']).error === undefined &&
  ['root', 'postgres'].includes(process.env.USER ?? spawnSync('id', ['-un']).stdout.toString().trim())

function cluster(action: 'stop' | 'start'): void {
  const args = ['--skip-systemctl-redirect', version!, 'main', action, ...(action === 'stop' ? ['-m', 'immediate'] : [])]
  const result = spawnSync('pg_ctlcluster', args, { encoding: 'utf8' })
  // "already running" on start is fine; anything else is reported by the readiness wait.
  if (result.status !== 0 && !/already running/.test(result.stderr)) console.error(`pg_ctlcluster ${args.join(' ')}: ${result.stderr}`)
}
async function waitReady(): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if (spawnSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-q']).status === 0) return
    await sleep(500)
  }
  throw new Error('PostgreSQL did not come back within 60 s')
}

if (mayControlCluster) {
  describe.each(ALL_WRITE_PATHS)('R2 PostgreSQL stopped with -m immediate under load, then restarted: $name', (driver) => {
    const db = useBusinessDatabase()

    it('after recovery every entry matches a committed change and the chain verifies', async () => {
      // Idle connections of the test's own pool die with the server: pg reports that as an
      // 'error' event, which must not crash the run; the pool replaces them afterwards.
      db.pool.on('error', () => undefined)
      let orm: OpenedOrm | undefined = await driver.open({ url: db.url, options: BUSINESS_OPTIONS, poolSize: 4 })
      let stopping = false
      let committed = 0
      let failed = 0
      const worker = async (w: number) => {
        for (let t = 0; !stopping; t++) {
          try {
            await runWithAuditContext({ actor: { id: `w${w}` } }, () =>
              orm!.session.transaction(async (tx) => {
                const client = await tx.createClient({ name: `w${w} c${t}` })
                await tx.createItems([{ clientId: client, name: `w${w} i${t}a`, price: '1.00', available: true }, { clientId: client, name: `w${w} i${t}b`, price: '2.00', available: true }])
                await tx.setPriceOfClientItems(client, '3.00')
              }),
            )
            committed++
          } catch {
            failed++
          }
        }
      }
      const workers = Promise.all(Array.from({ length: 4 }, (_, w) => worker(w)))
      try {
        await sleep(1500)
        cluster('stop')
        await sleep(500)
      } finally {
        stopping = true
        // Always bring the cluster back, whatever the writers do: other tests and CI need it.
        cluster('start')
        await waitReady()
      }
      // Every write in flight at the crash must settle (fail or commit) once the server is back.
      // Known gap (MikroORM 7.2 / its Kysely pg driver): a flush whose connection died with the
      // server never settles, with or without the audit subscriber (checked against the plugin
      // before this suite). For MikroORM this test therefore checks recovery only, after 20 s.
      const hangs = driver.name.startsWith('mikro-orm')
      const settled = await Promise.race([workers.then(() => 'settled'), sleep(hangs ? 20_000 : 60_000).then(() => 'hung')])
      expect(settled).toBe(hangs ? 'hung' : 'settled')
      expect(committed).toBeGreaterThan(0)
      expect(failed).toBeGreaterThan(0)
      if (hangs) void orm.close().catch(() => undefined)
      else await orm.close().catch(() => undefined)
      orm = undefined
      // The test database's pool lost its connections with the server; pg replaces them.
      await db.pool.query('SELECT 1').catch(() => undefined)
      await expectRecovered(db)
    })
  })
}
