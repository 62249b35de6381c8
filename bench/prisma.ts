// Prisma plugin cost, measured side by side in one run (not a test; never asserts timings):
// single-row `update` by id and `updateMany` of 1,000 and 10,000 rows, unaudited vs audited
// (@audit-trail/prisma + capture triggers). Each config has its own database on the same
// server with the same rows. Run: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/prisma.ts
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { applyMigrations, runWithAuditContext } from '@audit-trail/core'
import { auditTrail, enablePrismaCapture } from '@audit-trail/prisma'
import { Prisma, PrismaClient } from '../test/prisma/generated/client.ts'
import { interleave, resultsTable, type Sample } from './support/bench-stats.ts'

const serverUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
const ROWS = 10_000
const schema = readFileSync(new URL('../test/behaviour/business-schema.sql', import.meta.url), 'utf8')
const options = { models: { Item: { resourceType: 'item', name: 'name' } } }

async function createDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `audit_trail_bench_${label}_${randomBytes(3).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const dropper = new pg.Client({ connectionString: serverUrl })
      await dropper.connect()
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await dropper.end()
    },
  }
}

/** Counts the statements a client sends, to report round trips per operation. */
function countingPool(url: string): { pool: pg.Pool; count: () => number } {
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  let statements = 0
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    ;(client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      statements++
      return query(...args)
    }
  })
  return { pool, count: () => statements }
}

async function setup(audited: boolean) {
  const database = await createDatabase(audited ? 'audited' : 'plain')
  await applyMigrations(database.url)
  const seed = new pg.Client({ connectionString: database.url })
  await seed.connect()
  await seed.query(schema)
  await seed.query(
    `INSERT INTO items (name, price, available) SELECT 'Item ' || i, 10, true FROM generate_series(1, ${ROWS}) i`,
  )
  await seed.end()
  const { pool, count } = countingPool(database.url)
  const base = new PrismaClient({ adapter: new PrismaPg(pool) })
  if (audited) await enablePrismaCapture(base, { ...options, exclude: ['Client', 'Setting', 'Coupon', 'ItemTranslation'] })
  const client = audited
    ? base.$extends(auditTrail({ ...options, exclude: ['Client', 'Setting', 'Coupon', 'ItemTranslation'] }))
    : base
  return { client, count, close: async () => (await base.$disconnect(), await pool.end(), await database.drop()) }
}

const actor = { actor: { id: 'bench', name: 'Bench' }, ipAddress: '10.0.0.1' }
const plain = await setup(false)
const audited = await setup(true)
const configs = { unaudited: plain, audited }
const samples: Sample[] = []
const price = (round: number) => new Prisma.Decimal((10 + (round % 500) / 100).toFixed(2))

samples.push(
  ...(await interleave({
    workload: 'update 1 row by id',
    rounds: 2000,
    warmup: 300,
    configs: Object.fromEntries(
      Object.entries(configs).map(([name, c]) => [
        name,
        (round: number) =>
          runWithAuditContext(actor, () =>
            c.client.item.update({ where: { id: 1 + (round % 100) }, data: { price: price(round) } }),
          ),
      ]),
    ),
  })),
)
for (const size of [1_000, 10_000]) {
  samples.push(
    ...(await interleave({
      workload: `updateMany ${size.toLocaleString('en')} rows`,
      rounds: size === 1_000 ? 30 : 10,
      warmup: 3,
      configs: Object.fromEntries(
        Object.entries(configs).map(([name, c]) => [
          name,
          (round: number) =>
            runWithAuditContext(actor, () =>
              c.client.item.updateMany({ where: { id: { lte: size } }, data: { price: price(round + 1) } }),
            ),
        ]),
      ),
    })),
  )
}

const roundTrips: string[] = []
for (const [name, c] of Object.entries(configs)) {
  for (const size of [1, 1_000, 10_000]) {
    const before = c.count()
    await runWithAuditContext(actor, () =>
      c.client.item.updateMany({ where: { id: { lte: size } }, data: { price: new Prisma.Decimal('99.99') } }),
    )
    roundTrips.push(`| ${name} | updateMany ${size} | ${c.count() - before} |`)
  }
}

console.log(`# Prisma plugin benchmark\n\nNode ${process.version}, ${new Date().toISOString()}\n`)
console.log(resultsTable(samples, 'unaudited'))
console.log('\n| config | operation | statements sent |\n|---|---|---|\n' + roundTrips.join('\n'))
await plain.close()
await audited.close()
