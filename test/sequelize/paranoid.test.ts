import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runWithAuditContext } from '@audit-trail/core'
import { openFixture, type SequelizeFixture } from './sequelize-fixture.js'

let f: SequelizeFixture
beforeAll(async () => {
  f = await openFixture({ models: { Coupon: { resourceType: 'coupon', name: 'code' } } })
})
afterAll(async () => {
  await f?.close()
})

const as = <T>(fn: () => Promise<T>) => runWithAuditContext({ actor: { id: 'u-paranoid' } }, fn)

describe('paranoid model (Coupon, deleted_at)', () => {
  it('instance destroy is a soft delete recorded as deleted, restore as restored', async () => {
    const coupon = await as(() => f.models.Coupon.create({ code: 'SUMMER', percent: 10 }))
    const since = await f.watermark()
    await as(() => coupon.destroy())
    const [row] = await f.db.query<{ deleted_at: Date | null }>(`SELECT deleted_at FROM coupons WHERE id = $1`, [coupon.id])
    expect(row!.deleted_at).toBeInstanceOf(Date)
    await as(() => coupon.restore())
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.resource_id, e.resource_name, e.changes])).toEqual([
      [
        'deleted',
        coupon.id,
        'SUMMER',
        {
          id: { old: coupon.id, new: null },
          code: { old: 'SUMMER', new: null },
          percent: { old: 10, new: null },
          deleted_at: { old: null, new: null },
        },
      ],
      ['restored', coupon.id, 'SUMMER', { deleted_at: { old: { $date: row!.deleted_at!.toISOString() }, new: null } }],
    ])
  })

  it('Model.destroy soft-deletes only live rows, Model.restore restores only deleted ones', async () => {
    const [a, b, c] = await as(() =>
      f.models.Coupon.bulkCreate([
        { code: 'M-A', percent: 1 },
        { code: 'M-B', percent: 2 },
        { code: 'M-C', percent: 3 },
      ]),
    )
    await as(() => a!.destroy())
    const since = await f.watermark()
    const codes = ['M-A', 'M-B', 'M-C']
    expect(await as(() => f.models.Coupon.destroy({ where: { code: codes } }))).toBe(2)
    const deleted = await f.entriesSince(since)
    expect(deleted.map((e) => [e.action, e.resource_id]).sort()).toEqual([
      ['deleted', b!.id],
      ['deleted', c!.id],
    ].sort())

    const mid = await f.watermark()
    await as(() => f.models.Coupon.restore({ where: { code: codes } }))
    const restored = await f.entriesSince(mid)
    expect(restored.map((e) => [e.action, e.resource_id, Object.keys(e.changes)]).sort()).toEqual(
      [a!, b!, c!].map((coupon) => ['restored', coupon.id, ['deleted_at']]).sort(),
    )
    for (const entry of restored) {
      expect(entry.changes.deleted_at.new).toBeNull()
      expect(entry.changes.deleted_at.old.$date).toMatch(/^\d{4}-/)
    }
  })

  it('destroy with force is a hard delete recorded as deleted', async () => {
    const coupon = await as(() => f.models.Coupon.create({ code: 'GONE', percent: 5 }))
    const since = await f.watermark()
    await as(() => coupon.destroy({ force: true }))
    expect(await f.db.query(`SELECT id FROM coupons WHERE id = $1`, [coupon.id])).toEqual([])
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.resource_id, e.changes.code])).toEqual([
      ['deleted', coupon.id, { old: 'GONE', new: null }],
    ])
  })

  it('restore with individualHooks records each restored row once', async () => {
    const coupon = await as(() => f.models.Coupon.create({ code: 'IND', percent: 7 }))
    await as(() => coupon.destroy())
    const since = await f.watermark()
    await as(() => f.models.Coupon.restore({ where: { code: 'IND' }, individualHooks: true }))
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.resource_id, Object.keys(e.changes)])).toEqual([
      ['restored', coupon.id, ['deleted_at']],
    ])
  })
})
