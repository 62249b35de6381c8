import { readFileSync } from 'node:fs'
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
} from '@audit-trail/core'
import { auditTrail, enablePrismaCapture } from '@audit-trail/prisma'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'
import { Prisma, PrismaClient } from './generated/client.ts'

const businessSchema = readFileSync(new URL('../behaviour/business-schema.sql', import.meta.url), 'utf8')
const options = { models: { Client: { resourceType: 'client', name: 'name' }, Item: { resourceType: 'item', name: 'name' } } }

let db: TestDatabase
let pool: pg.Pool
let statements: string[]
let base: PrismaClient
const extend = (client: PrismaClient) => client.$extends(auditTrail(options))
let prisma: ReturnType<typeof extend>

beforeAll(async () => {
  db = await createTestDatabase()
  await db.query(businessSchema)
  pool = new pg.Pool({ connectionString: db.url, max: 4 })
  statements = []
  // Test instrumentation: every statement Prisma sends, to prove what the plugin adds.
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    ;(client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const first = args[0] as string | { text?: string }
      statements.push(typeof first === 'string' ? first : (first.text ?? ''))
      return query(...args)
    }
  })
  base = new PrismaClient({ adapter: new PrismaPg(pool) })
  await enablePrismaCapture(base, options)
  prisma = extend(base)
})
afterAll(async () => {
  await base?.$disconnect()
  await pool?.end()
  await db?.drop()
})

const actor = { id: 'u-1', name: 'Jan Manager' }
const as = <T>(fn: () => Promise<T>) => runWithAuditContext({ actor, ipAddress: '10.1.2.3' }, fn)

async function watermark(): Promise<number> {
  return (await db.one<{ max: number }>('SELECT coalesce(max(id), 0)::int AS max FROM audit_trail.activity_log')).max
}
async function entriesSince(since: number) {
  return db.query<{
    action: string
    actor_id: string | null
    resource_type: string
    resource_id: string
    resource_name: string | null
    changes: Record<string, { old: unknown; new: unknown }>
    source: string
    transaction_id: string
  }>(
    `SELECT action, actor_id, resource_type, resource_id, resource_name, changes, source, transaction_id
     FROM audit_trail.activity_log WHERE id > $1 ORDER BY id`,
    [since],
  )
}
const item = (name: string, clientId?: number) => ({ name, price: new Prisma.Decimal('10.00'), available: true, clientId })

