import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

export interface EmbeddedPostgres {
  /** postgresql:// URL of the wire-protocol server in front of the embedded database. */
  url: string
  stop(): Promise<void>
}

/**
 * PostgreSQL in-process (PGlite, PostgreSQL compiled to WASM) behind a socket server, so pg,
 * the ORMs and psql connect to it like to any server. PGlite runs one transaction at a time:
 * an open transaction holds every other connection until it ends.
 */
export async function startEmbeddedPostgres(options: { maxConnections?: number } = {}): Promise<EmbeddedPostgres> {
  const db = await PGlite.create()
  // The socket server's default of one connection makes any pool larger than 1 fail with ECONNRESET.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: options.maxConnections ?? 100 })
  await server.start()
  return {
    url: `postgresql://postgres@${server.getServerConn()}/postgres`,
    async stop() {
      await server.stop()
      await db.close()
    },
  }
}
