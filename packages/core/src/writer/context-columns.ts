import { isIP } from 'node:net'
import type { AuditContext } from '../context/audit-context.js'
import { encodeJson, type EncodedValue } from '../diff/encode-value.js'
import type { ActivityLogRow } from './activity-log-row.js'

/** Longest text stored from context (user agents, names); longer values are cut, not rejected. */
export const MAX_CONTEXT_TEXT = 1024

export type ContextColumns = Pick<
  ActivityLogRow,
  | 'log_name'
  | 'actor_type'
  | 'actor_id'
  | 'actor_name'
  | 'actor_email'
  | 'impersonator_id'
  | 'impersonator_name'
  | 'ip_address'
  | 'user_agent'
  | 'location_id'
  | 'tenant_id'
  | 'request_id'
  | 'metadata'
>

/**
 * The columns every entry takes from the audit context. Never throws on bad context: an
 * entry must not be lost because a proxy sent a malformed header. Text is cut to
 * MAX_CONTEXT_TEXT characters with U+0000 and lone surrogates replaced (PostgreSQL text cannot
 * hold them); an invalid IP address becomes null and emits one process warning.
 */
export function contextColumns(ctx: AuditContext | undefined, logName?: string): ContextColumns {
  const actor = ctx?.actor ?? null
  const impersonator = ctx?.impersonator ?? null
  return {
    log_name: cleanText(ctx?.logName ?? logName) ?? 'backoffice',
    actor_type: actor ? 'user' : 'system',
    actor_id: cleanText(actor?.id),
    actor_name: cleanText(actor?.name),
    actor_email: cleanText(actor?.email),
    impersonator_id: cleanText(impersonator?.id),
    impersonator_name: cleanText(impersonator?.name),
    ip_address: cleanIp(ctx?.ipAddress),
    user_agent: cleanText(ctx?.userAgent),
    location_id: cleanText(ctx?.locationId),
    tenant_id: cleanText(ctx?.tenantId),
    request_id: cleanText(ctx?.requestId),
    metadata: ctx?.metadata ? (encodeJson(ctx.metadata) as Record<string, EncodedValue>) : null,
  }
}

/** Text safe for a PostgreSQL text column, or null. */
export function cleanText(value: unknown, max = MAX_CONTEXT_TEXT): string | null {
  if (value === null || value === undefined) return null
  let text = typeof value === 'string' ? value : String(value)
  if (text.length > max) text = text.slice(0, max)
  return text.replace(/\u0000/g, '\uFFFD').toWellFormed()
}

let warnedIps = 0

/**
 * `value` as an address PostgreSQL's inet takes (trimmed, zone id dropped), or null when it is
 * not an IPv4 or IPv6 address. The one IP check of entry writing: ORM writes store a bad IP as
 * null, `record()` refuses it.
 */
export function inetAddress(value: unknown): string | null {
  let ip = String(value).trim()
  // IPv4-mapped IPv6 and zone ids are valid for Node but not all for inet.
  const zone = ip.indexOf('%')
  if (zone > 0) ip = ip.slice(0, zone)
  return isIP(ip) === 0 ? null : ip
}

function cleanIp(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value === '') return null
  const ip = inetAddress(value)
  if (ip !== null) return ip
  if (warnedIps++ < 10) {
    process.emitWarning(`audit-trail: ignoring invalid IP address ${JSON.stringify(String(value).slice(0, 64))}`, {
      code: 'AUDIT_TRAIL_INVALID_IP',
    })
  }
  return null
}
