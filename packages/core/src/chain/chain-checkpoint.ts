import { InvalidArgumentError } from '../errors.js'

/**
 * The newest verified link: store it outside the database (a file in object storage with
 * retention, a ticket, a signed e-mail). A later `verifyChain(db, { checkpoint })` fails if
 * that entry is gone or the chain up to it was rewritten, which the chain alone cannot show
 * for the newest entries.
 */
export interface ChainCheckpoint {
  /** Id of the newest linked entry, as a decimal string. */
  entryId: string
  /** Its link hash (sha256 hex). */
  hash: string
  /** When the checkpoint was taken (ISO 8601, UTC); informational, not checked. */
  createdAt?: string
}

/**
 * Checks a stored checkpoint (an object, or its JSON text) and returns it typed. Throws
 * InvalidArgumentError naming what is wrong.
 *
 * @example
 * const checkpoint = parseCheckpoint(await readFile('audit-checkpoint.json', 'utf8'))
 */
export function parseCheckpoint(value: unknown): ChainCheckpoint {
  let data = value
  if (typeof value === 'string') {
    try {
      data = JSON.parse(value)
    } catch (error) {
      throw new InvalidArgumentError('audit-trail: the checkpoint is not valid JSON.', { cause: error })
    }
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new InvalidArgumentError('audit-trail: a checkpoint is an object { entryId, hash, createdAt }.')
  }
  const { entryId, hash, createdAt } = data as Record<string, unknown>
  const id = typeof entryId === 'number' && Number.isSafeInteger(entryId) ? String(entryId) : entryId
  if (typeof id !== 'string' || !/^[1-9][0-9]{0,18}$/.test(id)) {
    throw new InvalidArgumentError(`audit-trail: checkpoint entryId must be a positive integer id, got ${JSON.stringify(entryId)}.`)
  }
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) {
    throw new InvalidArgumentError('audit-trail: checkpoint hash must be 64 lowercase hex characters (sha256).')
  }
  if (createdAt !== undefined && (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt)))) {
    throw new InvalidArgumentError(`audit-trail: checkpoint createdAt must be an ISO date, got ${JSON.stringify(createdAt)}.`)
  }
  return typeof createdAt === 'string' ? { entryId: id, hash, createdAt } : { entryId: id, hash }
}
