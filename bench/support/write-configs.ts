/**
 * The write-path configurations of the suite. Each one owns a fresh database with the behaviour
 * suite's business schema (`items`, `clients`, ...) and the same seeded rows, and offers the same
 * operations (W1 update one row, W2 insert one row, W3 a request, W4 bulk update), so they can
 * be interleaved side by side. Every operation runs inside `runWithAuditContext` (the runner's
 * job), exactly as an app's request handler would.
 *
 * A config is compared to the unaudited config of its own family (the same ORM, or raw `pg`):
 * the ratio then measures what auditing adds, not what the ORM costs.
 */
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { PrismaPg } from '@prisma/adapter-pg'
import { MikroORM } from '@mikro-orm/postgresql'
import pg from 'pg'
import { DataTypes, Model, Op, Sequelize, type ModelStatic } from 'sequelize'
import { applyMigrations, enableCapture } from '@audit-trail/core'
import { attachAuditHooks, enableSequelizeCapture } from '@audit-trail/sequelize'
import { auditTrail, auditTrailComments, enablePrismaCapture } from '@audit-trail/prisma'
import { enableMikroOrmCapture, withAuditTrail } from '@audit-trail/mikro-orm'
import { Prisma, PrismaClient } from '../../test/prisma/generated/client.ts'
import { entities7 } from '../../test/mikro-orm/mikro-orm-7.ts'
import { createBenchDatabase, type BenchDatabase } from './bench-database.ts'

/** Rows seeded in `items`; W4's largest bulk update touches all of them. */
export const SEEDED_ROWS = 10_000
/** Concurrent workers of W7; each updates its own slice of rows (no lock waits between them). */
export const WORKERS = 8
// Idle connections close after a second: 12 configs x 8 would exceed max_connections (100).
const POOL_SIZE = WORKERS
const IDLE_MS = 1_000

export type Family = 'pg' | 'prisma' | 'sequelize' | 'mikro-orm'

export interface WriteConfig {
  readonly name: string
  readonly family: Family
  /** Where the entries go: `activity_log`, the to_jsonb trigger's table, paper-trail's revisions, or none. */
  readonly logTable: string | null
  readonly database: BenchDatabase
  /** Statements sent to the server so far (round trips), counted on the driver's connections. */
  statements(): number
  /** W1: update one column of one row by primary key. */
  update1(round: number): Promise<unknown>
  /** W2: insert one row. */
  insert1(round: number): Promise<unknown>
  /** W3: in one transaction, read two rows, update both, insert one. `worker` picks disjoint rows. */
  request(round: number, worker: number): Promise<unknown>
  /** W4: update one column of rows 1..size in one call. */
  bulkUpdate(size: number, round: number): Promise<unknown>
  close(): Promise<void>
}

const schema = readFileSync(new URL('../../test/behaviour/business-schema.sql', import.meta.url), 'utf8')
const modelOptions = { models: { Item: { resourceType: 'item', name: 'name' } } }
const price = (round: number) => (10 + (round % 9000) / 100).toFixed(2)
/** W1 cycles over the first 100 rows; W3 worker w uses rows 5000 + 100w ... (disjoint from W1). */
const w1Id = (round: number) => 1 + (round % 100)
const w3Ids = (round: number, worker: number) => {
  const base = 5_000 + worker * 100 + ((round * 2) % 100)
  return [base, base + 1] as const
}

// The hand-written audit trigger a team typically writes itself: full row images as to_jsonb.
const TO_JSONB_TRIGGER_SQL = `
  CREATE TABLE plain_audit (id bigserial PRIMARY KEY, table_name text, op text, old_row jsonb, new_row jsonb,
                            at timestamptz NOT NULL DEFAULT now());
  CREATE FUNCTION plain_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO plain_audit (table_name, op, old_row, new_row)
    VALUES (TG_TABLE_NAME, TG_OP, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
            CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
    RETURN NULL;
  END $$;
  CREATE TRIGGER plain_audit AFTER INSERT OR UPDATE OR DELETE ON items FOR EACH ROW EXECUTE FUNCTION plain_audit_row();`

