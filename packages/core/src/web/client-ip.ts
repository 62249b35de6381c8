import { isIP } from 'node:net'
import proxyaddr from 'proxy-addr'

/**
 * Which proxies to believe in `X-Forwarded-For`, with the values of Express's `trust proxy`
 * setting (read by proxy-addr, as Express does): `false` none (the socket address), `true` all
 * (the leftmost address), a number n the last n hops, `'loopback'`, `'linklocal'`,
 * `'uniquelocal'`, an address or CIDR (`'10.0.0.0/8'`) or a list of them, or a function
 * `(address, hopIndex) => boolean`.
 */
export type TrustProxy = boolean | number | string | readonly string[] | ((address: string, hop: number) => boolean)

/**
 * The client's IP address: the socket's peer, or — only when `trustProxy` says so — an entry of
 * `X-Forwarded-For`. Anything that is not a valid IP address yields the socket address instead,
 * never a made-up value.
 */
export function clientIp(args: {
  readonly remoteAddress: string | undefined
  readonly forwardedFor: string | string[] | undefined
  readonly trustProxy: TrustProxy
}): string | null {
  const socketIp = normalize(args.remoteAddress)
  if (!args.trustProxy || args.forwardedFor === undefined || !args.remoteAddress) return socketIp
  const header = Array.isArray(args.forwardedFor) ? args.forwardedFor.join(',') : args.forwardedFor
  const request = { socket: { remoteAddress: args.remoteAddress }, connection: { remoteAddress: args.remoteAddress }, headers: { 'x-forwarded-for': header } }
  let address: string
  try {
    address = proxyaddr(request as unknown as Parameters<typeof proxyaddr>[0], compileTrust(args.trustProxy))
  } catch {
    return socketIp // a malformed trust list or header: the socket address, never a guess
  }
  return normalize(address) ?? socketIp
}

// What Express does with its `trust proxy` setting before handing it to proxy-addr.
function compileTrust(trust: Exclude<TrustProxy, false>): (address: string, hop: number) => boolean {
  if (typeof trust === 'function') return trust
  if (trust === true) return () => true
  if (typeof trust === 'number') return (_address, hop) => hop < trust
  const list = typeof trust === 'string' ? trust.split(',').map((part) => part.trim()) : [...trust]
  return proxyaddr.compile(list)
}

/** Strips IPv4-mapped IPv6 prefixes and ports; null for anything that is not an IP address. */
function normalize(address: string | undefined): string | null {
  if (!address) return null
  let ip = address.trim()
  if (ip.startsWith('[')) ip = ip.slice(1, ip.indexOf(']'))
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(ip)) ip = ip.slice(0, ip.lastIndexOf(':'))
  if (ip.toLowerCase().startsWith('::ffff:') && isIP(ip.slice(7)) === 4) ip = ip.slice(7)
  return isIP(ip) === 0 ? null : ip
}
