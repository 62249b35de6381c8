// The Conduit-style API on Express + Prisma 7 with audit-trail. `startApp({ url })` does what a
// deployment does (as the log owner: the app's tables, the audit-trail migrations with the app
// role's grant, capture for the models) and then starts the app as the app role.
import { randomBytes, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { PrismaPg } from '@prisma/adapter-pg'
import express, { type Response } from 'express'
import pg from 'pg'
import { applyMigrations, auditContextMiddleware, createAuditLog, setAuditActor } from '@audit-trail/core'
import { auditTrail, auditTrailComments, auditTrailReady, enablePrismaCapture } from '@audit-trail/prisma'
import { Prisma, PrismaClient } from './generated/client.ts'
import { activityRoute, grantAppTables, internalError, separateAppRole, serve, type RunningApp, type StartAppOptions } from '../shared/app-shell.ts'
import { badRequest, handle, hashPassword, requireUser, tagNames, tokens, verifyPassword, type AuthedRequest } from '../shared/auth.ts'

// audit-trail: what each model is called in the log and which column names its entries.
// "passwordHash" is redacted by default (its name contains "password"); "updatedAt" is never
// recorded. The implicit many-to-many table "_ArticleToTag" is captured too (resource type
// "article_tag"), because the models it links are audited.
export const auditOptions = {
  models: {
    User: { resourceType: 'user', name: 'username' },
    Article: { resourceType: 'article', name: 'title' },
    Tag: { resourceType: 'tag', name: 'name' },
  },
}

/** The deploy steps, as the owner. Idempotent. */
export async function deploy(url: string, appRole: string | null): Promise<void> {
  // audit-trail: the log, its triggers and functions, and the app role's grant (SELECT on the
  // log + record_event only). On PGlite there is no second role to grant.
  await applyMigrations(url, appRole ? { appRole } : {})
  // The app's own migration (here: what `prisma migrate deploy` would run), and its table grants.
  const owner = new pg.Client({ connectionString: url })
  await owner.connect()
  try {
    await owner.query(readFileSync(new URL('./schema.sql', import.meta.url), 'utf8'))
    if (appRole) await grantAppTables((sql) => owner.query(sql), appRole)
  } finally {
    await owner.end()
  }
  // audit-trail: capture for the models' tables and "_ArticleToTag", as the owner.
  const ownerPrisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 1 }) })
  try {
    await enablePrismaCapture(ownerPrisma, auditOptions)
  } finally {
    await ownerPrisma.$disconnect()
  }
}