/** A fresh database with `sql/`, the business schema and SEEDED_ROWS items. */
async function seededDatabase(label: string): Promise<BenchDatabase> {
  const database = await createBenchDatabase(label)
  await applyMigrations(database.url)
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  try {
    await client.query(schema)
    await client.query(`INSERT INTO clients (name) VALUES ('Bench client')`)
    await client.query(
      `INSERT INTO items (client_id, name, price, available, sku, released_at)
       SELECT 1, 'Item ' || i, 10, true, 9000000000 + i, timestamptz '2024-01-15 14:30:00Z' + i * interval '1 minute'
       FROM generate_series(1, ${SEEDED_ROWS}) i`,
    )
    await client.query('VACUUM ANALYZE')
  } finally {
    await client.end()
  }
  return database
}

/** Counts the statements sent on every connection a pool opens (the bench's own instrument). */
function statementCounter(): { count: () => number; watch: (client: { query: unknown }) => void } {
  let statements = 0
  return {
    count: () => statements,
    watch(client) {
      const query = (client.query as (...args: unknown[]) => unknown).bind(client)
      client.query = (...args: unknown[]) => {
        statements++
        return query(...args)
      }
    },
  }
}

// ---------------------------------------------------------------- raw pg

async function pgConfig(name: 'pg unaudited' | 'pg capture' | 'pg to_jsonb'): Promise<WriteConfig> {
  const database = await seededDatabase(name.replace(/\W+/g, '_'))
  const setup = new pg.Client({ connectionString: database.url })
  await setup.connect()
  if (name === 'pg capture') await enableCapture(setup, 'public.items', { resourceType: 'item', nameColumn: 'name' })
  if (name === 'pg to_jsonb') await setup.query(TO_JSONB_TRIGGER_SQL)
  await setup.end()
  const counter = statementCounter()
  const pool = new pg.Pool({ connectionString: database.url, max: POOL_SIZE, idleTimeoutMillis: IDLE_MS })
  pool.on('connect', counter.watch)
  return {
    name,
    family: 'pg',
    logTable: name === 'pg capture' ? 'audit_trail.activity_log' : name === 'pg to_jsonb' ? 'plain_audit' : null,
    database,
    statements: counter.count,
    update1: (round) => pool.query('UPDATE items SET price = $1 WHERE id = $2', [price(round), w1Id(round)]),
    insert1: (round) => pool.query('INSERT INTO items (name, price, available) VALUES ($1, $2, true)', [`New ${round}`, price(round)]),
    async request(round, worker) {
      const [a, b] = w3Ids(round, worker)
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        await client.query('SELECT * FROM items WHERE id = ANY($1::int[])', [[a, b]])
        await client.query('UPDATE items SET price = $1 WHERE id = $2', [price(round), a])
        await client.query('UPDATE items SET price = $1 WHERE id = $2', [price(round + 1), b])
        await client.query('INSERT INTO items (name, price, available) VALUES ($1, $2, true)', [`Req ${round}`, price(round)])
        await client.query('COMMIT')
      } catch (error) {
        await client.query('ROLLBACK')
        throw error
      } finally {
        client.release()
      }
    },
    bulkUpdate: (size, round) => pool.query('UPDATE items SET price = $1 WHERE id <= $2', [price(round), size]),
    close: async () => {
      await pool.end()
      await database.drop()
    },
  }
}

// ---------------------------------------------------------------- Prisma

async function prismaConfig(name: 'prisma unaudited' | 'prisma audited'): Promise<WriteConfig> {
  const database = await seededDatabase(name.replace(/\W+/g, '_'))
  const counter = statementCounter()
  const pool = new pg.Pool({ connectionString: database.url, max: POOL_SIZE, idleTimeoutMillis: IDLE_MS })
  pool.on('connect', counter.watch)
  const audited = name === 'prisma audited'
  const base = new PrismaClient({ adapter: new PrismaPg(pool), ...(audited ? { comments: [auditTrailComments()] } : {}) })
  const options = { ...modelOptions, exclude: Object.values(Prisma.ModelName).filter((model) => model !== 'Item') }
  if (audited) await enablePrismaCapture(base, options)
  // Query extensions leave the client's API as it is: one type for both.
  const prisma = (audited ? base.$extends(auditTrail(options)) : base) as PrismaClient
  return {
    name,
    family: 'prisma',
    logTable: name === 'prisma audited' ? 'audit_trail.activity_log' : null,
    database,
    statements: counter.count,
    update1: (round) => prisma.item.update({ where: { id: w1Id(round) }, data: { price: price(round) } }),
    insert1: (round) => prisma.item.create({ data: { name: `New ${round}`, price: price(round), available: true } }),
    request: (round, worker) => {
      const [a, b] = w3Ids(round, worker)
      return prisma.$transaction(async (tx) => {
        await tx.item.findMany({ where: { id: { in: [a, b] } } })
        await tx.item.update({ where: { id: a }, data: { price: price(round) } })
        await tx.item.update({ where: { id: b }, data: { price: price(round + 1) } })
        await tx.item.create({ data: { name: `Req ${round}`, price: price(round), available: true } })
      })
    },
    bulkUpdate: (size, round) => prisma.item.updateMany({ where: { id: { lte: size } }, data: { price: price(round) } }),
    close: async () => {
      await base.$disconnect()
      await pool.end()
      await database.drop()
    },
  }
}

