import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { PGlite } from '@electric-sql/pglite'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { PrismaPGlite } from 'pglite-prisma-adapter'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AuditConfigurationError,
  MissingAuditContextError,
  readMigrations,
  runWithAuditContext,
  type AuditContext,
} from '@audit-trail/core'
import { readAuditContextTag, type AuditPluginOptions } from '@audit-trail/core/plugin'
import { auditTrail, auditTrailComments, auditTrailReady, enablePrismaCapture } from '@audit-trail/prisma'
import { BUSINESS_SCHEMA_SQL, PLUGIN_TEST_MODELS, createBusinessSchema } from '../support/business-schema.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'
import { Prisma, PrismaClient } from './generated/client.ts'
import { createArticleTables } from './prisma-driver.js'

const options: AuditPluginOptions = { models: { ...PLUGIN_TEST_MODELS } }
const TAG = / \/\*audit_trail='[A-Za-z0-9_-]+'\*\/$/

/** A pg pool that records the text of every statement its connections send (test instrumentation). */
function countingPool(url: string, max: number): { pool: pg.Pool; statements: string[] } {
  const statements: string[] = []
  const pool = new pg.Pool({ connectionString: url, max })
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    ;(client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const first = args[0] as string | { text?: string }
      statements.push(typeof first === 'string' ? first : (first.text ?? ''))
      return query(...args)
    }
  })
  return { pool, statements }
}

const audit = (client: PrismaClient, pluginOptions: AuditPluginOptions = options) => client.$extends(auditTrail(pluginOptions))

let db: TestDatabase
let plainPool: ReturnType<typeof countingPool>
let auditedPool: ReturnType<typeof countingPool>
let plain: PrismaClient
let base: PrismaClient
let prisma: ReturnType<typeof audit>
let enabled: string[]
const opened: PrismaClient[] = []

function client(url: string, max: number, withComments = true): PrismaClient {
  const created = new PrismaClient({
    adapter: new PrismaPg({ connectionString: url, max }),
    ...(withComments ? { comments: [auditTrailComments()] } : {}),
  })
  opened.push(created)
  return created
}

beforeAll(async () => {
  db = await createTestDatabase()
  await createBusinessSchema(db)
  await createArticleTables(db.url)
  plainPool = countingPool(db.url, 4)
  auditedPool = countingPool(db.url, 4)
  plain = new PrismaClient({ adapter: new PrismaPg(plainPool.pool) })
  enabled = await enablePrismaCapture(plain, options) // tests connect as the superuser, who owns the log
  base = new PrismaClient({ adapter: new PrismaPg(auditedPool.pool), comments: [auditTrailComments()] })
  prisma = audit(base)
  await auditTrailReady(prisma)
})
afterAll(async () => {
  for (const each of opened) await each.$disconnect()
  await base?.$disconnect()
  await plain?.$disconnect()
  await plainPool?.pool.end()
  await auditedPool?.pool.end()
  await db?.drop()
})

const jan = { id: 'u-1', name: 'Jan Manager' }
const as = <T>(fn: () => Promise<T>, ctx: AuditContext = { actor: jan, ipAddress: '10.1.2.3' }) => runWithAuditContext(ctx, fn)

async function watermark(): Promise<number> {
  return (await db.one<{ max: number }>('SELECT coalesce(max(id), 0)::int AS max FROM audit_trail.activity_log')).max
}
async function entriesSince(since: number) {
  return db.query<{
    action: string
    actor_type: string
    actor_id: string | null
    request_id: string | null
    resource_type: string
    resource_id: string
    resource_name: string | null
    changes: Record<string, { old: unknown; new: unknown }>
    source: string
    transaction_id: string
  }>(
    `SELECT action, actor_type, actor_id, request_id, resource_type, resource_id, resource_name, changes, source, transaction_id
     FROM audit_trail.activity_log WHERE id > $1 ORDER BY id`,
    [since],
  )
}
const item = (name: string, clientId?: number) => ({ name, price: new Prisma.Decimal('10.00'), available: true, clientId })

