// Audited vs unaudited MikroORM flushes, measured side by side in one run after warm-up:
// a single-row update flush and a 1,000-entity insert flush. Not a test: prints, never asserts.
//   npx tsx bench/mikro-orm.ts            (embedded PGlite unless DATABASE_URL is set)
import { readFileSync } from 'node:fs'
import { MikroORM } from '@mikro-orm/postgresql'
import { createTestDatabase } from '../test/support/test-database.js'
import { Client, Item, entities, type IItem } from '../test/mikro-orm/entities.js'
import { openMikroOrm } from '../test/mikro-orm/mikro-orm-driver.js'

const WARMUP = 20
const ROUNDS = { single: 300, thousand: 15 }

const db = await createTestDatabase()
await db.query(readFileSync(new URL('../test/behaviour/business-schema.sql', import.meta.url), 'utf8'))
const { orm: audited } = await openMikroOrm({ url: db.url, options: {}, poolSize: 2 })
const plain = await MikroORM.init({ clientUrl: db.url, entities, pool: { max: 2 }, ensureDatabase: false })

async function setup(orm: MikroORM): Promise<IItem> {
  const em = orm.em.fork()
  const client = em.create(Client, { name: 'Bench' })
  const item = em.create(Item, { client, name: 'Bench item', price: '1.00', available: true } as never) as IItem
  await em.flush()
  return item
}
const items = { audited: await setup(audited), plain: await setup(plain) }
let price = 1

const cases = {
  single: async (orm: MikroORM, item: IItem) => {
    const em = orm.em.fork()
    const loaded = em.merge(Item, item, { refresh: false }) as IItem
    loaded.price = `${(price += 0.01).toFixed(2)}`
    await em.flush()
  },
  thousand: async (orm: MikroORM, item: IItem) => {
    const em = orm.em.fork()
    const client = em.getReference(Client, (item.client as { id: number } | null)?.id ?? 1)
    for (let i = 0; i < 1000; i++) em.create(Item, { client, name: `Bulk ${i}`, price: '2.00', available: true } as never)
    await em.flush()
  },
}

function stats(samples: number[]): { median: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b)
  return { median: sorted[Math.floor(sorted.length / 2)]!, p95: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]! }
}

console.log(`MikroORM flush, audited vs unaudited (${db.embedded ? 'embedded PGlite' : 'PostgreSQL server'})`)
for (const [name, run] of Object.entries(cases) as Array<[keyof typeof cases, (typeof cases)[keyof typeof cases]]>) {
  for (let i = 0; i < Math.min(WARMUP, ROUNDS[name]); i++) {
    await run(audited, items.audited)
    await run(plain, items.plain)
  }
  const times = { audited: [] as number[], plain: [] as number[] }
  // Interleaved so that drift (autovacuum, cache, JIT) hits both sides alike.
  for (let i = 0; i < ROUNDS[name]; i++) {
    for (const side of i % 2 === 0 ? (['plain', 'audited'] as const) : (['audited', 'plain'] as const)) {
      const start = performance.now()
      await run(side === 'audited' ? audited : plain, items[side])
      times[side].push(performance.now() - start)
    }
  }
  const a = stats(times.audited)
  const p = stats(times.plain)
  console.log(
    `${name === 'single' ? 'single-row update flush' : '1,000-entity insert flush'}: ` +
      `unaudited median ${p.median.toFixed(2)} ms p95 ${p.p95.toFixed(2)} ms | ` +
      `audited median ${a.median.toFixed(2)} ms p95 ${a.p95.toFixed(2)} ms | ratio ${(a.median / p.median).toFixed(2)}×`,
  )
}

await audited.close(true)
await plain.close(true)
await db.drop()
