import type { ChainDatabase } from '../chain/chain-database.js'
import { verifyChain, type ChainVerification, type VerifyChainOptions } from '../chain/verify-chain.js'
import type { AuditExecutor } from '../writer/executor.js'

/** One problem with the log's protection, as `audit_trail.protection_findings()` reports it. */
export interface ProtectionFinding {
  /** The table concerned: the log, its archive or chain, or a captured table. */
  readonly table: string
  /** What is wrong, in one sentence. */
  readonly problem: string
}

/** What `log.verify()` and `audit-trail verify` found: the hash chain and the protection. */
export interface LogVerification extends ChainVerification {
  /** Append-only triggers missing or not ENABLE ALWAYS; captured tables whose triggers are missing or disabled, or whose key changed. */
  readonly findings: readonly ProtectionFinding[]
}

/** Every row of `audit_trail.protection_findings()`; empty when the protection is intact. */
export async function protectionFindings(executor: AuditExecutor): Promise<ProtectionFinding[]> {
  const { rows } = await executor.query('SELECT table_name, problem FROM audit_trail.protection_findings()')
  return rows.map((row) => ({ table: String(row.table_name), problem: String(row.problem) }))
}

/**
 * Verifies the hash chain (`verifyChain`) and the protection around it (`audit_trail.protection_findings()`:
 * append-only triggers, capture triggers of every captured table):
 * `ok` only when both are intact. Read-only apart from sealing.
 */
export async function verifyLog(db: ChainDatabase & AuditExecutor, options: VerifyChainOptions = {}): Promise<LogVerification> {
  const chain = await verifyChain(db, options)
  const findings = await protectionFindings(db)
  return { ...chain, ok: chain.ok && findings.length === 0, findings }
}