/** The statements `fn` sends through `pool`. */
async function sent(pool: ReturnType<typeof countingPool>, fn: () => Promise<unknown>): Promise<string[]> {
  pool.statements.length = 0
  await fn()
  return [...pool.statements]
}

describe('statements and transactions', () => {
  it('a top-level create, update, delete and read send the same statements as plain Prisma, each ending with the tag', async () => {
    const [p, a] = [await plain.client.create({ data: { name: 'P' } }), await as(() => prisma.client.create({ data: { name: 'A' } }))]
    const calls: Array<[string, (c: PrismaClient | typeof prisma, id: number) => Promise<unknown>]> = [
      ['create', (c) => c.client.create({ data: { name: 'Counted' } })],
      ['update', (c, id) => c.client.update({ where: { id }, data: { email: `${id}@example.com` } })],
      ['nested update', (c, id) => c.client.update({ where: { id }, data: { items: { create: [item('N1'), item('N2')] } } })],
      ['updateMany', (c, id) => c.item.updateMany({ where: { clientId: id }, data: { available: false } })],
      ['findMany', (c, id) => c.item.findMany({ where: { clientId: id } })],
      ['deleteMany', (c, id) => c.item.deleteMany({ where: { clientId: id } })],
      ['delete', (c, id) => c.client.delete({ where: { id } })],
    ]
    for (const [name, call] of calls) {
      const unaudited = await sent(plainPool, () => call(plain, p.id))
      const audited = await sent(auditedPool, () => as(() => call(prisma, a.id)))
      expect(audited.map((sql) => sql.replace(TAG, '')), name).toEqual(unaudited)
      // Prisma opens its own transaction for a nested write (in both clients); only BEGIN / COMMIT go untagged.
      expect(audited.filter((sql) => !TAG.test(sql)), name).toEqual(unaudited.filter((sql) => /^(BEGIN|COMMIT)\b/.test(sql)))
      if (name === 'update') expect(audited, 'a top-level update is one statement, no BEGIN / COMMIT').toHaveLength(1)
    }
  })

  // Regression: the plugin opened an interactive transaction per write; 583 of 1,000 updates failed with P2028 over a pool of 2.
  it('1,000 concurrent updates through a pool of 2: plain and audited both complete 1000/1000, each entry with its request’s actor', async () => {
    const ids: number[] = []
    for (let i = 0; i < 20; i += 1) ids.push((await plain.client.create({ data: { name: `Pool ${i}` } })).id)
    const plainSmall = client(db.url, 2, false)
    const auditedSmall = audit(client(db.url, 2))
    await auditTrailReady(auditedSmall)
    const run = async (c: PrismaClient | typeof prisma, label: string) => {
      const results = await Promise.allSettled(
        Array.from({ length: 1000 }, (_, i) =>
          runWithAuditContext({ actor: { id: `${label}-${i}` }, requestId: `req-${i}` }, async () => {
            await c.client.update({ where: { id: ids[i % ids.length]! }, data: { email: `${label}-${i}@example.com` } })
          }),
        ),
      )
      return results.filter((r) => r.status === 'rejected').length
    }
    expect(await run(plainSmall, 'plain')).toBe(0)
    const since = await watermark()
    expect(await run(auditedSmall, 'audited')).toBe(0)
    const entries = await entriesSince(since)
    expect(entries).toHaveLength(1000)
    const wrong = entries.filter((e) => {
      const i = String(e.changes.email_address!.new).split('@')[0]!.slice('audited-'.length)
      return e.actor_id !== `audited-${i}` || e.request_id !== `req-${i}`
    })
    expect(wrong).toEqual([])
  })

  // Regression: with both connections held by transactions, 0 of 20 audited writes completed (P2028).
  it('while two long interactive transactions hold a pool of 2, audited writes wait and complete when they end', async () => {
    const small = audit(client(db.url, 2))
    await auditTrailReady(small)
    const [x, y] = [await plain.client.create({ data: { name: 'Hold X' } }), await plain.client.create({ data: { name: 'Hold Y' } })]
    const since = await watermark()
    const hold = (id: number) =>
      as(() =>
        small.$transaction(
          async (tx) => {
            await tx.client.update({ where: { id }, data: { email: 'held@example.com' } })
            await sleep(400)
          },
          { maxWait: 10_000, timeout: 10_000 },
        ),
      )
    const holders = [hold(x.id), hold(y.id)]
    await sleep(50)
    const writes = Array.from({ length: 20 }, (_, i) =>
      runWithAuditContext({ actor: { id: `waiting-${i}` } }, async () => {
        await small.client.create({ data: { name: `Waiting ${i}` } })
      }),
    )
    expect((await Promise.allSettled([...holders, ...writes])).filter((r) => r.status === 'rejected')).toEqual([])
    const entries = await entriesSince(since)
    expect(entries).toHaveLength(22)
    expect(entries.filter((e) => e.action === 'created').map((e) => [e.resource_name, e.actor_id]).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => [`Waiting ${i}`, `waiting-${i}`]).sort(),
    )
  })

  it('$transaction([...]) commits its entries together, and a failing batch leaves none', async () => {
    const owner = await as(() => prisma.client.create({ data: { name: 'Batch' } }))
    let since = await watermark()
    await as(() =>
      prisma.$transaction([
        prisma.item.create({ data: item('Batch 1', owner.id) }),
        prisma.client.update({ where: { id: owner.id }, data: { email: 'batch@example.com' } }),
      ]),
    )
    const committed = await entriesSince(since)
    expect(committed.map((e) => [e.action, e.resource_type, e.actor_id])).toEqual([
      ['created', 'item', 'u-1'],
      ['updated', 'client', 'u-1'],
    ])
    expect(new Set(committed.map((e) => e.transaction_id)).size).toBe(1)

    since = await watermark()
    await expect(
      as(() =>
        prisma.$transaction([
          prisma.item.create({ data: item('Batch 2', owner.id) }),
          prisma.client.update({ where: { id: owner.id }, data: { name: 'renamed' } }),
          prisma.item.create({ data: item('Batch 3', 987_654) }), // foreign key violation
        ]),
      ),
    ).rejects.toThrow()
    expect(await entriesSince(since)).toEqual([])
    expect(await prisma.item.count({ where: { name: 'Batch 2' } })).toBe(0)
  })

  it('$transaction(async tx => ...) that throws after its writes leaves no entry', async () => {
    const since = await watermark()
    await expect(
      as(() =>
        prisma.$transaction(async (tx) => {
          const c = await tx.client.create({ data: { name: 'Itx fail' } })
          await tx.item.createMany({ data: [item('F1', c.id), item('F2', c.id)] })
          await tx.item.updateMany({ where: { clientId: c.id }, data: { available: false } })
          throw new Error('forced')
        }),
      ),
    ).rejects.toThrow('forced')
    expect(await entriesSince(since)).toEqual([])
  })

  // Regression: a transaction-local set_config context outlived its statement and was given to later writes.
  it('inside one interactive transaction each statement carries its own context; a write with no nested context has the one the callback runs in', async () => {
    const owner = await as(() => prisma.client.create({ data: { name: 'Attribution' } }))
    const since = await watermark()
    await as(() =>
      prisma.$transaction(async (tx) => {
        await runWithAuditContext({ actor: { id: 'u-first' } }, async () => {
          await tx.client.update({ where: { id: owner.id }, data: { name: 'First' } })
        })
        await runWithAuditContext({ actor: { id: 'u-second' } }, async () => {
          await tx.client.update({ where: { id: owner.id }, data: { name: 'Second' } })
        })
        // No nested context: the callback runs in the async context of the $transaction call (Jan's).
        await tx.client.update({ where: { id: owner.id }, data: { name: 'Callback' } })
      }),
    )
    // Opened outside any context: its writes are the app's own.
    await prisma.$transaction(async (tx) => {
      await tx.client.update({ where: { id: owner.id }, data: { name: 'Job' } })
    })
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.resource_name, e.actor_type, e.actor_id])).toEqual([
      ['First', 'user', 'u-first'],
      ['Second', 'user', 'u-second'],
      ['Callback', 'user', 'u-1'],
      ['Job', 'system', null],
    ])
    expect(new Set(entries.slice(0, 3).map((e) => e.transaction_id)).size).toBe(1)
  })

  it('nested update with nested update, upsert, delete and deleteMany records every affected row with the actor', async () => {
    const owner = await as(() =>
      prisma.client.create({ data: { name: 'Nest', items: { create: [item('A'), item('B'), item('C'), item('D')] } } }),
    )
    const [a, b, c, d] = (await prisma.item.findMany({ where: { clientId: owner.id }, orderBy: { id: 'asc' } })).map((i) => i.id)
    const since = await watermark()
    await as(() =>
      prisma.client.update({
        where: { id: owner.id },
        data: {
          name: 'Nest 2',
          items: {
            update: { where: { id: a! }, data: { price: new Prisma.Decimal('11.00') } },
            upsert: { where: { id: 999_999 }, create: item('E'), update: { name: 'never' } },
            delete: { id: b! },
            deleteMany: { id: { in: [c!, d!] } },
          },
        },
      }),
    )
    const entries = await entriesSince(since)
    expect(entries.map((e) => `${e.action} ${e.resource_type} ${e.resource_name}`).sort()).toEqual([
      'created item E',
      'deleted item B',
      'deleted item C',
      'deleted item D',
      'updated client Nest 2',
      'updated item A',
    ])
    expect(new Set(entries.map((e) => e.transaction_id)).size).toBe(1)
    expect(entries.every((e) => e.actor_id === 'u-1' && e.source === 'orm')).toBe(true)
  })
})

