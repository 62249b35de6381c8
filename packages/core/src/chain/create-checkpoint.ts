import { ChainVerificationError } from '../errors.js'
import type { ChainCheckpoint } from './chain-checkpoint.js'
import type { ChainDatabase } from './chain-database.js'
import type { VerifyChainOptions } from './verify-chain.js'
import { verifyChain } from './verify-chain.js'

/**
 * Seals, verifies the whole chain (against `options.checkpoint` if given) and returns the newest
 * link as a checkpoint to store outside the database, or null when the log is still empty.
 * Throws ChainVerificationError when the chain is broken.
 *
 * @example
 * const checkpoint = await createCheckpoint(pool, { checkpoint: previous })
 * await writeFile(`checkpoints/${checkpoint?.entryId}.json`, JSON.stringify(checkpoint))
 */
export async function createCheckpoint(
  db: ChainDatabase,
  options: Pick<VerifyChainOptions, 'checkpoint' | 'onProgress'> = {},
): Promise<ChainCheckpoint | null> {
  const result = await verifyChain(db, options)
  if (!result.ok) throw new ChainVerificationError(result)
  return result.checkpoint
}

