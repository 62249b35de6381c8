import pg from 'pg'
import { AuditDatabaseError, type AuditTrailError } from '../errors.js'
import { UsageError } from './usage-error.js'

export const DATABASE_FLAG = { 'database-url': { type: 'string' } } as const

/** `--database-url`, else `DATABASE_URL`; a UsageError when neither is set. */
export function databaseUrl(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  const url = flag ?? env.DATABASE_URL
  if (!url) throw new UsageError('audit-trail: no database given; pass --database-url URL or set DATABASE_URL.')
  let protocol: string | undefined
  try {
    protocol = new URL(url).protocol
  } catch {
    protocol = undefined
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    // Never echo the value: it may hold a password.
    throw new UsageError(
      `audit-trail: ${flag !== undefined ? '--database-url' : 'DATABASE_URL'} is not a PostgreSQL URL; use postgresql://USER:PASSWORD@HOST:5432/DATABASE.`,
    )
  }
  return url
}

/** host:port/database of a URL, never the password: safe to print. */
export function describeDatabase(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname || '/'}`
  } catch {
    return 'the given database URL'
  }
}

/**
 * A small pool for one CLI run. The connect timeout turns a host that drops packets into an
 * error instead of a hang.
 */
export function cliPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 10_000, application_name: 'audit-trail-cli' })
  // An idle client losing its connection must not crash the process with an unhandled 'error'.
  pool.on('error', () => undefined)
  return pool
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'])

/** Database errors as one line that says what to do. */
export function databaseError(error: unknown, url: string): AuditTrailError {
  const err = (error ?? {}) as { code?: string; message?: string; errors?: Array<{ message?: string }> }
  const message = err.message || err.errors?.map((inner) => inner.message).join('; ') || String(error)
  const where = describeDatabase(url)
  if (
    (err.code && (CONNECT_CODES.has(err.code) || err.code.startsWith('28') || err.code === '3D000')) ||
    /timeout exceeded when trying to connect|Connection terminated unexpectedly/i.test(message)
  ) {
    return AuditDatabaseError.unreachable(where, message, error)
  }
  if (err.code === '42P01' || err.code === '3F000') {
    return AuditDatabaseError.notMigrated(where, message, error)
  }
  if (err.code === '42501') {
    return AuditDatabaseError.permissionDenied(where, message, error)
  }
  if ('severity' in (err as object)) {
    return AuditDatabaseError.failed(where, message, error)
  }
  return AuditDatabaseError.failed(null, message, error)
}
