import { InvalidArgumentError } from '../errors.js'
import type { ChainCheckpoint } from './chain-checkpoint.js'
import { parseCheckpoint } from './chain-checkpoint.js'
import type { ChainDatabase } from './chain-database.js'
import { withChainSession } from './chain-database.js'
import { GENESIS_HASH, linkHash } from './chain-hash.js'

/** Options of `verifyChain()`, `log.verify()` and `createCheckpoint()`. */
export interface VerifyChainOptions {
  /** A checkpoint stored from an earlier run: fails if its entry is gone or the chain up to it changed. Default: none. */
  checkpoint?: ChainCheckpoint
  /** Seal committed entries first (`sealChain`), so that the newest ones are checked too. Default: true. */
  seal?: boolean
  /** Links read per query. Default: 5000. */
  batchSize?: number
  /** Called after each batch, e.g. for a progress bar (`lastId` of `tailId` done). Default: none. */
  onProgress?: (args: VerifyProgress) => void
}

/** What `onProgress` of VerifyChainOptions is called with after each batch. */
export interface VerifyProgress {
  /** Entries recomputed so far. */
  readonly checked: number
  /** Id of the last entry checked. */
  readonly lastId: string
  /** Id of the chain's tail: the last entry this run will check. */
  readonly tailId: string
}

/** What `verifyChain` found. */
export interface ChainVerification {
  /** True when every linked entry matches its link (and the checkpoint, if one was given). */
  ok: boolean
  /** Entries recomputed and found intact (up to the first bad one). */
  checked: number
  /** The first entry (by id) that is edited, deleted, moved, forged or missing, as a decimal string. */
  firstBadId?: string
  /** Why `firstBadId` is bad, in one sentence. */
  reason?: string
  /** The newest verified link, to store outside the database; null when not ok or the chain is empty. */
  checkpoint: ChainCheckpoint | null
  /** Entries newer than the chain's tail (committed after the last seal, or still behind an open transaction): not covered yet. */
  unsealed: number
}

// The next `limit` links after `after` up to the tail read at the start, full-joined with the entries of the same id range from the
// log and the archive: a link without an entry is a deleted entry, an entry without a link an
// entry added out of band, an id twice an entry copied back.
const BATCH_SQL = `
WITH links AS (
  SELECT entry_id, hash FROM audit_trail.activity_log_chain
  WHERE entry_id > $1::bigint AND entry_id <= $3::bigint ORDER BY entry_id LIMIT $2
), upper_bound AS (SELECT max(entry_id) AS id FROM links),
entries AS (
  SELECT e.id, audit_trail.entry_canonical(to_jsonb(e)) AS canonical FROM audit_trail.activity_log e
  WHERE e.id > $1::bigint AND e.id <= (SELECT id FROM upper_bound)
  UNION ALL
  SELECT a.id, audit_trail.entry_canonical(to_jsonb(a)) FROM audit_trail.activity_log_archive a
  WHERE a.id > $1::bigint AND a.id <= (SELECT id FROM upper_bound)
)
SELECT coalesce(l.entry_id, e.id)::text AS id, l.hash, e.canonical
FROM links l FULL JOIN entries e ON e.id = l.entry_id
ORDER BY coalesce(l.entry_id, e.id)`

const TAIL_SQL = `SELECT entry_id::text AS id, hash FROM audit_trail.activity_log_chain ORDER BY entry_id DESC LIMIT 1`
// The chain starts after id 0: an entry at or below it was placed outside the chain's range.
const BELOW_RANGE_SQL = `SELECT min(id)::text AS id FROM (
  SELECT min(id) AS id FROM audit_trail.activity_log WHERE id <= 0
  UNION ALL SELECT min(id) FROM audit_trail.activity_log_archive WHERE id <= 0) AS below`
const UNSEALED_SQL = `SELECT count(*)::text AS n FROM audit_trail.activity_log WHERE id > $1::bigint`

