import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuditLog, type AuditEntry } from '@audit-trail/core'
import { apiClient } from '../../examples/shared/app-shell.ts'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

/** What the three examples share: `startApp` and where their tables are. */
export interface ConduitExample {
  name: string
  startApp(options: { url: string; appUrl?: string; poolSize?: number }): Promise<{ url: string; close(): Promise<void> }>
  /** Quoted table names and the link table's column names. */
  tables: { article: string; tag: string; link: string; linkArticle: string; linkTag: string }
}

interface Session {
  id: string
  username: string
  email: string
  password: string
  token: string
}

const USERS = 5

/**
 * The example started in-process as a deployment does it (owner URL for the deploy steps, an app
 * role's URL for the app; on PGlite one user for both), then 5 users over HTTP, concurrently:
 * sign-up, a failed and a good login, two articles each with their own and a shared tag, one
 * article retitled with tag changes, the other deleted (link rows by cascade), writes to someone
 * else's article refused (403), writes without a valid token refused (401). Every entry of the
 * log must carry the actor of the request that caused it.
 */
export function describeConduitExample(example: ConduitExample): void {
  describe(`${example.name} example: every entry carries the actor of the request (per-route token auth)`, () => {
    let db: TestDatabase
    let appRole: string | null = null
    let app: { url: string; close(): Promise<void> }
    const prefix = randomBytes(3).toString('hex')

    beforeAll(async () => {
      db = await createTestDatabase({ migrate: false })
      let appUrl: string | undefined
      if (!db.embedded) {
        // What a DBA does before the deploy: a login role with no rights; the example's deploy
        // step grants it the app's tables and makes it the log's app role.
        appRole = `conduit_app_${randomBytes(4).toString('hex')}`
        await db.query(`CREATE ROLE ${appRole} LOGIN`)
        const parsed = new URL(db.url)
        parsed.username = appRole
        parsed.password = ''
        appUrl = parsed.toString()
      }
      // PGlite: one connection (see poolSize in the examples).
      app = await example.startApp({ url: db.url, appUrl, poolSize: db.embedded ? 1 : 5 })
    })
    afterAll(async () => {
      await app?.close()
      if (appRole) await db.query(`DROP OWNED BY ${appRole}`).catch(() => undefined)
      await db?.drop()
      if (appRole) {
        const admin = new pg.Client({ connectionString: process.env.DATABASE_URL })
        await admin.connect()
        await admin.query(`DROP ROLE IF EXISTS ${appRole}`)
        await admin.end()
      }
    })

    // app is started in beforeAll: its URL is read at each call.
    const call: ReturnType<typeof apiClient> = (...args) => apiClient(app.url)(...args)
    const count = async (table: string) => (await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).n
    const logCount = () => count('audit_trail.activity_log')

    it('runs the app as the app role (no INSERT on the log) on a server', async () => {
      if (db.embedded) {
        // PGlite has one user: the app runs as it (said in each example's README).
        expect(appRole).toBeNull()
        return
      }
      const rows = await db.query<{ insert: boolean; select: boolean; app: boolean }>(
        `SELECT has_table_privilege($1, 'audit_trail.activity_log', 'INSERT') AS insert,
                has_table_privilege($1, 'audit_trail.activity_log', 'SELECT') AS select,
                EXISTS (SELECT 1 FROM pg_stat_activity WHERE usename = $1 AND datname = current_database()) AS app`,
        [appRole],
      )
      expect(rows).toEqual([{ insert: false, select: true, app: true }])
    })

    it('5 users write concurrently over HTTP: 100% of the entries have the right actor, refused writes write nothing', async () => {
      // Sign-ups and logins, concurrently.
      const users: Session[] = await Promise.all(
        Array.from({ length: USERS }, async (_, i) => {
          const user = { username: `${prefix}-user${i}`, email: `${prefix}-user${i}@example.com`, password: `secret ${i}` }
          const res = await call('POST', '/users', { user })
          expect(res.status).toBe(201)
          return { ...user, id: String(res.json.user.id), token: String(res.json.user.token) }
        }),
      )
      const logins = await Promise.all(
        users.flatMap((user) => [
          call('POST', '/login', { user: { email: user.email, password: 'wrong' } }),
          call('POST', '/login', { user: { email: user.email, password: user.password } }),
        ]),
      )
      expect(logins.map((res) => res.status)).toEqual(users.flatMap(() => [401, 200]))
      users.forEach((user, i) => (user.token = String(logins[2 * i + 1]!.json.user.token)))

      // Phase 1: every user creates two articles at once (own tags and one shared tag).
      const shared = `${prefix}-shared`
      const tag = (i: number, name: string) => `${prefix}-u${i}-${name}`
      const created = await Promise.all(
        users.flatMap((user, i) => [
          call('POST', '/articles', { article: { title: `A by ${i}`, body: 'a', tagList: [tag(i, 'a'), tag(i, 'b'), shared] } }, user.token),
          call('POST', '/articles', { article: { title: `B by ${i}`, body: 'b', tagList: [tag(i, 'a'), shared] } }, user.token),
        ]),
      )
      expect(created.map((res) => res.status)).toEqual(users.flatMap(() => [201, 201]))
      const articleA = users.map((_, i) => Number(created[2 * i]!.json.article.id))
      const articleB = users.map((_, i) => Number(created[2 * i + 1]!.json.article.id))
      expect(created[0]!.json.article.tagList).toEqual([tag(0, 'a'), tag(0, 'b'), shared].sort())

      // Phase 2, all at once: each user retitles A with tag changes, deletes B, and tries to
      // change and delete the next user's A (refused: only the author may).
      const changed = await Promise.all(
        users.flatMap((user, i) => [
          call('PUT', `/articles/${articleA[i]}`, { article: { title: `A by ${i}, edited`, tagList: [tag(i, 'b'), tag(i, 'c')] } }, user.token),
          call('DELETE', `/articles/${articleB[i]}`, undefined, user.token),
          call('PUT', `/articles/${articleA[(i + 1) % USERS]}`, { article: { title: 'hijacked', tagList: [] } }, user.token),
          call('DELETE', `/articles/${articleA[(i + 1) % USERS]}`, undefined, user.token),
        ]),
      )
      expect(changed.map((res) => res.status)).toEqual(users.flatMap(() => [200, 204, 403, 403]))
      expect(changed[0]!.json.article).toMatchObject({ title: 'A by 0, edited', tagList: [tag(0, 'b'), tag(0, 'c')] })

      // Writes without a valid token: 401, and nothing written (tables and log unchanged).
      const before = { log: await logCount(), articles: await count(example.tables.article), tags: await count(example.tables.tag), links: await count(example.tables.link) }
      const forged = `${users[0]!.token.split('.')[0]}.${Buffer.from('forged-signature-of-32-bytes-xxx').toString('base64url')}`
      const refused = await Promise.all([
        call('POST', '/articles', { article: { title: 'anonymous', body: 'x', tagList: [`${prefix}-anon`] } }),
        call('POST', '/articles', { article: { title: 'forged', body: 'x', tagList: [`${prefix}-anon`] } }, forged),
        call('PUT', `/articles/${articleA[0]}`, { article: { title: 'anonymous edit', tagList: [] } }),
        call('DELETE', `/articles/${articleA[0]}`),
        call('DELETE', `/articles/${articleA[1]}`, undefined, `${users[1]!.token}x`),
      ])
      expect(refused.map((res) => res.status)).toEqual([401, 401, 401, 401, 401])
      expect({ log: await logCount(), articles: await count(example.tables.article), tags: await count(example.tables.tag), links: await count(example.tables.link) }).toEqual(before)

      // GET /activity (the app's query API, as the app role) sees the whole log.
      expect((await call('GET', '/activity?limit=1')).status).toBe(401)
      const activity = await call('GET', '/activity?limit=1000', undefined, users[0]!.token)
      expect(activity.status).toBe(200)
      expect(activity.json.entries).toHaveLength(before.log)

      // Every entry, read as the owner, against the actor that caused it.
      const ownerLog = createAuditLog({ connectionString: db.url, max: 1 })
      const { entries } = await ownerLog.list({ limit: 1000, order: 'asc' }).finally(() => ownerLog.close())
      expect(entries).toHaveLength(before.log)
      const byId = new Map(users.map((user) => [user.id, user]))
      const author = new Map<number, Session>(users.flatMap((user, i) => [[articleA[i]!, user], [articleB[i]!, user]] as const))
      const tagUsers = new Map<string, Session[]>([[shared, users]])
      users.forEach((user, i) => ['a', 'b', 'c'].forEach((name) => tagUsers.set(tag(i, name), [user])))
      const tagName = new Map<number, string>()
      for (const entry of entries) if (entry.resourceType === 'tag') tagName.set(Number(entry.resourceId), entry.resourceName!)

      const wrong: Array<{ entry: AuditEntry; why: string }> = []
      const isUser = (entry: AuditEntry, user: Session | undefined) =>
        !!user && entry.actor.type === 'user' && entry.actor.id === user.id && entry.actor.name === user.username && !!entry.requestId
      const links: Record<'created' | 'deleted', string[]> = { created: [], deleted: [] }
      for (const entry of entries) {
        const expectUser = (user: Session | undefined, why: string) => {
          if (!isUser(entry, user)) wrong.push({ entry, why })
        }
        switch (`${entry.resourceType}:${entry.action}`) {
          case 'user:created':
          case 'user:login':
            expectUser(byId.get(entry.resourceId!), 'the user themselves')
            break
          case 'user:login_failed':
            if (entry.actor.type !== 'system' || entry.actor.id !== null || !byId.has(entry.resourceId!)) wrong.push({ entry, why: 'System, for a known user' })
            break
          case 'article:created':
          case 'article:updated':
          case 'article:deleted':
            expectUser(author.get(Number(entry.resourceId)), "the article's author")
            break
          case 'tag:created': {
            const candidates = tagUsers.get(entry.resourceName!) ?? []
            if (!candidates.some((user) => isUser(entry, user))) wrong.push({ entry, why: 'a user who used the tag' })
            break
          }
          case 'article_tag:created':
          case 'article_tag:deleted': {
            const side = entry.action === 'created' ? 'new' : 'old'
            const changes = entry.changes as Record<string, Record<string, unknown>>
            const articleId = Number(changes[example.tables.linkArticle]?.[side])
            expectUser(author.get(articleId), "the linked article's author")
            links[entry.action as 'created' | 'deleted'].push(`${articleId}:${tagName.get(Number(changes[example.tables.linkTag]?.[side]))}`)
            break
          }
          default:
            wrong.push({ entry, why: 'an unexpected entry' })
        }
      }
      expect(wrong).toEqual([])

      // And the log has every write: counts per kind, the link rows exactly.
      const kinds: Record<string, number> = {}
      for (const entry of entries) kinds[`${entry.resourceType}:${entry.action}`] = (kinds[`${entry.resourceType}:${entry.action}`] ?? 0) + 1
      expect(kinds).toEqual({
        'user:created': USERS,
        'user:login': USERS,
        'user:login_failed': USERS,
        'article:created': 2 * USERS,
        'article:updated': USERS,
        'article:deleted': USERS,
        'tag:created': 3 * USERS + 1,
        'article_tag:created': 6 * USERS,
        'article_tag:deleted': 4 * USERS,
      })
      const expected = { created: [] as string[], deleted: [] as string[] }
      users.forEach((_, i) => {
        const a = articleA[i]!
        const b = articleB[i]!
        expected.created.push(`${a}:${tag(i, 'a')}`, `${a}:${tag(i, 'b')}`, `${a}:${shared}`, `${b}:${tag(i, 'a')}`, `${b}:${shared}`, `${a}:${tag(i, 'c')}`)
        expected.deleted.push(`${a}:${tag(i, 'a')}`, `${a}:${shared}`, `${b}:${tag(i, 'a')}`, `${b}:${shared}`)
      })
      expect(links.created.sort()).toEqual(expected.created.sort())
      expect(links.deleted.sort()).toEqual(expected.deleted.sort())
      for (const entry of entries.filter((e) => e.resourceType === 'article' && e.action === 'updated')) {
        expect(Object.keys(entry.changes ?? {})).toEqual(['title'])
      }
      // The deleted articles' link rows went by ON DELETE CASCADE, in the DELETE's transaction.
      for (let i = 0; i < USERS; i += 1) {
        const ofB = entries.filter((e) => (e.resourceType === 'article' && e.action === 'deleted' && Number(e.resourceId) === articleB[i]) || (e.resourceType === 'article_tag' && e.action === 'deleted' && links.deleted.length > 0 && e.transactionId !== null && Number((e.changes as Record<string, { old: unknown }>)[example.tables.linkArticle]?.old) === articleB[i]))
        expect(ofB).toHaveLength(3)
        expect(new Set(ofB.map((e) => e.transactionId)).size).toBe(1)
      }
      expect(await count(example.tables.link)).toBe(expected.created.length - expected.deleted.length)
    })
  })
}