describe('raw SQL and requireContext', () => {
  it('$executeRaw and $executeRawUnsafe writes carry the context; outside one they are the app’s own', async () => {
    const owner = await as(() => prisma.client.create({ data: { name: 'Raw' } }))
    const since = await watermark()
    await as(() => prisma.$executeRaw`UPDATE clients SET email_address = ${'raw1@example.com'} WHERE id = ${owner.id}`)
    await as(() => prisma.$executeRawUnsafe('UPDATE clients SET email_address = $1 WHERE id = $2', 'raw2@example.com', owner.id))
    await prisma.$executeRaw`UPDATE clients SET email_address = ${'raw3@example.com'} WHERE id = ${owner.id}`
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.changes.email_address!.new, e.actor_type, e.actor_id, e.source])).toEqual([
      ['raw1@example.com', 'user', 'u-1', 'orm'],
      ['raw2@example.com', 'user', 'u-1', 'orm'],
      ['raw3@example.com', 'system', null, 'orm'],
    ])
  })

  it('requireContext rejects model and raw writes without context before anything is sent; reads pass', async () => {
    const strict = audit(base, { ...options, requireContext: true })
    await auditTrailReady(strict)
    const owner = await as(() => strict.client.create({ data: { name: 'Strict' } }))
    const since = await watermark()
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ['create', () => strict.client.create({ data: { name: 'NoCtx' } })],
      ['updateMany', () => strict.client.updateMany({ where: { id: owner.id }, data: { name: 'NoCtx' } })],
      ['upsert', () => strict.client.upsert({ where: { id: owner.id }, create: { name: 'NoCtx' }, update: { name: 'NoCtx' } })],
      ['$executeRaw', () => strict.$executeRaw`UPDATE clients SET name = ${'NoCtx'} WHERE id = ${owner.id}`],
      ['$executeRawUnsafe', () => strict.$executeRawUnsafe(`DELETE FROM clients WHERE id = $1`, owner.id)],
      ['$queryRaw RETURNING', () => strict.$queryRaw`UPDATE clients SET name = ${'NoCtx'} WHERE id = ${owner.id} RETURNING id`],
      [
        '$queryRawUnsafe WITH',
        () => strict.$queryRawUnsafe(`WITH u AS (UPDATE clients SET name = 'NoCtx' WHERE id = $1 RETURNING id) SELECT * FROM u`, owner.id),
      ],
      ['in a transaction', () => strict.$transaction(async (tx) => tx.client.delete({ where: { id: owner.id } }))],
    ]
    for (const [name, attempt] of attempts) {
      let error: unknown
      const statements = await sent(auditedPool, () => attempt().catch((e: unknown) => (error = e)))
      expect(error, name).toBeInstanceOf(MissingAuditContextError)
      expect(statements.filter((sql) => !/^(BEGIN|COMMIT|ROLLBACK)/i.test(sql)), name).toEqual([])
    }
    expect(await entriesSince(since)).toEqual([])
    expect(await db.query(`SELECT name FROM clients WHERE id = $1`, [owner.id])).toEqual([{ name: 'Strict' }])
    await expect(strict.client.findMany({ where: { id: owner.id } })).resolves.toHaveLength(1)
    await expect(strict.$queryRaw`SELECT 1 AS one`).resolves.toEqual([{ one: 1 }])
  })
})

