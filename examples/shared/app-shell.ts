// What the three example APIs share and no ORM changes: their start options, the deploy-time
// roles and grants, the activity-log route, the error handler and the HTTP server. Each app.ts
// keeps what differs per ORM: its models, its audit-trail plugin and its routes' data access.
import type { AddressInfo } from 'node:net'
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express'
import pg from 'pg'
import type { AuditLog } from '@audit-trail/core'
import { handle } from './auth.ts'

export interface StartAppOptions {
  /** Connection string of the role that owns the log and the app's tables (deploy steps). */
  url: string
  /**
   * Connection string the app runs with: a role that `grant_app_role` made an app role (SELECT
   * on the log and record_event, no INSERT). Default: `url`, for embedded PGlite, which has a
   * single user: there the app connects as that user.
   */
  appUrl?: string
  /**
   * Connections of the ORM's pool and of the query API's (default 5). Embedded PGlite needs 1:
   * it has one backend behind its socket, and statements of several connections at once clobber
   * each other's unnamed prepared statement (it runs one transaction at a time anyway).
   */
  poolSize?: number
  /** Port to listen on (default: a free one). */
  port?: number
  /** Key of the token HMAC (default: random per start). */
  tokenSecret?: Buffer
}

export interface RunningApp {
  /** Base URL of the API, e.g. http://127.0.0.1:41234 */
  url: string
  /** The query API as the app sees it (app role). */
  log: AuditLog
  close(): Promise<void>
}

/** The role the app runs as when it differs from the owner's, else null (embedded PGlite: one user). */
export function separateAppRole(options: StartAppOptions): string | null {
  const role = (connectionString: string) => decodeURIComponent(new URL(connectionString).username)
  const appRole = role(options.appUrl ?? options.url)
  return appRole === role(options.url) ? null : appRole
}

/** The app's own table grants to its role (what its migrations would do), run as the owner. */
export async function grantAppTables(execute: (sql: string) => Promise<unknown>, appRole: string): Promise<void> {
  const role = pg.escapeIdentifier(appRole)
  await execute(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`)
  await execute(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`)
}

/** audit-trail: the activity log, newest first (?actor=ID&type=article&limit=N&cursor=...). */
export function activityRoute(log: AuditLog): RequestHandler {
  return handle(async (req, res) => {
    const { actor, type, limit, cursor } = req.query
    res.json(
      await log.list({
        actorId: typeof actor === 'string' ? actor : undefined,
        resourceType: typeof type === 'string' ? type : undefined,
        limit: typeof limit === 'string' ? Number(limit) : 100,
        cursor: typeof cursor === 'string' ? cursor : undefined,
      }),
    )
  })
}

/** The last middleware: an unexpected error is logged and answered with a bare 500. */
export function internalError(error: unknown, _req: Request, res: Response, _next: NextFunction): void {
  console.error(error)
  res.status(500).json({ errors: { body: ['internal error'] } })
}

/** Serves `app` on 127.0.0.1; `close` stops the server, then runs `release` (the ORM, the log's pool). */
export async function serve(app: Express, port: number | undefined, log: AuditLog, release: () => Promise<void>): Promise<RunningApp> {
  const server = app.listen(port ?? 0, '127.0.0.1')
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await release()
      await log.close()
    },
  }
}

/** The API's JSON answers, as far as the walkthrough and the tests read them. */
export interface ApiBody {
  user: { id: string; username: string; token: string }
  article: { id: number; title: string; tagList: string[] }
  entries: unknown[]
}

/** A JSON client of the example API: `call(method, path, body?, token?)`; `onCall` sees each status line. */
export function apiClient(baseUrl: string, onCall?: (line: string) => void) {
  return async (method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: ApiBody }> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Token ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    onCall?.(`${method} ${path} → ${res.status}`)
    return { status: res.status, json: (text ? JSON.parse(text) : {}) as ApiBody }
  }
}
