import { describe, expect, it } from 'vitest'
import { runWithAuditContext } from '@audit-trail/core'
import { useSequelizeFixture } from './sequelize-fixture.js'

const f = useSequelizeFixture({ models: { Coupon: { resourceType: 'coupon', name: 'code' } } })

const as = <T>(fn: () => Promise<T>) => runWithAuditContext({ actor: { id: 'u-paranoid' } }, fn)

async function deletedAt(id: string): Promise<Date | null> {
  const [row] = await f.db.query<{ deleted_at: Date | null }>(`SELECT deleted_at FROM coupons WHERE id = $1`, [id])
  return row!.deleted_at
}
const date = (value: Date) => ({ $date: value.toISOString() })

// The database sees a soft delete and a restore as UPDATEs of deleted_at, and records them so.
describe('paranoid model (Coupon, deleted_at)', () => {
  it('instance destroy and restore are recorded as updates of deleted_at', async () => {
    const coupon = await as(() => f.models.Coupon.create({ code: 'SUMMER', percent: 10 }))
    const since = await f.watermark()
    await as(() => coupon.destroy())
    const stamp = await deletedAt(coupon.id)
    expect(stamp).toBeInstanceOf(Date)
    await as(() => coupon.restore())
    expect(await deletedAt(coupon.id)).toBeNull()
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.actor_id, e.resource_id, e.resource_name, e.changes])).toEqual([
      ['updated', 'u-paranoid', coupon.id, 'SUMMER', { deleted_at: { old: null, new: date(stamp!) } }],
      ['updated', 'u-paranoid', coupon.id, 'SUMMER', { deleted_at: { old: date(stamp!), new: null } }],
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
    const stamps = new Map(await Promise.all([b!, c!].map(async (coupon) => [coupon.id, await deletedAt(coupon.id)] as const)))
    expect(deleted.map((e) => [e.action, e.resource_id, e.changes]).sort()).toEqual(
      [b!, c!].map((coupon) => ['updated', coupon.id, { deleted_at: { old: null, new: date(stamps.get(coupon.id)!) } }]).sort(),
    )

    const mid = await f.watermark()
    const before = new Map(await Promise.all([a!, b!, c!].map(async (coupon) => [coupon.id, await deletedAt(coupon.id)] as const)))
    await as(() => f.models.Coupon.restore({ where: { code: codes } }))
    const restored = await f.entriesSince(mid)
    expect(restored.map((e) => [e.action, e.actor_id, e.resource_id, e.changes]).sort()).toEqual(
      [a!, b!, c!].map((coupon) => ['updated', 'u-paranoid', coupon.id, { deleted_at: { old: date(before.get(coupon.id)!), new: null } }]).sort(),
    )
  })

  it('destroy with force is a hard delete recorded as deleted', async () => {
    const coupon = await as(() => f.models.Coupon.create({ code: 'GONE', percent: 5 }))
    const since = await f.watermark()
    await as(() => coupon.destroy({ force: true }))
    expect(await f.db.query(`SELECT id FROM coupons WHERE id = $1`, [coupon.id])).toEqual([])
    const entries = await f.entriesSince(since)
    expect(entries.map((e) => [e.action, e.actor_id, e.resource_id, e.changes])).toEqual([
      [
        'deleted',
        'u-paranoid',
        coupon.id,
        {
          id: { old: coupon.id, new: null },
          code: { old: 'GONE', new: null },
          percent: { old: 5, new: null },
          deleted_at: { old: null, new: null },
        },
      ],
    ])
  })
})