describe('refusing loudly at startup', () => {
  it('a client without the comments plugin fails its startup check and every write, naming the fix', async () => {
    const bare = audit(client(db.url, 1, false))
    const error = await auditTrailReady(bare).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuditConfigurationError)
    expect((error as Error).message).toContain('Add comments: [auditTrailComments()] to new PrismaClient({ ... })')
    await expect(as(() => bare.client.create({ data: { name: 'Untagged' } }))).rejects.toBe(error)
    expect(await db.query(`SELECT id FROM clients WHERE name = 'Untagged'`)).toEqual([])
    await expect(bare.client.count()).resolves.toBeGreaterThan(0) // reads do not wait for the check
  })

  it('option drift names the table and the option', async () => {
    const drifted = audit(base, { ...options, models: { ...options.models, Client: { resourceType: 'customer', name: 'name' } } })
    const error = await auditTrailReady(drifted).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuditConfigurationError)
    expect((error as Error).message).toContain('Client ("public"."clients"): resourceType is "client" in the database, "customer" in the code')
    await expect(as(() => drifted.client.create({ data: { name: 'Drifted' } }))).rejects.toBe(error)
    expect(await db.query(`SELECT id FROM clients WHERE name = 'Drifted'`)).toEqual([])
  })

  it('a table without capture (here the implicit link table) is named', async () => {
    await db.query(`SELECT audit_trail.disable_capture('"_ArticleToTag"'::regclass)`)
    try {
      const error = await auditTrailReady(audit(base)).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(AuditConfigurationError)
      expect((error as Error).message).toContain('_ArticleToTag ("public"."_ArticleToTag"): capture is not enabled')
    } finally {
      await enablePrismaCapture(plain, options)
    }
    await expect(auditTrailReady(audit(base))).resolves.toBeUndefined()
  })

  it('a logName that differs between the two halves is refused', async () => {
    const error = await auditTrailReady(audit(base, { ...options, logName: 'shop' })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuditConfigurationError)
    expect((error as Error).message).toContain(`comments: [auditTrailComments({ logName: "shop" })]`)
  })

  it('unknown model names and a name function throw when the extension is applied', () => {
    expect(() => audit(base, { models: { Itme: {} } })).toThrow(/unknown model name\(s\) in options: Itme/)
    expect(() => audit(base, { models: { Item: { name: (() => 'x') as unknown as string } } })).toThrow(/models\.Item\.name is a function/)
    expect(() => audit(base, { models: { Item: { name: 'nope' } } })).toThrow(/neither a field nor a column of Item/)
  })

  it('the comments plugin alone tags writes and warns once that nothing checks the setup', async () => {
    const warnings: string[] = []
    const listener = (warning: Error & { code?: string }) => warnings.push(warning.code ?? '')
    process.on('warning', listener)
    try {
      const alone = client(db.url, 1)
      const since = await watermark()
      await as(() => alone.client.create({ data: { name: 'Alone 1' } }))
      await as(() => alone.client.create({ data: { name: 'Alone 2' } }))
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.filter((code) => code === 'AUDIT_TRAIL_NO_STARTUP_CHECK')).toHaveLength(1)
      expect((await entriesSince(since)).map((e) => [e.resource_name, e.actor_id])).toEqual([
        ['Alone 1', 'u-1'],
        ['Alone 2', 'u-1'],
      ])
    } finally {
      process.off('warning', listener)
    }
  })

  it('the startup probe comes back carrying the tag of the context it runs in', async () => {
    const [row] = (await as(() => base.$queryRawUnsafe('SELECT current_query() AS q'))) as Array<{ q: string }>
    expect(readAuditContextTag(row!.q)).toMatchObject({ actor_type: 'user', actor_id: 'u-1', ip_address: '10.1.2.3', source: 'orm' })
  })
})

