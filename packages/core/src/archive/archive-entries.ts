import { ArchivePermissionError, InvalidArgumentError } from '../errors.js'
import type { ChainDatabase } from '../chain/chain-database.js'
import { withChainSession } from '../chain/chain-database.js'

/** What `archiveEntries()` and `log.archive()` move. */
export interface ArchiveEntriesOptions {
  /** Entries created more than this many days ago move to the archive; 0 moves everything before now. Required, an integer >= 0. */
  olderThanDays: number
}

/** What `archiveEntries()` and `log.archive()` resolve to. */
export interface ArchiveResult {
  /** How many entries moved to `audit_trail.activity_log_archive`. */
  archived: number
}

/**
 * Moves entries older than `olderThanDays` from `audit_trail.activity_log` to
 * `audit_trail.activity_log_archive` in one transaction (`audit_trail.archive_entries()`), after
 * sealing them into the hash chain, and records an `archived` entry with the count and the id
 * and date range. On a log partitioned by month, whole months are detached and attached to the
 * archive. Must run as the role owning the log: the application role gets ArchivePermissionError.
 * `log.archive()` and `audit-trail archive --older-than N` call it.
 *
 * @example
 * const { archived } = await archiveEntries(ownerPool, { olderThanDays: 365 })
 */
export async function archiveEntries(db: ChainDatabase, options: ArchiveEntriesOptions): Promise<ArchiveResult> {
  const days = (options as Partial<ArchiveEntriesOptions> | undefined)?.olderThanDays
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 0 || days > 2_147_483_647) {
    throw new InvalidArgumentError(
      `audit-trail: archive({ olderThanDays }) needs an integer >= 0 (0: everything before now), got ${JSON.stringify(days) ?? String(days)}.`,
    )
  }
  return withChainSession(db, async (session) => {
    try {
      const { rows } = await session.transaction('SELECT audit_trail.archive_entries($1)::text AS archived', [days])
      return { archived: Number(rows[0]?.archived ?? 0) }
    } catch (error) {
      if ((error as { code?: unknown }).code === '42501') {
        throw new ArchivePermissionError(
          'audit-trail: archival must run as the role that owns audit_trail.activity_log (the application role cannot archive); ' +
            `connect as the owner. Database said: ${(error as Error).message}`,
          { cause: error },
        )
      }
      throw error
    }
  })
}
