import { createHash } from 'node:crypto'
import { DataTypes, type Sequelize } from 'sequelize'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuditLog, enableCapture, runWithAuditContext, type AuditLog } from '@audit-trail/core'
import { attachAuditHooks, enableSequelizeCapture } from '@audit-trail/sequelize'
import { openSequelize } from '../sequelize/sequelize-models.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

// Bad values through an ORM (Sequelize with its plugin, table `probe`: source 'orm') and raw SQL
// (table `probe_captured`, same shape: source 'trigger'), both recorded by the capture trigger: the exact stored JSON of the value
// encoding table (packages/core/README.md), the same on both paths, and the write itself kept.
const SHAPE = `(id serial PRIMARY KEY, i8 bigint, d numeric(38, 10), f float8, ts timestamptz, t text, b bytea, j jsonb)`

let db: TestDatabase
let sequelize: Sequelize
let log: AuditLog
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let Probe: any

beforeAll(async () => {
  db = await createTestDatabase()
  await db.query(`CREATE TABLE probe ${SHAPE}; CREATE TABLE probe_captured ${SHAPE}`)
  await enableCapture(db.pool, 'public.probe_captured', { resourceType: 'probe' })
  sequelize = openSequelize(db.url, { pool: { max: 2 } })
  Probe = sequelize.define(
    'Probe',
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      i8: DataTypes.BIGINT,
      d: DataTypes.DECIMAL(38, 10),
      f: DataTypes.DOUBLE,
      ts: DataTypes.DATE,
      t: DataTypes.TEXT,
      b: DataTypes.BLOB,
      j: DataTypes.JSONB,
    },
    { tableName: 'probe', timestamps: false },
  )
  await enableSequelizeCapture(sequelize, { models: { Probe: { resourceType: 'probe' } } })
  attachAuditHooks(sequelize, { models: { Probe: { resourceType: 'probe' } } })
  log = createAuditLog({ pool: db.pool })
})
afterAll(async () => {
  await log?.close()
  await sequelize?.close()
  await db?.drop()
})

async function lastChange(column: string, source: 'orm' | 'trigger', id: number): Promise<unknown> {
  const rows = await db.query<{ v: unknown }>(
    `SELECT changes->$1->'new' AS v FROM audit_trail.activity_log WHERE source = $2 AND resource_id = $3 ORDER BY id DESC LIMIT 1`,
    [column, source, String(id)],
  )
  return rows[0]?.v
}

/** Writes `{ column: value }` through the ORM and `sql` through capture; returns both stored JSON values. */
async function both(column: string, value: unknown, sql: string, params: unknown[] = []) {
  const created = await runWithAuditContext({ actor: { id: 'u1' } }, () => Probe.create({ [column]: value }))
  const orm = await lastChange(column, 'orm', created.id)
  const { id } = await db.one<{ id: number }>(`INSERT INTO probe_captured (${column}) VALUES (${sql}) RETURNING id`, params)
  const capture = await lastChange(column, 'trigger', id)
  return { orm, capture, ormId: created.id as number, captureId: id }
}

