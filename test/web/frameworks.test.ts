import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import express from 'express'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { auditContextFastify, auditContextMiddleware, getAuditContext } from '@audit-trail/core'
import { listen } from '../support/http-server.js'

// The middleware in the two frameworks apps use most, end to end over HTTP, with concurrent
// requests whose handlers await before reading the context.
const actorOf = (headers: Record<string, unknown>) =>
  typeof headers['x-user'] === 'string' ? { id: headers['x-user'] as string, name: `User ${headers['x-user']}` } : null

async function fireConcurrent(url: string): Promise<void> {
  const results = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const res = await fetch(url, { headers: { 'x-user': `u${i}`, 'x-forwarded-for': `198.51.100.${i}` } })
      return [i, (await res.json()) as { actor: { id: string }; ipAddress: string; requestId: string }, res.headers.get('x-request-id')] as const
    }),
  )
  for (const [i, body, header] of results) {
    expect(body.actor.id).toBe(`u${i}`)
    expect(body.ipAddress).toBe(`198.51.100.${i}`)
    expect(body.requestId).toBe(header)
  }
}

describe('auditContextMiddleware in Express', () => {
  it('gives every route handler its own request context', async () => {
    const app = express()
    app.use(auditContextMiddleware({ actor: (req) => actorOf(req.headers), trustProxy: true }))
    app.get('/whoami', async (_req, res) => {
      await sleep(Math.floor(Math.random() * 5))
      res.json(getAuditContext())
    })
    const server = await listen(app)
    try {
      await fireConcurrent(`${server.origin}/whoami`)
    } finally {
      await server.close()
    }
  })
})

describe('auditContextFastify', () => {
  it('gives every route handler its own request context', async () => {
    const app = Fastify()
    await app.register(auditContextFastify({ actor: (req) => actorOf(req.headers), trustProxy: true }))
    app.get('/whoami', async () => {
      await sleep(Math.floor(Math.random() * 5))
      return getAuditContext()
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      await fireConcurrent(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/whoami`)
    } finally {
      await app.close()
    }
  })
})
