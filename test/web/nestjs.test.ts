import 'reflect-metadata'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { Controller, Module, Post, Req, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditContextMiddleware, enableCapture, withAuditContextSql } from '@audit-trail/core'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

// NestJS runs on Express: the audit middleware goes in with app.use() in main.ts, before any
// guard; a guard authenticates per route and sets req.user afterwards, and the actor is
// resolved at the first write. Decorators are applied as plain calls (no compiler decorator
// support needed here), exactly as the @-syntax would apply them.
let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
  await db.query(`CREATE TABLE nest_notes (id serial PRIMARY KEY, body text NOT NULL)`)
  await enableCapture(db.pool, 'nest_notes', { resourceType: 'note', nameColumn: 'body' })
})
afterAll(async () => {
  await db?.drop()
})

type User = { id: number; name: string }
type AppRequest = { headers: Record<string, string | undefined>; body: { body: string }; user?: User }

class TokenGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AppRequest>()
    await sleep(Math.floor(Math.random() * 3))
    const match = /^Bearer user-(\d+)$/.exec(req.headers.authorization ?? '')
    if (!match) return false
    req.user = { id: Number(match[1]), name: `User ${match[1]}` }
    return true
  }
}

class NotesController {
  async create(req: AppRequest): Promise<{ ok: true }> {
    await db.pool.query(withAuditContextSql('INSERT INTO nest_notes (body) VALUES ($1)'), [req.body.body])
    return { ok: true }
  }
}
Req()(NotesController.prototype, 'create', 0)
UseGuards(TokenGuard)(NotesController.prototype, 'create', Object.getOwnPropertyDescriptor(NotesController.prototype, 'create')!)
Post()(NotesController.prototype, 'create', Object.getOwnPropertyDescriptor(NotesController.prototype, 'create')!)
Controller('notes')(NotesController)

class AppModule {}
Module({ controllers: [NotesController], providers: [TokenGuard] })(AppModule)

describe('auditContextMiddleware in NestJS (Express platform)', () => {
  it('50 concurrent users authenticated by a per-route guard: every entry has its user; a refused request writes nothing', async () => {
    const app = await NestFactory.create(AppModule, { logger: false })
    app.use(auditContextMiddleware<IncomingMessage & { user?: User }>({ actor: (req) => req.user && { id: req.user.id, name: req.user.name } }))
    await app.listen(0, '127.0.0.1')
    const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`
    try {
      const statuses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          fetch(`${url}/notes`, {
            method: 'POST',
            headers: { authorization: `Bearer user-${i}`, 'content-type': 'application/json' },
            body: JSON.stringify({ body: `nest ${i}` }),
          }).then((res) => res.status),
        ),
      )
      expect(statuses.every((status) => status === 201)).toBe(true)
      const refused = await fetch(`${url}/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ body: 'nest refused' }) })
      expect(refused.status).toBe(403)
      const entries = await db.query<{ resource_name: string; actor_type: string; actor_id: string | null; actor_name: string | null }>(
        `SELECT resource_name, actor_type, actor_id, actor_name FROM audit_trail.activity_log WHERE resource_type = 'note' ORDER BY id`,
      )
      expect(entries).toHaveLength(50)
      const wrong = entries.filter((e) => {
        const i = e.resource_name.slice('nest '.length)
        return e.actor_type !== 'user' || e.actor_id !== i || e.actor_name !== `User ${i}`
      })
      expect(wrong).toEqual([])
    } finally {
      await app.close()
    }
  })
})
