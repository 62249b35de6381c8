import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { auditContextMiddleware, getAuditContext, type AuditContextMiddlewareOptions } from '@audit-trail/core'
import { clientIp } from '../../packages/core/src/web/client-ip.js'

type Req = IncomingMessage & { user?: { id: string; name: string } }

let server: Server | undefined
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined))
  server = undefined
})

/** A Connect-style app: the middleware, then a handler that awaits and reports its context. */
async function start(options: AuditContextMiddlewareOptions<Req>): Promise<string> {
  const middleware = auditContextMiddleware(options)
  server = createServer((req: Req, res: ServerResponse) => {
    req.user = req.headers.authorization ? { id: req.headers.authorization, name: `User ${req.headers.authorization}` } : undefined
    middleware(req, res, (error) => {
      if (error) {
        res.statusCode = 500
        res.end(String(error))
        return
      }
      void (async () => {
        await sleep(Math.floor(Math.random() * 5))
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify(getAuditContext() ?? null))
      })()
    })
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`
}

describe('auditContextMiddleware', () => {
  it('builds the context from the request: actor, IP, user agent, location, tenant, request id', async () => {
    const url = await start({
      actor: (req) => req.user,
      location: (req) => req.headers['x-location'] as string,
      tenant: async () => 'tenant-1',
      metadata: () => ({ route: 'test' }),
    })
    const res = await fetch(url, { headers: { authorization: 'u1', 'x-location': 'paris', 'user-agent': 'UA/1', 'x-request-id': 'abc-123' } })
    expect(res.headers.get('x-request-id')).toBe('abc-123')
    // Resolvers that found nothing (impersonator) leave their key out: asked again at each write.
    expect(await res.json()).toEqual({
      actor: { id: 'u1', name: 'User u1' },
      ipAddress: '127.0.0.1',
      userAgent: 'UA/1',
      locationId: 'paris',
      tenantId: 'tenant-1',
      requestId: 'abc-123',
      metadata: { route: 'test' },
    })
  })

  it('makes a request id when none (or an unusable one) is given, and records no actor as system', async () => {
    const url = await start({})
    const body = (await (await fetch(url, { headers: { 'x-request-id': 'bad id with spaces' } })).json()) as { requestId: string; actor?: null }
    expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(body.actor).toBeUndefined()
  })

  it('ignores X-Forwarded-For unless trustProxy says so', async () => {
    const untrusted = await start({})
    const headers = { 'x-forwarded-for': '203.0.113.9, 10.0.0.2' }
    expect(((await (await fetch(untrusted, { headers })).json()) as { ipAddress: string }).ipAddress).toBe('127.0.0.1')
    await new Promise((resolve) => server!.close(resolve))
    const trusted = await start({ trustProxy: 1 })
    expect(((await (await fetch(trusted, { headers })).json()) as { ipAddress: string }).ipAddress).toBe('10.0.0.2')
  })

  it('records impersonation: the actor is the client, the impersonator the staff member', async () => {
    const url = await start({
      actor: () => ({ id: 'client-7', name: 'Client' }),
      impersonator: (req) => (req.headers['x-impersonator'] ? { id: 'staff-1', name: 'Support' } : null),
    })
    const body = (await (await fetch(url, { headers: { 'x-impersonator': '1' } })).json()) as Record<string, unknown>
    expect(body.actor).toEqual({ id: 'client-7', name: 'Client' })
    expect(body.impersonator).toEqual({ id: 'staff-1', name: 'Support' })
  })

  it('never mixes up the context of 100 concurrent requests', async () => {
    const url = await start({ actor: (req) => req.user })
    const bodies = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const res = await fetch(url, { headers: { authorization: `u${i}`, 'x-request-id': `r${i}` } })
        return [i, (await res.json()) as { actor: { id: string }; requestId: string }] as const
      }),
    )
    for (const [i, body] of bodies) expect([body.actor.id, body.requestId]).toEqual([`u${i}`, `r${i}`])
  })

  it('passes a resolver failure to next(error)', async () => {
    const url = await start({ actor: () => Promise.reject(new Error('session store down')) })
    const res = await fetch(url)
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('Error: session store down')
  })
})

describe('clientIp', () => {
  it.each([
    [{ remoteAddress: '::ffff:192.168.1.5', forwardedFor: undefined, trustProxy: false }, '192.168.1.5'],
    [{ remoteAddress: '10.0.0.1', forwardedFor: '198.51.100.1, 10.0.0.9', trustProxy: true }, '198.51.100.1'],
    [{ remoteAddress: '10.0.0.1', forwardedFor: '198.51.100.1, 10.0.0.9', trustProxy: 2 }, '198.51.100.1'],
    [{ remoteAddress: '10.0.0.1', forwardedFor: '198.51.100.1, 10.0.0.9', trustProxy: 5 }, '198.51.100.1'],
    [{ remoteAddress: '10.0.0.1', forwardedFor: 'not-an-ip', trustProxy: true }, '10.0.0.1'],
    [{ remoteAddress: '10.0.0.1', forwardedFor: '[2001:db8::1]:443', trustProxy: true }, '2001:db8::1'],
    [{ remoteAddress: '10.0.0.1', forwardedFor: '198.51.100.7:8080', trustProxy: true }, '198.51.100.7'],
    [{ remoteAddress: undefined, forwardedFor: undefined, trustProxy: false }, null],
    // Express's `trust proxy` values, read by proxy-addr as Express reads them.
    [{ remoteAddress: '127.0.0.1', forwardedFor: '198.51.100.1', trustProxy: 'loopback' }, '198.51.100.1'],
    [{ remoteAddress: '203.0.113.5', forwardedFor: '198.51.100.1', trustProxy: 'loopback' }, '203.0.113.5'],
    [{ remoteAddress: '10.1.2.3', forwardedFor: '198.51.100.1, 10.9.9.9', trustProxy: '10.0.0.0/8' }, '198.51.100.1'],
    [{ remoteAddress: '10.1.2.3', forwardedFor: '198.51.100.1, 172.16.0.1', trustProxy: ['10.0.0.0/8'] }, '172.16.0.1'],
    [{ remoteAddress: '10.1.2.3', forwardedFor: '198.51.100.1, 172.16.0.1', trustProxy: 'loopback, uniquelocal' }, '198.51.100.1'],
    [{ remoteAddress: '10.1.2.3', forwardedFor: 'not-an-ip, 172.16.0.1', trustProxy: 'uniquelocal' }, '10.1.2.3'],
  ] as const)('%j → %s', (args, expected) => {
    expect(clientIp(args)).toBe(expected)
  })

  it('takes a function like Express: (address, hop) => trusted', () => {
    expect(clientIp({ remoteAddress: '10.0.0.1', forwardedFor: '198.51.100.7, 10.0.0.2', trustProxy: (address) => address.startsWith('10.') })).toBe('198.51.100.7')
  })
})

describe('auditContextMiddleware requestId option', () => {
  it('uses the app’s own request id when valid, else the header, else a new UUID', async () => {
    const url = await start({ requestId: (req) => (req.headers['x-trace'] as string | undefined) ?? null })
    const id = async (headers: Record<string, string>) => ((await (await fetch(url, { headers })).json()) as { requestId: string }).requestId
    expect(await id({ 'x-trace': 'trace-42', 'x-request-id': 'header-1' })).toBe('trace-42')
    expect(await id({ 'x-trace': 'bad id with spaces', 'x-request-id': 'header-1' })).toBe('header-1')
    expect(await id({})).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('auditContextMiddleware ip option', () => {
  it('uses the app’s own client IP when given (e.g. Express req.ip under its trust proxy setting)', async () => {
    const url = await start({ ip: (req) => String(req.headers['x-real-ip'] ?? '') || null })
    const body = (await (await fetch(url, { headers: { 'x-real-ip': '203.0.113.77' } })).json()) as { ipAddress: string }
    expect(body.ipAddress).toBe('203.0.113.77')
  })
})