// ---------------------------------------------------------------- Sequelize

interface PaperTrail {
  defineModels(): void
}
const paperTrail = createRequire(import.meta.url)('sequelize-paper-trail') as {
  init(sequelize: Sequelize, options: Record<string, unknown>): PaperTrail
}

type SequelizeName = 'sequelize unaudited' | 'sequelize audited' | 'sequelize paper-trail'

async function sequelizeConfig(name: SequelizeName): Promise<WriteConfig> {
  const database = await seededDatabase(name.replace(/\W+/g, '_'))
  const counter = statementCounter()
  const sequelize = new Sequelize(database.url, { dialect: 'postgres', logging: false, pool: { max: POOL_SIZE, idle: IDLE_MS } })
  sequelize.addHook('afterConnect', (connection) => counter.watch(connection as { query: unknown }))
  const paper = name === 'sequelize paper-trail'
  if (paper) {
    await sequelize.query('ALTER TABLE items ADD COLUMN revision integer NOT NULL DEFAULT 0')
    paperTrail.init(sequelize, { underscored: true, tableName: 'paper_revisions' }).defineModels()
  }
  class Item extends Model {}
  Item.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      clientId: { type: DataTypes.INTEGER },
      name: { type: DataTypes.TEXT, allowNull: false },
      price: { type: DataTypes.DECIMAL(10, 2), allowNull: false },
      available: { type: DataTypes.BOOLEAN, allowNull: false },
      sku: { type: DataTypes.BIGINT },
      attributes: { type: DataTypes.JSONB },
      releasedAt: { type: DataTypes.DATE },
      ...(paper ? { revision: { type: DataTypes.INTEGER, defaultValue: 0 } } : {}),
    },
    { sequelize, modelName: 'Item', tableName: 'items', underscored: true, timestamps: true, createdAt: false },
  )
  if (paper) {
    ;(Item as unknown as { hasPaperTrail(): unknown }).hasPaperTrail()
    await sequelize.sync()
  }
  if (name === 'sequelize audited') {
    await enableSequelizeCapture(sequelize, modelOptions)
    attachAuditHooks(sequelize, modelOptions)
  }
  const model = Item as ModelStatic<Model>
  const w1Rows = await model.findAll({ where: { id: { [Op.lte]: 100 } }, order: [['id', 'ASC']] })
  return {
    name,
    family: 'sequelize',
    logTable: name === 'sequelize paper-trail' ? 'paper_revisions' : name === 'sequelize unaudited' ? null : 'audit_trail.activity_log',
    database,
    statements: () => counter.count(),
    update1: (round) => w1Rows[round % 100]!.update({ price: price(round) }),
    insert1: (round) => model.create({ name: `New ${round}`, price: price(round), available: true }),
    request: (round, worker) => {
      const [a, b] = w3Ids(round, worker)
      return sequelize.transaction(async (transaction) => {
        const rows = await model.findAll({ where: { id: [a, b] }, order: [['id', 'ASC']], transaction })
        await rows[0]!.update({ price: price(round) }, { transaction })
        await rows[1]!.update({ price: price(round + 1) }, { transaction })
        await model.create({ name: `Req ${round}`, price: price(round), available: true }, { transaction })
      })
    },
    // sequelize-paper-trail records instance hooks only: without individualHooks its Model.update
    // records nothing, so it gets individualHooks (what an app must do to audit with it).
    bulkUpdate: (size, round) =>
      model.update({ price: price(round) }, { where: { id: { [Op.lte]: size } }, individualHooks: paper }),
    close: async () => {
      await sequelize.close()
      await database.drop()
    },
  }
}