/**
 * Recomputes the hash chain from the entries in the log and the archive (node:crypto, over
 * `audit_trail.entry_canonical` of each row) and reports the first entry that does not match.
 * Detects an edited column, a deleted, reordered or forged entry; with a `checkpoint` stored
 * earlier, also deleted newest entries and a chain rewritten up to it. Read-only apart from
 * sealing. `log.verify()` and `audit-trail verify` call it.
 *
 * @example
 * const result = await verifyChain(pool, { checkpoint: parseCheckpoint(saved) })
 * if (!result.ok) throw new Error(`audit log tampered at entry ${result.firstBadId}: ${result.reason}`)
 * await saveOutsideTheDatabase(JSON.stringify(result.checkpoint))
 */
export async function verifyChain(db: ChainDatabase, options: VerifyChainOptions = {}): Promise<ChainVerification> {
  const batchSize = options.batchSize ?? 5000
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvalidArgumentError(`audit-trail: verifyChain batchSize must be a positive integer, got ${String(batchSize)}.`)
  }
  const checkpoint = options.checkpoint === undefined ? undefined : parseCheckpoint(options.checkpoint)

  return withChainSession(db, async (session) => {
    if (options.seal !== false) await session.transaction('SELECT audit_trail.seal_chain()')
    const tail = (await session.query(TAIL_SQL)).rows[0] as { id: string; hash: string } | undefined
    const tailId = tail?.id ?? '0'
    const { n: unsealedText } = (await session.query(UNSEALED_SQL, [tailId])).rows[0] as { n: string }
    const unsealed = Number(unsealedText)

    let previous = GENESIS_HASH
    let checked = 0
    let after = '0'
    let lastId: string | null = null
    let checkpointSeen = false
    const bad = (id: string, reason: string): ChainVerification => ({
      ok: false,
      checked,
      firstBadId: id,
      reason,
      checkpoint: null,
      unsealed,
    })

    const below = (await session.query(BELOW_RANGE_SQL)).rows[0] as { id: string | null }
    if (below.id !== null) {
      return bad(below.id, `entry ${below.id} has an id of 0 or less, outside the hash chain's range: it was inserted out of band`)
    }

    while (tail) {
      const { rows } = await session.query(BATCH_SQL, [after, batchSize, tailId])
      if (rows.length === 0) break
      for (const row of rows as Array<{ id: string; hash: string | null; canonical: string | null }>) {
        if (row.id === lastId) return bad(row.id, `entry ${row.id} is present twice (in the log and the archive)`)
        lastId = row.id
        if (row.hash === null) return bad(row.id, `entry ${row.id} is not in the hash chain: it was added out of band`)
        if (row.canonical === null) return bad(row.id, `entry ${row.id} is in the hash chain but no longer in the log or the archive: it was deleted`)
        previous = linkHash(previous, row.canonical)
        if (previous !== row.hash) {
          return bad(row.id, `entry ${row.id} does not match its link: it or an entry before it was edited, moved or removed`)
        }
        checked++
        if (checkpoint && row.id === checkpoint.entryId) {
          checkpointSeen = true
          if (previous !== checkpoint.hash) {
            return bad(row.id, `the chain up to the checkpoint's entry ${row.id} was rewritten since the checkpoint was taken`)
          }
        }
        // Links are visited in id order: once past the checkpoint's id without meeting it, it is gone.
        if (checkpoint && !checkpointSeen && BigInt(row.id) > BigInt(checkpoint.entryId)) {
          return bad(checkpoint.entryId, `the checkpoint's entry ${checkpoint.entryId} is no longer in the hash chain: it was deleted`)
        }
      }
      after = lastId ?? after
      options.onProgress?.({ checked, lastId: after, tailId })
    }
    if (checkpoint && !checkpointSeen) {
      return bad(
        checkpoint.entryId,
        `the checkpoint's entry ${checkpoint.entryId} is no longer in the hash chain (which ends at ${tailId}): the newest entries were deleted`,
      )
    }
    return {
      ok: true,
      checked,
      checkpoint: tail ? { entryId: tail.id, hash: previous, createdAt: new Date().toISOString() } : null,
      unsealed,
    }
  })
}
