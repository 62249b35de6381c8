// The Conduit-style API on Express + MikroORM 7 with audit-trail. `startApp({ url })` does what a
// deployment does (as the log owner: the app's tables, the audit-trail migrations with the app
// role's grant, capture for the entities) and then starts the app as the app role.
import { randomBytes, randomUUID } from 'node:crypto'
import { UniqueConstraintViolationException } from '@mikro-orm/core'
import { MikroORM, type EntityManager, type Options } from '@mikro-orm/postgresql'
import express, { type Response } from 'express'
import { applyMigrations, auditContextMiddleware, createAuditLog, setAuditActor } from '@audit-trail/core'
import { checkMikroOrmCapture, enableMikroOrmCapture, withAuditTrail } from '@audit-trail/mikro-orm'
import { activityRoute, grantAppTables, internalError, separateAppRole, serve, type RunningApp, type StartAppOptions } from '../shared/app-shell.ts'
import { badRequest, handle, hashPassword, requireUser, tagNames, tokens, verifyPassword, type AuthedRequest } from '../shared/auth.ts'
import { Article, entities, Tag, User, type IArticle } from './entities.ts'

// audit-trail: what each entity is called in the log and which column names its entries.
// "password_hash" is redacted by default (its name contains "password"); "updated_at" is never
// recorded. The pivot table "article_tags" is captured too (resource type "article_tag"),
// because the entities it links are audited.
export const auditOptions = {
  models: {
    User: { resourceType: 'user', name: 'username' },
    Article: { resourceType: 'article', name: 'title' },
    Tag: { resourceType: 'tag', name: 'name' },
  },
}

const config = (url: string, poolSize: number): Options => ({
  clientUrl: url,
  entities,
  pool: { min: 0, max: poolSize },
  ensureDatabase: false,
  allowGlobalContext: false,
})

/** The deploy steps, as the owner. Idempotent. */
export async function deploy(url: string, appRole: string | null): Promise<void> {
  // audit-trail: the log, its triggers and functions, and the app role's grant (SELECT on the
  // log + record_event only). On PGlite there is no second role to grant.
  await applyMigrations(url, appRole ? { appRole } : {})
  const owner = await MikroORM.init(config(url, 1))
  try {
    // The app's own migration (here: the schema generator, adding only), and its table grants.
    await owner.schema.update({ safe: true, dropTables: false })
    if (appRole) await grantAppTables((sql) => owner.em.getConnection().execute(sql), appRole)
    // audit-trail: capture for the entities' tables and "article_tags", as the owner.
    await enableMikroOrmCapture(owner, auditOptions)
  } finally {
    await owner.close(true)
  }
}

export async function startApp(options: StartAppOptions): Promise<RunningApp> {
  const appUrl = options.appUrl ?? options.url
  await deploy(options.url, separateAppRole(options))

  const poolSize = options.poolSize ?? 5
  // audit-trail: withAuditTrail adds the onQuery hook that tags every statement with the
  // request's context, and the startup check; checkMikroOrmCapture runs that check at boot.
  const orm = await MikroORM.init(withAuditTrail(config(appUrl, poolSize), auditOptions))
  await checkMikroOrmCapture(orm, auditOptions)
  const log = createAuditLog({ connectionString: appUrl, max: poolSize })
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
      const em = orm.em.fork()
      try {
        em.create(User, { id, username, email, passwordHash: await hashPassword(password), createdAt: new Date() })
        await em.flush()
      } catch (error) {
        if (error instanceof UniqueConstraintViolationException) return badRequest(res, 'username or email is taken')
        throw error
      }
      res.status(201).json({ user: { id, username, email, token: auth.sign({ id, username }) } })
    }),
  )

  app.post(
    '/login',
    handle(async (req, res) => {
      const { email, password } = (req.body?.user ?? {}) as Record<string, unknown>
      const user = typeof email === 'string' ? await orm.em.fork().findOne(User, { email }) : null
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
      const names = tagNames(tagList)
      if (typeof title !== 'string' || !title || typeof body !== 'string' || !names) return badRequest(res, 'title, body and tagList (strings) are required')
      const em = orm.em.fork()
      const tags = await ensureTags(em, names)
      const now = new Date()
      // One flush, one transaction: the article and its "article_tags" rows.
      const article = em.create(Article, { title, body, author: em.getReference(User, req.user!.id), tags, createdAt: now, updatedAt: now })
      await em.flush()
      res.status(201).json({ article: view(article) })
    }),
  )

  app.put(
    '/articles/:id',
    authed,
    handle(async (req, res) => {
      const em = orm.em.fork()
      const article = await ownArticle(em, req, res)
      if (!article) return
      const { title, body, tagList } = (req.body?.article ?? {}) as Record<string, unknown>
      const names = tagList === undefined ? undefined : tagNames(tagList)
      if ((title !== undefined && (typeof title !== 'string' || !title)) || (body !== undefined && typeof body !== 'string') || names === null) {
        return badRequest(res, 'title and body are strings, tagList a list of strings')
      }
      if (typeof title === 'string') article.title = title
      if (typeof body === 'string') article.body = body
      // The collection's changes become deletes and inserts of "article_tags" rows at flush.
      if (names) article.tags.set(await ensureTags(em, names))
      await em.flush()
      res.json({ article: view(article) })
    }),
  )

  // The article's "article_tags" rows go by ON DELETE CASCADE, recorded with this actor.
  app.delete(
    '/articles/:id',
    authed,
    handle(async (req, res) => {
      const em = orm.em.fork()
      const article = await ownArticle(em, req, res)
      if (!article) return
      em.remove(article)
      await em.flush()
      res.status(204).end()
    }),
  )

  app.get(
    '/articles/:id',
    handle(async (req, res) => {
      const article = await orm.em.fork().findOne(Article, { id: Number(req.params.id) || 0 }, { populate: ['tags'] })
      if (!article) res.status(404).json({ errors: { body: ['article not found'] } })
      else res.json({ article: view(article) })
    }),
  )

  // audit-trail: the activity log, newest first (?actor=ID&type=article&limit=N&cursor=...).
  app.get('/activity', authed, activityRoute(log))

  app.use(internalError)

  /** The tags of `names`, creating those that do not exist (INSERT ... ON CONFLICT DO NOTHING: safe under concurrent requests). */
  async function ensureTags(em: EntityManager, names: string[]) {
    if (names.length === 0) return []
    await em
      .createQueryBuilder(Tag)
      .insert(names.map((name) => ({ name })))
      .onConflict('name')
      .ignore()
      .execute()
    return em.find(Tag, { name: { $in: names } })
  }

  /** The article of `:id` when the signed-in user wrote it; else answers 404 / 403 and returns null. */
  async function ownArticle(em: EntityManager, req: AuthedRequest, res: Response): Promise<IArticle | null> {
    const article = await em.findOne(Article, { id: Number(req.params.id) || 0 }, { populate: ['tags'] })
    if (!article) res.status(404).json({ errors: { body: ['article not found'] } })
    else if (article.author.id !== req.user!.id) res.status(403).json({ errors: { body: ['only the author may change an article'] } })
    else return article
    return null
  }

  return serve(app, options.port, log, () => orm.close(true))
}

function view(article: IArticle) {
  return {
    id: article.id,
    title: article.title,
    body: article.body,
    author: article.author.id,
    tagList: article.tags
      .getItems()
      .map((tag) => tag.name)
      .sort(),
  }
}
