// Token auth of the example, with node:crypto only: an HMAC-SHA256 signed token (a minimal JWT
// look-alike: base64url payload "." base64url signature), scrypt password hashes, and the
// per-route `requireUser` middleware that sets `req.user`.
import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import type { NextFunction, Request, RequestHandler, Response } from 'express'

export interface AuthUser {
  id: string
  username: string
}
/** A request after `requireUser`: `req.user` is the signed-in user. */
export type AuthedRequest = Request & { user?: AuthUser }

const TOKEN_TTL_SECONDS = 24 * 60 * 60
const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>

export interface Tokens {
  sign(user: AuthUser): string
  /** The user of a valid, unexpired token; null for anything else. */
  verify(token: string): AuthUser | null
}

export function tokens(secret: Buffer): Tokens {
  const mac = (payload: string) => createHmac('sha256', secret).update(payload).digest()
  return {
    sign(user) {
      const payload = Buffer.from(
        JSON.stringify({ sub: user.id, name: user.username, exp: Math.floor(Date.now() / 1000) + TOKEN_TTL_SECONDS }),
      ).toString('base64url')
      return `${payload}.${mac(payload).toString('base64url')}`
    },
    verify(token) {
      const [payload, signature, extra] = token.split('.')
      if (!payload || !signature || extra !== undefined) return null
      const given = Buffer.from(signature, 'base64url')
      const expected = mac(payload)
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
      try {
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown; name?: unknown; exp?: unknown }
        if (typeof claims.sub !== 'string' || typeof claims.name !== 'string' || typeof claims.exp !== 'number') return null
        if (claims.exp < Date.now() / 1000) return null
        return { id: claims.sub, username: claims.name }
      } catch {
        return null
      }
    },
  }
}

/**
 * Per-route authentication: `Authorization: Token <token>` (RealWorld) or `Bearer <token>`.
 * Mounted on the routes that need a user, after `auditContextMiddleware`, which asks for
 * `req.user` again at the request's first write.
 */
export function requireUser(auth: Tokens): RequestHandler {
  return (req: AuthedRequest, res: Response, next: NextFunction) => {
    const match = /^(?:Token|Bearer) (\S+)$/.exec(req.headers.authorization ?? '')
    const user = match ? auth.verify(match[1]!) : null
    if (!user) {
      res.status(401).json({ errors: { body: ['a valid token is required'] } })
      return
    }
    req.user = user
    next()
  }
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  return `scrypt$${salt.toString('base64url')}$${(await scryptAsync(password, salt, 32)).toString('base64url')}`
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !hash) return false
  const expected = Buffer.from(hash, 'base64url')
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length)
  return timingSafeEqual(actual, expected)
}

/** Express 4 does not catch rejected promises of handlers: pass them to the error handler. */
export function handle(fn: (req: AuthedRequest, res: Response) => Promise<void>): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    fn(req, res).catch(next)
  }
}

/** `tagList` of a request body: unique, trimmed, non-empty strings. */
export function tagNames(value: unknown): string[] | null {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((tag) => typeof tag === 'string')) return null
  return [...new Set((value as string[]).map((tag) => tag.trim()).filter(Boolean))]
}

export function badRequest(res: Response, message: string): void {
  res.status(422).json({ errors: { body: [message] } })
}