// ---------------------------------------------------------------- MikroORM

const { Item: MikroItem, all: mikroEntities } = entities7
type IItem = { price: string }

type MikroName = 'mikro-orm unaudited' | 'mikro-orm audited'

async function mikroConfig(name: MikroName): Promise<WriteConfig> {
  const database = await seededDatabase(name.replace(/\W+/g, '_'))
  const counter = statementCounter()
  const config = {
    clientUrl: database.url,
    entities: mikroEntities,
    pool: { max: POOL_SIZE, idleTimeoutMillis: IDLE_MS },
    ensureDatabase: false,
    allowGlobalContext: false,
    driverOptions: { onPoolCreated: (pool: pg.Pool) => pool.on('connect', counter.watch) },
  }
  // Only Item is audited here: the other entities' tables are not all in the bench schema.
  const options = { ...modelOptions, exclude: ['Client', 'Setting', 'Coupon', 'ItemTranslation', 'Article', 'Tag', 'article_tags'] }
  const audited = name === 'mikro-orm audited'
  const orm = await MikroORM.init(audited ? withAuditTrail(config, options) : config)
  if (audited) await enableMikroOrmCapture(orm, options)
  // W1 updates entities loaded once and merged into a fresh fork each round: the flush then sends
  // only the UPDATE (no SELECT), like the other ORMs' single-row update.
  const seedEm = orm.em.fork()
  const w1Items = (await seedEm.find(MikroItem, { id: { $lte: 100 } }, { orderBy: { id: 'asc' } })) as IItem[]
  return {
    name,
    family: 'mikro-orm',
    logTable: name === 'mikro-orm unaudited' ? null : 'audit_trail.activity_log',
    database,
    statements: counter.count,
    async update1(round) {
      const em = orm.em.fork()
      const item = em.merge(MikroItem, w1Items[round % 100]!, { refresh: false }) as IItem
      item.price = price(round)
      await em.flush()
    },
    async insert1(round) {
      const em = orm.em.fork()
      em.create(MikroItem, { name: `New ${round}`, price: price(round), available: true } as never)
      await em.flush()
    },
    request: (round, worker) => {
      const [a, b] = w3Ids(round, worker)
      return orm.em.fork().transactional(async (em) => {
        const rows = (await em.find(MikroItem, { id: { $in: [a, b] } }, { orderBy: { id: 'asc' } })) as IItem[]
        rows[0]!.price = price(round)
        rows[1]!.price = price(round + 1)
        em.create(MikroItem, { name: `Req ${round}`, price: price(round), available: true } as never)
      })
    },
    // The unit of work on both sides: load the rows, flush one change per entity (what an app
    // using entities does; nativeUpdate would be one statement).
    async bulkUpdate(size, round) {
      const em = orm.em.fork()
      const rows = (await em.find(MikroItem, { id: { $lte: size } })) as IItem[]
      for (const row of rows) row.price = price(round)
      await em.flush()
    },
    close: async () => {
      await orm.close(true)
      await database.drop()
    },
  }
}

export const WRITE_CONFIG_NAMES = [
  'pg unaudited',
  'pg capture',
  'pg to_jsonb',
  'prisma unaudited',
  'prisma audited',
  'sequelize unaudited',
  'sequelize audited',
  'sequelize paper-trail',
  'mikro-orm unaudited',
  'mikro-orm audited',
] as const
export type WriteConfigName = (typeof WRITE_CONFIG_NAMES)[number]

/** Opens one configuration (fresh database, seeded, ORM connected and warmed by a first query). */
export async function openWriteConfig(name: WriteConfigName): Promise<WriteConfig> {
  if (name.startsWith('pg ')) return pgConfig(name as 'pg unaudited')
  if (name.startsWith('prisma ')) return prismaConfig(name as 'prisma unaudited')
  if (name.startsWith('sequelize ')) return sequelizeConfig(name as SequelizeName)
  return mikroConfig(name as MikroName)
}

/** The unaudited config a config's ratio is taken against. */
export function baselineOf(name: string): string {
  return `${name.split(' ')[0]} unaudited`
}
