// Sequelize plugin cost, measured side by side in one run (not a test; never asserts timings):
// single-row `instance.update` and `Model.update` of 1,000 rows (with and without
// individualHooks), unaudited vs @audit-trail/sequelize vs sequelize-paper-trail 3.1.
// Each config has its own Sequelize instance and table with the same rows, on one fresh database.
// Run: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/sequelize.ts
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import pg from 'pg'
import { DataTypes, Model, Op, Sequelize, type ModelStatic } from 'sequelize'
import { applyMigrations, runWithAuditContext } from '@audit-trail/core'
import { attachAuditHooks } from '@audit-trail/sequelize'
import { interleave, resultsTable, type Sample } from './support/bench-stats.ts'

const serverUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
const ROWS = 1_000

interface PaperTrail {
  defineModels(): void
}
const paperTrail = createRequire(import.meta.url)('sequelize-paper-trail') as {
  init(sequelize: Sequelize, options: Record<string, unknown>): PaperTrail
}

async function createDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `audit_trail_bench_sequelize_${randomBytes(3).toString('hex')}`
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

type Config = 'unaudited' | 'audit-trail' | 'paper-trail'

async function setup(url: string, config: Config) {
  const sequelize = new Sequelize(url, { dialect: 'postgres', logging: false, pool: { max: 5 } })
  if (config === 'paper-trail') {
    paperTrail.init(sequelize, { underscored: true, tableName: 'paper_revisions' }).defineModels()
  }
  class Product extends Model {}
  Product.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      name: { type: DataTypes.TEXT, allowNull: false },
      price: { type: DataTypes.DECIMAL(10, 2), allowNull: false },
      stock: { type: DataTypes.INTEGER, allowNull: false },
      sku: { type: DataTypes.BIGINT },
      active: { type: DataTypes.BOOLEAN, allowNull: false },
      description: { type: DataTypes.TEXT },
      ...(config === 'paper-trail' ? { revision: { type: DataTypes.INTEGER, defaultValue: 0 } } : {}),
    },
    { sequelize, modelName: 'Product', tableName: `products_${config.replace('-', '_')}`, underscored: true, createdAt: false },
  )
  if (config === 'paper-trail') (Product as unknown as { hasPaperTrail(): unknown }).hasPaperTrail()
  await sequelize.sync()
  await Product.bulkCreate(
    Array.from({ length: ROWS + 1 }, (_, i) => ({
      name: `Product ${i}`,
      price: '10.00',
      stock: 1,
      sku: String(9_000_000_000 + i),
      active: true,
      description: 'A product used by the benchmark',
    })),
    { hooks: false },
  )
  if (config === 'audit-trail') attachAuditHooks(sequelize, { models: { Product: { resourceType: 'product', name: 'name' } } })
  const single = (await Product.findByPk(ROWS + 1))!
  return { sequelize, Product: Product as ModelStatic<Model>, single }
}

async function main() {
  const database = await createDatabase()
  await applyMigrations(database.url)
  const configs = Object.fromEntries(
    await Promise.all((['unaudited', 'audit-trail', 'paper-trail'] as const).map(async (c) => [c, await setup(database.url, c)])),
  ) as Record<Config, Awaited<ReturnType<typeof setup>>>
  const ctx = { actor: { id: 'bench', name: 'Bench' }, ipAddress: '127.0.0.1' }
  const each = (fn: (c: Awaited<ReturnType<typeof setup>>, round: number) => Promise<unknown>) =>
    Object.fromEntries(
      Object.entries(configs).map(([name, c]) => [
        name,
        (round: number) => runWithAuditContext(ctx, () => fn(c, round)),
      ]),
    )
  try {
    const samples: Sample[] = []
    samples.push(
      ...(await interleave({
        workload: 'instance.update, 1 row',
        configs: each((c, round) => c.single.update({ price: `${(round % 500) + 1}.25` })),
        rounds: 2_000,
        warmup: 300,
      })),
    )
    samples.push(
      ...(await interleave({
        workload: 'instance.update, 1 row, in the app transaction',
        configs: each((c, round) =>
          c.sequelize.transaction((transaction) => c.single.update({ price: `${(round % 500) + 1}.75` }, { transaction })),
        ),
        rounds: 2_000,
        warmup: 300,
      })),
    )
    const bulk = (individualHooks: boolean) =>
      each((c, round) => c.Product.update({ stock: round + 2 }, { where: { id: { [Op.lte]: ROWS } }, individualHooks }))
    samples.push(...(await interleave({ workload: `Model.update, ${ROWS} rows`, configs: bulk(false), rounds: 30, warmup: 3 })))
    samples.push(
      ...(await interleave({ workload: `Model.update, ${ROWS} rows, individualHooks`, configs: bulk(true), rounds: 20, warmup: 2 })),
    )
    console.log(resultsTable(samples, 'unaudited'))
    console.log(
      '\nsequelize-paper-trail hooks only instance create/update/destroy: plain Model.update (no individualHooks) records nothing there.',
    )
  } finally {
    await Promise.all(Object.values(configs).map((c) => c.sequelize.close()))
    await database.drop()
  }
}

await main()