describe('tables and values', () => {
  // Regression: enablePrismaCapture failed on a model without @@map (relation "article" does not exist).
  it('enablePrismaCapture quotes Prisma’s default table names exactly and includes the implicit many-to-many table', async () => {
    expect(enabled).toEqual(['"clients"', '"items"', '"settings"', '"coupons"', '"item_translations"', '"Article"', '"Tag"', '"_ArticleToTag"'])
    const settings = await db.query(
      `SELECT table_name, resource_type, name_column, key_columns FROM audit_trail.capture_settings()
       WHERE table_name IN ('Article', 'Tag', '_ArticleToTag') ORDER BY table_name`,
    )
    expect(settings).toEqual([
      { table_name: 'Article', resource_type: 'article', name_column: 'title', key_columns: ['id'] },
      { table_name: 'Tag', resource_type: 'tag', name_column: 'name', key_columns: ['id'] },
      { table_name: '_ArticleToTag', resource_type: 'article_tag', name_column: null, key_columns: ['A', 'B'] },
    ])
  })

  it('a PascalCase table without @@map and its implicit link table are recorded end to end', async () => {
    const since = await watermark()
    const article = await as(() => prisma.article.create({ data: { title: 'Hello' } }))
    const tag = await as(() => prisma.tag.create({ data: { name: 'news' } }))
    await as(() => prisma.article.update({ where: { id: article.id }, data: { title: 'Hello again', tags: { connect: { id: tag.id } } } }))
    await runWithAuditContext({ actor: { id: 'u-editor' } }, async () => {
      await prisma.article.update({ where: { id: article.id }, data: { tags: { disconnect: { id: tag.id } } } })
    })
    const link = `["${article.id}","${tag.id}"]`
    expect((await entriesSince(since)).map((e) => [e.action, e.resource_type, e.resource_id, e.resource_name, e.actor_id, e.changes])).toEqual([
      ['created', 'article', String(article.id), 'Hello', 'u-1', { id: { old: null, new: article.id }, title: { old: null, new: 'Hello' } }],
      ['created', 'tag', String(tag.id), 'news', 'u-1', { id: { old: null, new: tag.id }, name: { old: null, new: 'news' } }],
      ['updated', 'article', String(article.id), 'Hello again', 'u-1', { title: { old: 'Hello', new: 'Hello again' } }],
      ['created', 'article_tag', link, null, 'u-1', { A: { old: null, new: article.id }, B: { old: null, new: tag.id } }],
      ['deleted', 'article_tag', link, null, 'u-editor', { A: { old: article.id, new: null }, B: { old: tag.id, new: null } }],
    ])
  })

  // Under capture an update from SQL NULL to JSON null wrote no entry (to_jsonb shows both as null).
  it('Prisma.JsonNull over SQL NULL in a JSON column is an update, new value {"$json": null}', async () => {
    await as(() => prisma.setting.create({ data: { key: 'json-null', value: Prisma.DbNull } }))
    const since = await watermark()
    await as(() => prisma.setting.update({ where: { key: 'json-null' }, data: { value: Prisma.JsonNull } }))
    await as(() => prisma.setting.update({ where: { key: 'json-null' }, data: { value: Prisma.DbNull } }))
    expect((await entriesSince(since)).map((e) => [e.action, e.resource_id, e.changes])).toEqual([
      ['updated', 'json-null', { value: { old: null, new: { $json: null } } }],
      ['updated', 'json-null', { value: { old: { $json: null }, new: null } }],
    ])
  })

  it('createManyAndReturn, updateManyAndReturn and both upsert branches', async () => {
    const owner = await as(() => prisma.client.create({ data: { name: 'Returners' } }))
    const since = await watermark()
    const created = await as(() => prisma.item.createManyAndReturn({ data: [item('R1', owner.id), item('R2', owner.id)] }))
    await as(() => prisma.item.updateManyAndReturn({ where: { clientId: owner.id }, data: { price: new Prisma.Decimal('2.50') } }))
    await as(() => prisma.setting.upsert({ where: { key: 'tz' }, create: { key: 'tz', value: 'UTC' }, update: { value: 'UTC' } }))
    await as(() => prisma.setting.upsert({ where: { key: 'tz' }, create: { key: 'tz', value: 'UTC' }, update: { value: 'Europe/Paris' } }))
    const [r1, r2] = created.map((c) => String(c.id))
    expect((await entriesSince(since)).map((e) => [e.action, e.resource_type, e.resource_id, e.actor_id])).toEqual([
      ['created', 'item', r1, 'u-1'],
      ['created', 'item', r2, 'u-1'],
      ['updated', 'item', r1, 'u-1'],
      ['updated', 'item', r2, 'u-1'],
      ['created', 'settings', 'tz', 'u-1'],
      ['updated', 'settings', 'tz', 'u-1'],
    ])
  })
})