describe('@audit-trail/prisma', () => {
  it('nested update with nested update, upsert, delete and deleteMany records every affected row', async () => {
    const client = await as(() =>
      prisma.client.create({ data: { name: 'Nest', items: { create: [item('A'), item('B'), item('C'), item('D')] } } }),
    )
    const items = await prisma.item.findMany({ where: { clientId: client.id }, orderBy: { id: 'asc' } })
    const [a, b, c, d] = items.map((i) => i.id) as [number, number, number, number]
    const since = await watermark()
    await as(() =>
      prisma.client.update({
        where: { id: client.id },
        data: {
          name: 'Nest 2',
          items: {
            update: { where: { id: a }, data: { price: new Prisma.Decimal('11.00') } },
            upsert: { where: { id: 999_999 }, create: item('E'), update: { name: 'never' } },
            delete: { id: b },
            deleteMany: { id: { in: [c, d] } },
          },
        },
      }),
    )
    const entries = await entriesSince(since)
    const summary = entries.map((e) => `${e.action} ${e.resource_type} ${e.resource_name}`).sort()
    expect(summary).toEqual([
      'created item E',
      'deleted item B',
      'deleted item C',
      'deleted item D',
      'updated client Nest 2',
      'updated item A',
    ])
    expect(entries.find((e) => e.resource_name === 'A')?.changes).toEqual({
      price: { old: { $decimal: '10' }, new: { $decimal: '11' } },
    })
    expect(new Set(entries.map((e) => e.transaction_id)).size).toBe(1)
    expect(entries.every((e) => e.actor_id === 'u-1' && e.source === 'orm')).toBe(true)
  })

  it('$transaction([...]) batches: entries commit with the batch, and a failing batch leaves none', async () => {
    const clientRow = await as(() => prisma.client.create({ data: { name: 'Batch' } }))
    let since = await watermark()
    await as(() =>
      prisma.$transaction([
        prisma.item.create({ data: item('Batch 1', clientRow.id) }),
        prisma.client.update({ where: { id: clientRow.id }, data: { email: 'batch@example.com' } }),
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
          prisma.item.create({ data: item('Batch 2', clientRow.id) }),
          prisma.client.update({ where: { id: clientRow.id }, data: { name: 'renamed' } }),
          prisma.item.create({ data: item('Batch 3', 987_654) }), // foreign key violation
        ]),
      ),
    ).rejects.toThrow()
    expect(await entriesSince(since)).toEqual([])
    expect(await prisma.item.count({ where: { name: 'Batch 2' } })).toBe(0)
  })

  it('interactive transactions: context set inside the callback is used; a throw after the writes leaves nothing', async () => {
    const since = await watermark()
    await prisma.$transaction(async (tx) => {
      await runWithAuditContext({ actor: { id: 'inside-tx' } }, () => tx.client.create({ data: { name: 'Itx' } }))
      await tx.client.create({ data: { name: 'Itx system' } })
    })
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.resource_name, e.actor_id])).toEqual([
      ['Itx', 'inside-tx'],
      ['Itx system', null],
    ])
    const after = await watermark()
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
    expect(await entriesSince(after)).toEqual([])
  })

  it('createManyAndReturn, updateManyAndReturn and both upsert branches', async () => {
    const owner = await as(() => prisma.client.create({ data: { name: 'Returners' } }))
    const since = await watermark()
    const created = await as(() =>
      prisma.item.createManyAndReturn({ data: [item('R1', owner.id), item('R2', owner.id)] }),
    )
    await as(() =>
      prisma.item.updateManyAndReturn({ where: { clientId: owner.id }, data: { price: new Prisma.Decimal('2.50') } }),
    )
    await as(() => prisma.setting.upsert({ where: { key: 'tz' }, create: { key: 'tz', value: 'UTC' }, update: { value: 'UTC' } }))
    await as(() =>
      prisma.setting.upsert({ where: { key: 'tz' }, create: { key: 'tz', value: 'UTC' }, update: { value: 'Europe/Paris' } }),
    )
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.action, e.resource_type, e.resource_id])).toEqual([
      ['created', 'item', String(created[0]!.id)],
      ['created', 'item', String(created[1]!.id)],
      ['updated', 'item', String(created[0]!.id)],
      ['updated', 'item', String(created[1]!.id)],
      ['created', 'settings', 'tz'],
      ['updated', 'settings', 'tz'],
    ])
    expect(entries[5]!.changes).toEqual({ value: { old: 'UTC', new: 'Europe/Paris' } })
  })

  it('JSON null and SQL NULL are told apart', async () => {
    const since = await watermark()
    await as(() => prisma.setting.create({ data: { key: 'json-null', value: Prisma.JsonNull } }))
    await as(() => prisma.setting.create({ data: { key: 'db-null', value: Prisma.DbNull } }))
    const entries = await entriesSince(since)
    expect(entries.map((e) => e.changes.value)).toEqual([
      { old: null, new: { $json: null } },
      { old: null, new: null },
    ])
  })

  it('reads add no statement and no transaction', async () => {
    const owner = await as(() => prisma.client.create({ data: { name: 'Reader', items: { create: [item('X')] } } }))
    const reads: Array<[string, () => Promise<unknown>]> = [
      ['findUnique', () => prisma.client.findUnique({ where: { id: owner.id } })],
      ['findFirst', () => prisma.item.findFirst({ where: { clientId: owner.id } })],
      ['findMany', () => prisma.item.findMany({ where: { clientId: owner.id }, include: { client: true } })],
      ['count', () => prisma.item.count({ where: { clientId: owner.id } })],
      ['aggregate', () => prisma.item.aggregate({ _sum: { price: true }, where: { clientId: owner.id } })],
      ['groupBy', () => prisma.item.groupBy({ by: ['available'], _count: true })],
    ]
    for (const [name, read] of reads) {
      const plain = await countStatements(() => base.$transaction(async () => undefined).then(() => undefined))
      expect(plain, 'calibration: an empty transaction is BEGIN + COMMIT').toBe(2)
      const unaudited = await countStatements(() => readWith(base, name))
      const audited = await as(() => countStatements(read))
      expect(audited, name).toBe(unaudited)
      expect(statements.some((s) => /set_config|BEGIN/i.test(s)), name).toBe(false)
    }
  })

  it('$executeRaw inside runWithAuditContext carries the actor to the capture trigger', async () => {
    const owner = await as(() => prisma.client.create({ data: { name: 'Raw' } }))
    const since = await watermark()
    await as(() => prisma.$executeRaw`UPDATE clients SET email_address = ${'raw@example.com'} WHERE id = ${owner.id}`)
    await prisma.$executeRaw`UPDATE clients SET email_address = ${'raw2@example.com'} WHERE id = ${owner.id}`
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.action, e.actor_id, e.source])).toEqual([
      ['updated', 'u-1', 'orm'],
      ['updated', null, 'trigger'],
    ])
  })

  it('requireContext rejects a write with no context before anything is written', async () => {
    const strict = base.$extends(auditTrail({ ...options, requireContext: true }))
    const since = await watermark()
    const countBefore = statements.length
    await expect(strict.client.create({ data: { name: 'No ctx' } })).rejects.toBeInstanceOf(MissingAuditContextError)
    expect(statements.length).toBe(countBefore)
    expect(await entriesSince(since)).toEqual([])
    await expect(strict.client.findMany({ take: 1 })).resolves.toBeInstanceOf(Array)
  })

  it('refuses to write when an audited model has no capture trigger', async () => {
    const other = await createTestDatabase()
    try {
      await other.query(businessSchema)
      const unconfigured = new PrismaClient({ adapter: new PrismaPg({ connectionString: other.url, max: 2 }) })
      try {
        const audited = unconfigured.$extends(auditTrail({ exclude: ['Setting', 'Coupon', 'ItemTranslation'] }))
        const error = await as(() => audited.client.create({ data: { name: 'x' } })).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(AuditConfigurationError)
        expect((error as Error).message).toContain('capture is not enabled for Client (clients), Item (items)')
        expect(await other.query('SELECT id FROM clients')).toEqual([])
      } finally {
        await unconfigured.$disconnect()
      }
    } finally {
      await other.drop()
    }
  })

  it('rejects a name function, which database capture cannot run', () => {
    expect(() => base.$extends(auditTrail({ models: { Item: { name: () => 'x' } } }))).toThrow(
      /models\.Item\.name is a function/,
    )
    expect(() => base.$extends(auditTrail({ models: { Itme: {} } }))).toThrow(/unknown model name\(s\) in options: Itme/)
  })

  async function countStatements(fn: () => Promise<unknown>): Promise<number> {
    statements.length = 0
    await fn()
    return statements.length
  }
  function readWith(client: PrismaClient, name: string): Promise<unknown> {
    const where = { name: 'Reader' }
    switch (name) {
      case 'findUnique':
        return client.client.findFirst({ where })
      case 'findFirst':
        return client.item.findFirst({ where: { client: where } })
      case 'findMany':
        return client.item.findMany({ where: { client: where }, include: { client: true } })
      case 'count':
        return client.item.count({ where: { client: where } })
      case 'aggregate':
        return client.item.aggregate({ _sum: { price: true }, where: { client: where } })
      default:
        return client.item.groupBy({ by: ['available'], _count: true })
    }
  }
})

describe('@audit-trail/prisma on the in-process PGlite adapter', () => {
  it('records a nested create and a rolled back transaction correctly', async () => {
    const lite = await PGlite.create()
    try {
      // As a DBA would with psql: each migration file as one script.
      for (const file of readMigrations()) await lite.exec(file.sql)
      await lite.exec(businessSchema)
      const liteBase = new PrismaClient({ adapter: new PrismaPGlite(lite) })
      try {
        await enablePrismaCapture(liteBase, options)
        const litePrisma = liteBase.$extends(auditTrail(options))
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
