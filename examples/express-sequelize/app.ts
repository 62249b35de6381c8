// The Conduit-style API on Express + Sequelize 6 with audit-trail. `startApp({ url })` does what a
// deployment does (as the log owner: the app's tables, the audit-trail migrations with the app
// role's grant, capture for the models) and then starts the app as the app role.
import { randomBytes, randomUUID } from 'node:crypto'
import express, { type Response } from 'express'
import { Op, Sequelize, UniqueConstraintError } from 'sequelize'
import { applyMigrations, auditContextMiddleware, createAuditLog, setAuditActor } from '@audit-trail/core'
import { attachAuditHooks, checkSequelizeCapture, enableSequelizeCapture } from '@audit-trail/sequelize'
import { activityRoute, grantAppTables, internalError, separateAppRole, serve, type RunningApp, type StartAppOptions } from '../shared/app-shell.ts'
import { badRequest, handle, hashPassword, requireUser, tagNames, tokens, verifyPassword, type AuthedRequest } from '../shared/auth.ts'
import { defineModels, type Article } from './models.ts'

// audit-trail: what each model is called in the log and which column names its entries.
// "password_hash" is redacted by default (its name contains "password"); "updated_at" is never
// recorded. The through table "ArticleTags" is captured too (resource type "article_tag"),
// because the models it links are audited.
export const auditOptions = {
  models: {
    User: { resourceType: 'user', name: 'username' },
    Article: { resourceType: 'article', name: 'title' },
    Tag: { resourceType: 'tag', name: 'name' },
  },
}

const quiet = { logging: false as const }

/** The deploy steps, as the owner. Idempotent. */
export async function deploy(url: string, appRole: string | null): Promise<void> {
  // audit-trail: the log, its triggers and functions, and the app role's grant (SELECT on the
  // log + record_event only). On PGlite there is no second role to grant.
  await applyMigrations(url, appRole ? { appRole } : {})
  const owner = new Sequelize(url, { ...quiet, pool: { max: 1 } })
  try {
    defineModels(owner)
    // The app's own migration (here: sync()), and its table grants.
    await owner.sync()
    if (appRole) await grantAppTables((sql) => owner.query(sql), appRole)
    // audit-trail: capture for the models' tables and "ArticleTags", as the owner.
    await enableSequelizeCapture(owner, auditOptions)
  } finally {
    await owner.close()
  }
}

export async function startApp(options: StartAppOptions): Promise<RunningApp> {
  const appUrl = options.appUrl ?? options.url
  await deploy(options.url, separateAppRole(options))

  const poolSize = options.poolSize ?? 5
  const sequelize = new Sequelize(appUrl, { ...quiet, pool: { max: poolSize } })
  const { User, Article, Tag } = defineModels(sequelize)
  // audit-trail: tags every statement of this instance with the request's context; the check
  // fails at boot if a model's table is not captured with these options.
  attachAuditHooks(sequelize, auditOptions)
  await checkSequelizeCapture(sequelize)
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
      try {
        await User.create({ id, username, email, passwordHash: await hashPassword(password) })
      } catch (error) {
        if (error instanceof UniqueConstraintError) return badRequest(res, 'username or email is taken')
        throw error
      }
      res.status(201).json({ user: { id, username, email, token: auth.sign({ id, username }) } })
    }),
  )

  app.post(
    '/login',
    handle(async (req, res) => {
      const { email, password } = (req.body?.user ?? {}) as Record<string, unknown>
      const user = typeof email === 'string' ? await User.findOne({ where: { email } }) : null
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
      const tags = await ensureTags(names)
      // One transaction: the article and its "ArticleTags" rows, or nothing.
      const article = await sequelize.transaction(async (transaction) => {
        const created = await Article.create({ title, body, authorId: req.user!.id }, { transaction })
        await created.setTags(tags, { transaction })
        return created
      })
      res.status(201).json({ article: view(article, names) })
    }),
  )

  app.put(
    '/articles/:id',
    authed,
    handle(async (req, res) => {
      const article = await ownArticle(req, res)
      if (!article) return
      const { title, body, tagList } = (req.body?.article ?? {}) as Record<string, unknown>
      const names = tagList === undefined ? undefined : tagNames(tagList)
      if ((title !== undefined && (typeof title !== 'string' || !title)) || (body !== undefined && typeof body !== 'string') || names === null) {
        return badRequest(res, 'title and body are strings, tagList a list of strings')
      }
      const tags = names ? await ensureTags(names) : undefined
      await sequelize.transaction(async (transaction) => {
        await article.update({ title: title ?? article.title, body: body ?? article.body }, { transaction })
        // setTags removes the "ArticleTags" rows of tags no longer listed and adds the new ones.
        if (tags) await article.setTags(tags, { transaction })
      })
      res.json({ article: view(article, names ?? (article.tags ?? []).map((tag) => tag.name)) })
    }),
  )

  // The article's "ArticleTags" rows go by ON DELETE CASCADE, recorded with this actor.
  app.delete(
    '/articles/:id',
    authed,
    handle(async (req, res) => {
      const article = await ownArticle(req, res)
      if (!article) return
      await article.destroy()
      res.status(204).end()
    }),
  )

  app.get(
    '/articles/:id',
    handle(async (req, res) => {
      const article = await Article.findByPk(Number(req.params.id) || 0, { include: [{ model: Tag, as: 'tags' }] })
      if (!article) res.status(404).json({ errors: { body: ['article not found'] } })
      else res.json({ article: view(article, (article.tags ?? []).map((tag) => tag.name)) })
    }),
  )

  // audit-trail: the activity log, newest first (?actor=ID&type=article&limit=N&cursor=...).
  app.get('/activity', authed, activityRoute(log))

  app.use(internalError)

  /** The tags of `names`, creating those that do not exist (INSERT ... ON CONFLICT DO NOTHING: safe under concurrent requests). */
  async function ensureTags(names: string[]) {
    if (names.length === 0) return []
    await Tag.bulkCreate(
      names.map((name) => ({ name })),
      { ignoreDuplicates: true },
    )
    return Tag.findAll({ where: { name: { [Op.in]: names } } })
  }

  /** The article of `:id` when the signed-in user wrote it; else answers 404 / 403 and returns null. */
  async function ownArticle(req: AuthedRequest, res: Response): Promise<Article | null> {
    const article = await Article.findByPk(Number(req.params.id) || 0, { include: [{ model: Tag, as: 'tags' }] })
    if (!article) res.status(404).json({ errors: { body: ['article not found'] } })
    else if (article.authorId !== req.user!.id) res.status(403).json({ errors: { body: ['only the author may change an article'] } })
    else return article
    return null
  }

  return serve(app, options.port, log, () => sequelize.close())
}

function view(article: Article, tagList: string[]) {
  return { id: article.id, title: article.title, body: article.body, author: article.authorId, tagList: [...tagList].sort() }
}
