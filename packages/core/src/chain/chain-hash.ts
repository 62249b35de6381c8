import { createHash } from 'node:crypto'

/** The "previous hash" of the first link: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64)

/**
 * One link of the chain: sha256(previous hash in hex || canonical entry text), hex. The same
 * formula as `audit_trail.seal_chain()` in sql/004; `canonical` is
 * `audit_trail.entry_canonical(to_jsonb(entry))`.
 */
export function linkHash(previousHash: string, canonical: string): string {
  return createHash('sha256').update(previousHash + canonical, 'utf8').digest('hex')
}