export async function startApp(options: StartAppOptions): Promise<RunningApp> {
  const appUrl = options.appUrl ?? options.url
  await deploy(options.url, separateAppRole(options))

  // audit-trail: both halves of the plugin on the app's client; auditTrailReady checks at boot
  // that every audited table is captured with these options.
  const pool = new pg.Pool({ connectionString: appUrl, max: options.poolSize ?? 5 })
  const base = new PrismaClient({ adapter: new PrismaPg(pool), comments: [auditTrailComments()] })
  const prisma = base.$extends(auditTrail(auditOptions))
  await auditTrailReady(prisma)
  const log = createAuditLog({ pool })
  const auth = tokens(options.tokenSecret ?? randomBytes(32))
  const authed = requireUser(auth)

  const app = express()
  app.use(express.json())
  // audit-trail: mounted first; the actor is read from req.user when the request first writes,
  // i.e. after `authed` (mounted per route below) has set it.
  app.use(auditContextMiddleware<AuthedRequest>({ actor: (req) => req.user && { id: req.user.id, name: req.user.username } }))

  // Register. The new user's id is made here, so the sign-up is recorded as done by that user.
  app.post(
    '/users',
    handle(async (req, res) => {
      const { username, email, password } = (req.body?.user ?? {}) as Record<string, unknown>
      if (typeof username !== 'string' || typeof email !== 'string' || typeof password !== 'string' || !username || !password) {
        return badRequest(res, 'username, email and password are required')
      }
      const id = randomUUID()
      setAuditActor({ id, name: username }) // audit-trail: the actor of the sign-up
      try {
        await prisma.user.create({ data: { id, username, email, passwordHash: await hashPassword(password) } })
      } catch (error) {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return badRequest(res, 'username or email is taken')
        throw error
      }
      res.status(201).json({ user: { id, username, email, token: auth.sign({ id, username }) } })
    }),
  )

  app.post(
    '/login',
    handle(async (req, res) => {
      const { email, password } = (req.body?.user ?? {}) as Record<string, unknown>
      const user = typeof email === 'string' ? await prisma.user.findUnique({ where: { email } }) : null
      if (!user || typeof password !== 'string' || !(await verifyPassword(password, user.passwordHash))) {
        // audit-trail: a manual event; nobody is signed in, so it is recorded as System.
        await log.record({ action: 'login_failed', resourceType: 'user', resourceId: user?.id ?? null, description: `Failed login for ${String(email)}` })
        res.status(401).json({ errors: { body: ['email or password is invalid'] } })
        return
      }
      // audit-trail: attach the user who just logged in to this request, then record the login.
      setAuditActor({ id: user.id, name: user.username })
      await log.record({ action: 'login', resourceType: 'user', resourceId: user.id, resourceName: user.username })
      res.json({ user: { id: user.id, username: user.username, email: user.email, token: auth.sign(user) } })
    }),
  )

  app.post(
    '/articles',
    authed,
    handle(async (req, res) => {
      const { title, body, tagList } = (req.body?.article ?? {}) as Record<string, unknown>
      const tags = tagNames(tagList)
      if (typeof title !== 'string' || !title || typeof body !== 'string' || !tags) return badRequest(res, 'title, body and tagList (strings) are required')
      await ensureTags(tags)
      const article = await prisma.article.create({
        data: { title, body, authorId: req.user!.id, tags: { connect: tags.map((name) => ({ name })) } },
        include: { tags: true },
      })
      res.status(201).json({ article: view(article) })
    }),
  )

  app.put(
    '/articles/:id',
    authed,
    handle(async (req, res) => {
      const article = await ownArticle(req, res)
      if (!article) return
      const { title, body, tagList } = (req.body?.article ?? {}) as Record<string, unknown>
      const tags = tagList === undefined ? undefined : tagNames(tagList)
      if ((title !== undefined && (typeof title !== 'string' || !title)) || (body !== undefined && typeof body !== 'string') || tags === null) {
        return badRequest(res, 'title and body are strings, tagList a list of strings')
      }
      const current = article.tags.map((tag) => tag.name)
      const added = tags ? tags.filter((name) => !current.includes(name)) : []
      const removed = tags ? current.filter((name) => !tags.includes(name)) : []
      await ensureTags(added)
      const updated = await prisma.article.update({
        where: { id: article.id },
        data: {
          title: title as string | undefined,
          body: body as string | undefined,
          tags: { connect: added.map((name) => ({ name })), disconnect: removed.map((name) => ({ name })) },
        },
        include: { tags: true },
      })
      res.json({ article: view(updated) })
    }),
  )

  // The article's "_ArticleToTag" rows go by ON DELETE CASCADE, recorded with this actor.
  app.delete(
    '/articles/:id',
    authed,
    handle(async (req, res) => {
      const article = await ownArticle(req, res)
      if (!article) return
      await prisma.article.delete({ where: { id: article.id } })
      res.status(204).end()
    }),
  )

  app.get(
    '/articles/:id',
    handle(async (req, res) => {
      const article = await prisma.article.findUnique({ where: { id: Number(req.params.id) || 0 }, include: { tags: true } })
      if (!article) res.status(404).json({ errors: { body: ['article not found'] } })
      else res.json({ article: view(article) })
    }),
  )

  // audit-trail: the activity log, newest first (?actor=ID&type=article&limit=N&cursor=...).
  app.get('/activity', authed, activityRoute(log))

  app.use(internalError)

  /** Creates the tags that do not exist yet (INSERT ... ON CONFLICT DO NOTHING: safe under concurrent requests). */
  async function ensureTags(names: string[]): Promise<void> {
    if (names.length > 0) await prisma.tag.createMany({ data: names.map((name) => ({ name })), skipDuplicates: true })
  }

  /** The article of `:id` when the signed-in user wrote it; else answers 404 / 403 and returns null. */
  async function ownArticle(req: AuthedRequest, res: Response) {
    const article = await prisma.article.findUnique({ where: { id: Number(req.params.id) || 0 }, include: { tags: true } })
    if (!article) res.status(404).json({ errors: { body: ['article not found'] } })
    else if (article.authorId !== req.user!.id) res.status(403).json({ errors: { body: ['only the author may change an article'] } })
    else return article
    return null
  }

  return serve(app, options.port, log, async () => {
    await base.$disconnect()
    if (!pool.ended) await pool.end()
  })
}

function view(article: { id: number; title: string; body: string; authorId: string; tags: Array<{ name: string }> }) {
  return { id: article.id, title: article.title, body: article.body, author: article.authorId, tagList: article.tags.map((tag) => tag.name).sort() }
}