describe('bad values: stored exactly, the same on the ORM and capture paths, never lost', () => {
  it('bigint at both ends of its range: $bigint exact', async () => {
    for (const v of ['9223372036854775807', '-9223372036854775808']) {
      const r = await both('i8', v, `$1::bigint`, [v])
      expect([r.orm, r.capture]).toEqual([{ $bigint: v }, { $bigint: v }])
    }
  })

  it('BigInt beyond 2^63: the database rejects the write (22003) and no entry is written; record() keeps it exact', async () => {
    const before = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail.activity_log`)
    await expect(runWithAuditContext({ actor: { id: 'u1' } }, () => Probe.create({ i8: (2n ** 63n).toString() }))).rejects.toMatchObject({ parent: { code: '22003' } })
    expect(await db.one(`SELECT count(*)::int AS n FROM audit_trail.activity_log`)).toEqual(before)
    const entry = await log.record({ action: 'imported', changes: { big: { old: null, new: 2n ** 70n } } })
    expect(entry.changes).toEqual({ big: { old: null, new: { $bigint: '1180591620717411303424' } } })
  })

  it('numeric(38,10): $decimal exact (trailing zeros dropped), NaN kept', async () => {
    for (const [v, stored] of [
      ['1234567890123456789012345678.1234567890', '1234567890123456789012345678.123456789'],
      ['-0.0000000001', '-0.0000000001'],
      ['NaN', 'NaN'],
    ] as const) {
      const r = await both('d', v, `$1::numeric`, [v])
      expect([r.orm, r.capture]).toEqual([{ $decimal: stored }, { $decimal: stored }])
    }
  })

  it('float NaN / Infinity / -Infinity: {"$number": ...}', async () => {
    for (const [v, text] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']] as const) {
      const r = await both('f', v, `$1::float8`, [text])
      expect([r.orm, r.capture]).toEqual([{ $number: text }, { $number: text }])
    }
  })

  it('dates before 1970 and in other time zones: $date in UTC', async () => {
    for (const [input, utc] of [
      ['1969-07-20T20:17:40.000Z', '1969-07-20T20:17:40.000Z'],
      ['1900-01-01T00:00:00.000+05:30', '1899-12-31T18:30:00.000Z'],
      ['2024-03-31T02:30:00.123-09:00', '2024-03-31T11:30:00.123Z'],
    ] as const) {
      const r = await both('ts', new Date(input), `$1::timestamptz`, [input])
      expect([r.orm, r.capture]).toEqual([{ $date: utc }, { $date: utc }])
    }
  })

  it('10 MB text and bytea: the row keeps all of it, the entry holds the size-and-hash marker', async () => {
    const text = 'x'.repeat(10 * 1024 * 1024)
    const bytes = Buffer.alloc(10 * 1024 * 1024, 7)
    const textMarker = { $truncated: { bytes: text.length, sha256: createHash('sha256').update(text).digest('hex') } }
    const bytesMarker = { $truncated: { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') } }
    const t = await both('t', text, `$1::text`, [text])
    expect([t.orm, t.capture]).toEqual([textMarker, textMarker])
    const b = await both('b', bytes, `$1::bytea`, [bytes])
    expect([b.orm, b.capture]).toEqual([bytesMarker, bytesMarker])
    expect(await db.query(`SELECT length(t) AS t FROM probe WHERE id = $1`, [t.ormId])).toEqual([{ t: text.length }])
    expect(await db.query(`SELECT length(b) AS b FROM probe_captured WHERE id = $1`, [b.captureId])).toEqual([{ b: bytes.length }])
  })

  it('a JSON object that looks like a tag is wrapped in $json', async () => {
    const tagLike = { $date: 'not a date' }
    const r = await both('j', tagLike, `$1::jsonb`, [JSON.stringify(tagLike)])
    expect([r.orm, r.capture]).toEqual([{ $json: tagLike }, { $json: tagLike }])
  })

  it('U+0000 and unpaired surrogates (which PostgreSQL text and jsonb cannot hold) in record() changes and metadata: $utf16', async () => {
    const nul = 'a\u0000b'
    const lone = 'x\ud800y'
    const entry = await runWithAuditContext({ metadata: { nul, lone } }, () => log.record({ action: 'imported', changes: { nul: { old: nul, new: lone } } }))
    expect(entry.changes).toEqual({ nul: { old: { $utf16: [97, 0, 98] }, new: { $utf16: [120, 0xd800, 121] } } })
    expect(entry.metadata).toEqual({ nul: { $utf16: [97, 0, 98] }, lone: { $utf16: [120, 0xd800, 121] } })
  })

  it('deeply nested and circular metadata on an ORM write: markers, and the write is kept', async () => {
    const circular: Record<string, unknown> = { name: 'loop' }
    circular.self = circular
    let deep: Record<string, unknown> = { leaf: true }
    for (let i = 0; i < 100; i++) deep = { d: deep }
    const created = await runWithAuditContext({ actor: { id: 'u1' }, metadata: { circular, deep } }, () => Probe.create({ t: 'meta' }))
    const [row] = await db.query<{ metadata: Record<string, unknown> }>(
      `SELECT metadata FROM audit_trail.activity_log WHERE source = 'orm' AND resource_id = $1`,
      [String(created.id)],
    )
    expect(row!.metadata.circular).toEqual({ name: 'loop', self: { $unsupported: 'circular' } })
    let node = row!.metadata.deep as Record<string, unknown>
    let depth = 1
    while (node.d && typeof node.d === 'object' && !('$unsupported' in (node.d as object))) {
      node = node.d as Record<string, unknown>
      depth++
    }
    expect(node.d).toEqual({ $unsupported: 'max-depth' })
    expect(depth).toBeGreaterThan(50)
    expect(await db.query(`SELECT t FROM probe WHERE id = $1`, [created.id])).toEqual([{ t: 'meta' }])
  })
})
