import { isIP } from 'node:net'

/** Which `X-Forwarded-For` entries to believe. */
export type TrustProxy = boolean | number

/**
 * The client's IP address: the socket's peer, or — only when `trustProxy` says so — an entry
 * of `X-Forwarded-For`. `true` trusts every proxy (the leftmost address is the client); a
 * number n trusts the last n hops (the n-th address from the right). Anything that is not a
 * valid IP address yields the socket address instead, never a made-up value.
 */
export function clientIp(args: {
  readonly remoteAddress: string | undefined
  readonly forwardedFor: string | string[] | undefined
  readonly trustProxy: TrustProxy
}): string | null {
  const socketIp = normalize(args.remoteAddress)
  if (!args.trustProxy || args.forwardedFor === undefined) return socketIp
  const header = Array.isArray(args.forwardedFor) ? args.forwardedFor.join(',') : args.forwardedFor
  const hops = header
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
  if (hops.length === 0) return socketIp
  const candidate = args.trustProxy === true ? hops[0] : hops[Math.max(0, hops.length - args.trustProxy)]
  return normalize(candidate) ?? socketIp
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
