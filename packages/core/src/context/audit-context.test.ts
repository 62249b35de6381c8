import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { getAuditContext, runWithAuditContext } from './audit-context.js'

describe('runWithAuditContext', () => {
  it('is undefined outside any context', () => {
    expect(getAuditContext()).toBeUndefined()
  })

  it('keeps the context across awaits and returns the callback result', async () => {
    const result = await runWithAuditContext({ actor: { id: 'u1' } }, async () => {
      await sleep(1)
      return getAuditContext()?.actor?.id
    })
    expect(result).toBe('u1')
    expect(getAuditContext()).toBeUndefined()
  })

  it('merges nested contexts: inner keys win, outer keys stay, metadata merges', () => {
    runWithAuditContext(
      { actor: { id: 'u1', name: 'Jan' }, ipAddress: '10.0.0.1', metadata: { a: 1, b: 1 } },
      () => {
        runWithAuditContext({ locationId: 'paris', metadata: { b: 2 }, ipAddress: undefined }, () => {
          expect(getAuditContext()).toEqual({
            actor: { id: 'u1', name: 'Jan' },
            ipAddress: '10.0.0.1',
            locationId: 'paris',
            metadata: { a: 1, b: 2 },
          })
        })
        expect(getAuditContext()?.locationId).toBeUndefined()
      },
    )
  })

  it('an inner actor: null switches to system for the inner scope only', () => {
    runWithAuditContext({ actor: { id: 'u1' } }, () => {
      runWithAuditContext({ actor: null }, () => expect(getAuditContext()?.actor).toBeNull())
      expect(getAuditContext()?.actor?.id).toBe('u1')
    })
  })

  it('starts a lazy thenable returned from the callback inside the context', async () => {
    // Like a PrismaPromise: nothing runs until someone calls then().
    let seen: unknown
    const lazy = {
      then(resolve: (value: string) => void) {
        seen = getAuditContext()?.actor?.id
        resolve('done')
      },
    }
    const result = runWithAuditContext({ actor: { id: 'u-lazy' } }, () => lazy)
    expect(seen).toBe('u-lazy')
    await expect(result).resolves.toBe('done')
  })

  it('returns native promises and plain values as they are', async () => {
    const promise = Promise.resolve(1)
    expect(runWithAuditContext({}, () => promise)).toBe(promise)
    expect(runWithAuditContext({}, () => 42)).toBe(42)
  })

  it('the context cannot be mutated by the code it wraps', () => {
    runWithAuditContext({ actor: { id: 'u1' } }, () => {
      const ctx = getAuditContext() as { actor?: unknown }
      expect(() => {
        ctx.actor = { id: 'evil' }
      }).toThrow(TypeError)
    })
  })

  it('200 concurrent tasks never see each other’s context', async () => {
    const seen = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        runWithAuditContext({ actor: { id: `user-${i}` }, requestId: `req-${i}` }, async () => {
          const observed: string[] = []
          for (let step = 0; step < 5; step++) {
            await sleep(Math.floor(Math.random() * 3))
            const ctx = getAuditContext()
            observed.push(`${ctx?.actor?.id}/${ctx?.requestId}`)
          }
          return { i, observed }
        }),
      ),
    )
    for (const { i, observed } of seen) expect(observed).toEqual(Array(5).fill(`user-${i}/req-${i}`))
  })
})