describe('on the in-process PGlite adapter (pglite-prisma-adapter)', () => {
  it('tags statements, passes the startup check and records a nested create and a rollback', async () => {
    const lite = await PGlite.create()
    try {
      for (const file of readMigrations()) await lite.exec(file.sql) // as a DBA would with psql: each file as one script
      await lite.exec(BUSINESS_SCHEMA_SQL)
      await lite.exec(readFileSync(new URL('./article-tag.sql', import.meta.url), 'utf8'))
      const liteBase = new PrismaClient({ adapter: new PrismaPGlite(lite), comments: [auditTrailComments()] })
      try {
        await enablePrismaCapture(liteBase, options)
        const litePrisma = audit(liteBase)
        await auditTrailReady(litePrisma)
        await as(() => litePrisma.client.create({ data: { name: 'Lite', items: { create: [item('L1')] } } }))
        await expect(
          as(() =>
            litePrisma.$transaction(async (tx) => {
              await tx.client.create({ data: { name: 'Lite fail' } })
              throw new Error('forced')
            }),
          ),
        ).rejects.toThrow('forced')
        const { rows } = await lite.query<{ action: string; resource_name: string; actor_id: string }>(
          'SELECT action, resource_name, actor_id FROM audit_trail.activity_log ORDER BY id',
        )
        expect(rows.map((r) => [r.action, r.resource_name, r.actor_id])).toEqual([
          ['created', 'Lite', 'u-1'],
          ['created', 'L1', 'u-1'],
        ])
      } finally {
        await liteBase.$disconnect()
      }
    } finally {
      await lite.close()
    }
  })
})
