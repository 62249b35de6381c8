import type { ChainDatabase } from './chain-database.js'
import { withChainSession } from './chain-database.js'

/**
 * Links the committed entries that are not in the hash chain yet (`audit_trail.seal_chain()`)
 * and returns how many. `verifyChain` and `archiveEntries` call it; a schedule may call it too
 * (every minute, say) so that the window in which new entries are not yet chained stays short.
 * With a pool it runs in its own READ COMMITTED transaction, as the sealer needs.
 */
export async function sealChain(db: ChainDatabase): Promise<number> {
  return withChainSession(db, async (session) => {
    const { rows } = await session.transaction('SELECT audit_trail.seal_chain()::text AS sealed')
    return Number(rows[0]?.sealed ?? 0)
  })
}
