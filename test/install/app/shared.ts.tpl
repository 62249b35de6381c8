// What the three apps share: per-route token auth and the article routes, written as an
// Express app would be. The audit middleware is mounted first; each route authenticates itself.
import express from 'express'
import type { NextFunction, Request, Response } from 'express'
import type { AddressInfo } from 'node:net'
import { auditContextMiddleware } from '@audit-trail/core'

export interface User {
  id: number
  name: string
}
export type AppRequest = Request & { user?: User }

/** What each ORM app implements. */
export interface ArticleStore {
  create(title: string): Promise<number>
  rename(id: number, title: string): Promise<void>
  remove(id: number): Promise<void>
}

/** The models' audit options, the same for deploy (capture) and the app (startup check). */
export const auditOptions = {
  models: { Article: { resourceType: 'article', name: 'title' } },
}

export function env(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}

/** `Token user-<id>`: an async check inside the route, as RealWorld apps do it. */
async function requireUser(req: AppRequest, res: Response, next: NextFunction): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 3)))
  const match = /^Token user-(\d+)$/.exec(req.headers.authorization ?? '')
  if (!match) {
    res.status(401).json({ error: 'unauthorized' })
    return
  }
  req.user = { id: Number(match[1]), name: `User ${match[1]}` }
  next()
}

export function createApp(store: ArticleStore): express.Express {
  const app = express()
  app.use(auditContextMiddleware<AppRequest>({ actor: (req) => req.user && { id: req.user.id, name: req.user.name } }))
  app.use(express.json())
  app.post('/articles', requireUser, async (req: AppRequest, res: Response) => {
    const { title } = req.body as { title: string }
    res.status(201).json({ id: await store.create(title) })
  })
  app.patch('/articles/:id', requireUser, async (req: AppRequest, res: Response) => {
    const { title } = req.body as { title: string }
    await store.rename(Number(req.params.id), title)
    res.status(204).end()
  })
  app.delete('/articles/:id', requireUser, async (req: AppRequest, res: Response) => {
    await store.remove(Number(req.params.id))
    res.status(204).end()
  })
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    console.error(error)
    res.status(500).json({ error: String(error) })
  })
  return app
}

/** Listens on a free port and tells the test which. */
export function listen(app: express.Express): void {
  const server = app.listen(0, '127.0.0.1', () => {
    console.log(`listening ${(server.address() as AddressInfo).port}`)
  })
}
