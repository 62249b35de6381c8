// What each example's main.ts runs: starts the example API and walks through it over HTTP
// (sign-ups, a failed and a good login, articles with tags created, edited and deleted, a refused
// anonymous write), then prints the activity log. Without DATABASE_URL it runs on embedded
// PostgreSQL (PGlite); with DATABASE_URL (a superuser, or a role that may create databases and
// roles) it uses a fresh database of the example's on that server and the app role `conduit_app`
// (APP_DATABASE_URL overrides the app's connection). With --once it exits after printing;
// otherwise the API keeps serving until Ctrl+C.
import { parseArgs } from 'node:util'
import pg from 'pg'
import { formatTail, type AuditLog } from '@audit-trail/core'
import { startEmbeddedPostgres } from '../../scripts/embedded-postgres.js'
import { apiClient } from './app-shell.ts'
import { freshDatabase } from './fresh-database.ts'

const APP_ROLE = 'conduit_app'

/** What an example's app.ts exports as startApp. */
export type StartExampleApp = (options: { url: string; appUrl?: string; poolSize?: number }) => Promise<{
  url: string
  log: Pick<AuditLog, 'list' | 'count'>
  close(): Promise<void>
}>

/** Runs one example: `database` is the name of its database on a real server. */
export async function runExample(args: { readonly database: string; readonly startApp: StartExampleApp }): Promise<void> {
  const { database: DATABASE, startApp } = args
  const { values: flags } = parseArgs({ options: { once: { type: 'boolean', default: false } } })


  const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres()
  const url = embedded ? embedded.url : await freshDatabase(process.env.DATABASE_URL!, DATABASE)
  // On PGlite there is one user: the app connects as that user (appUrl left out).
  const appUrl = embedded ? undefined : (process.env.APP_DATABASE_URL ?? (await appRoleUrl(url)))
  console.log(embedded ? 'Embedded PostgreSQL (PGlite) started; the app connects as its only user.' : `Fresh database ${DATABASE}; the app connects as ${new URL(appUrl!).username}.`)

  const app = await startApp({ url, appUrl, poolSize: embedded ? 1 : 5 })
  console.log(`API listening on ${app.url}\n`)

  const call = apiClient(app.url, (line) => console.log(line))

  const alice = (await call('POST', '/users', { user: { username: 'alice', email: 'alice@example.com', password: 'correct horse' } })).json.user
  await call('POST', '/users', { user: { username: 'bob', email: 'bob@example.com', password: 'battery staple' } })
  await call('POST', '/login', { user: { email: 'bob@example.com', password: 'wrong' } })
  const bob = (await call('POST', '/login', { user: { email: 'bob@example.com', password: 'battery staple' } })).json.user
  const first = (await call('POST', '/articles', { article: { title: 'How to train your dragon', body: 'Very carefully.', tagList: ['dragons', 'training'] } }, alice.token)).json.article
  const second = (await call('POST', '/articles', { article: { title: 'Draft', body: 'To be deleted.', tagList: ['drafts'] } }, alice.token)).json.article
  await call('PUT', `/articles/${first.id}`, { article: { title: 'How to train your dragon, 2nd ed.', tagList: ['dragons', 'howto'] } }, alice.token)
  await call('PUT', `/articles/${first.id}`, { article: { title: 'Stolen' } }, bob.token)
  await call('POST', '/articles', { article: { title: 'No token', body: 'refused', tagList: [] } })
  await call('POST', '/articles', { article: { title: 'Bob writes', body: 'Hello.', tagList: ['dragons'] } }, bob.token)
  await call('DELETE', `/articles/${second.id}`, undefined, alice.token)

  const { entries } = await app.log.list({ limit: 100 })
  process.stdout.write(`\n${formatTail({ entries, total: await app.log.count() })}`)

  if (flags.once) {
    await shutdown()
  } else {
    console.log(`\nServing ${app.url} (GET /activity with a token shows the log as JSON). Ctrl+C to stop.`)
    const stop = () => void shutdown().then(() => process.exit(0))
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  }

  async function shutdown(): Promise<void> {
    await app.close()
    await embedded?.stop()
  }
}

/** The app role's URL on the same server; creates the role (LOGIN, no other rights) if missing, as a DBA would. */
async function appRoleUrl(ownerUrl: string): Promise<string> {
  const admin = new pg.Client({ connectionString: ownerUrl })
  await admin.connect()
  await admin.query(`DO $$ BEGIN CREATE ROLE ${APP_ROLE} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`)
  await admin.end()
  const parsed = new URL(ownerUrl)
  parsed.username = APP_ROLE
  parsed.password = ''
  return parsed.toString()
}
