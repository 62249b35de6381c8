import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import express from 'express'
import Fastify from 'fastify'
import { beforeAll, describe, expect, it } from 'vitest'
import { auditContextFastify, auditContextMiddleware, enableCapture, setAuditActor, withAuditContextSql } from '@audit-trail/core'
import { listen } from '../support/http-server.js'
import { useLogDatabase } from '../support/log-database.js'

// Apps authenticate per route (a JWT check inside each router, Passport on some routes), AFTER
// the audit middleware ran. The middleware's resolvers are asked again at the request's first
// write, so those writes get the right actor (issue 16: 7 of 7 and 14 of 14 entries were System).
const { db, log } = useLogDatabase()
beforeAll(async () => {
  await db.query(`CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)`)
  await enableCapture(db.pool, 'notes', { resourceType: 'note', nameColumn: 'body' })
})

type User = { id: number; name: string }
/** The token check of a RealWorld-style app: async, per route, sets req.user. */
async function authenticate(authorization: string | undefined): Promise<User | undefined> {
  await sleep(Math.floor(Math.random() * 3))
  const match = /^Token user-(\d+)$/.exec(authorization ?? '')
  return match ? { id: Number(match[1]), name: `User ${match[1]}` } : undefined
}
async function writeNote(body: string): Promise<void> {
  await db.pool.query(withAuditContextSql('INSERT INTO notes (body) VALUES ($1)'), [body])
}
async function entriesFor(prefix: string) {
  return db.query<{ resource_name: string; actor_type: string; actor_id: string | null; actor_name: string | null; action: string }>(
    `SELECT resource_name, actor_type, actor_id, actor_name, action FROM audit_trail.activity_log WHERE resource_name LIKE $1 || '%' ORDER BY id`,
    [prefix],
  )
}
async function fire(url: string, prefix: string) {
  const statuses = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      fetch(`${url}/notes`, {
        method: 'POST',
        headers: { authorization: `Token user-${i}`, 'content-type': 'application/json' },
        body: JSON.stringify({ body: `${prefix} ${i}` }),
      }).then((res) => res.status),
    ),
  )
  expect(statuses.every((status) => status === 201)).toBe(true)
  const entries = await entriesFor(prefix)
  expect(entries).toHaveLength(50)
  const wrong = entries.filter((e) => e.actor_id !== e.resource_name.slice(prefix.length + 1) || e.actor_type !== 'user')
  expect(wrong).toEqual([])
}

describe('the actor is resolved at the first write, so per-route auth works with the middleware mounted first', () => {
  it('Express: 50 concurrent requests of 50 users authenticated inside the router: 0 missing or wrong actors', async () => {
    const app = express()
    app.use(express.json())
    app.use(auditContextMiddleware<express.Request & { user?: User }>({ actor: (req) => req.user && { id: req.user.id, name: req.user.name } }))
    const router = express.Router()
    router.use(async (req: express.Request & { user?: User }, res, next) => {
      req.user = await authenticate(req.headers.authorization)
      if (!req.user) res.status(401).end()
      else next()
    })
    router.post('/notes', async (req, res) => {
      await writeNote((req.body as { body: string }).body)
      res.status(201).end()
    })
    // Login: nobody is authenticated before it; setAuditActor attaches the user who just logged in.
    app.post('/login', async (req, res) => {
      const user = await authenticate((req.body as { token: string }).token)
      if (!user) {
        await log.record({ action: 'login_failed', resourceName: 'login-express' })
        res.status(401).end()
        return
      }
      setAuditActor({ id: user.id, name: user.name })
      await log.record({ action: 'login', resourceName: 'login-express' })
      res.status(204).end()
    })
    app.use(router)
    const server = await listen(app)
    const url = server.origin
    try {
      await fire(url, 'express')
      const login = (token: string) =>
        fetch(`${url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) })
      expect((await login('Token user-77')).status).toBe(204)
      expect((await login('nope')).status).toBe(401)
      expect((await entriesFor('login-express')).map((e) => [e.action, e.actor_type, e.actor_id])).toEqual([
        ['login', 'user', '77'],
        ['login_failed', 'system', null],
      ])
    } finally {
      await server.close()
    }
  })

  it('Fastify: 50 concurrent requests authenticated in a route-level preHandler: 0 missing or wrong actors', async () => {
    const app = Fastify()
    await app.register(auditContextFastify({ actor: (req) => (req as typeof req & { user?: User }).user ?? null }))
    app.post(
      '/notes',
      {
        preHandler: async (request, reply) => {
          const user = await authenticate(request.headers.authorization)
          if (!user) return reply.code(401).send()
          ;(request.raw as typeof request.raw & { user?: User }).user = user
        },
      },
      async (request, reply) => {
        await writeNote((request.body as { body: string }).body)
        return reply.code(201).send()
      },
    )
    await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      await fire(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, 'fastify')
    } finally {
      await app.close()
    }
  })

  it('a request that never authenticates is recorded as system, and numeric and bigint ids are stored as text', async () => {
    const app = express()
    app.use(auditContextMiddleware<express.Request & { user?: { id: bigint } }>({ actor: (req) => req.user && { id: req.user.id } }))
    app.post('/anon', async (_req, res) => {
      await writeNote('late-anon')
      res.status(201).end()
    })
    app.post('/big', async (req: express.Request & { user?: { id: bigint } }, res) => {
      req.user = { id: 9007199254740993n }
      await writeNote('late-big')
      res.status(201).end()
    })
    const server = await listen(app)
    const url = server.origin
    try {
      await fetch(`${url}/anon`, { method: 'POST' })
      await fetch(`${url}/big`, { method: 'POST' })
      expect((await entriesFor('late-')).map((e) => [e.resource_name, e.actor_type, e.actor_id])).toEqual([
        ['late-anon', 'system', null],
        ['late-big', 'user', '9007199254740993'],
      ])
    } finally {
      await server.close()
    }
  })
})
