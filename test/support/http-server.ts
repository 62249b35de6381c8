import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A server of this process on a free port of 127.0.0.1. */
export interface RunningServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly origin: string
  /** Stops accepting connections and resolves when the open ones have ended. */
  close(): Promise<void>
}

/** Serves `app` (an Express app or any request listener) on a free port of 127.0.0.1. */
export async function listen(app: RequestListener): Promise<RunningServer> {
  const server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
