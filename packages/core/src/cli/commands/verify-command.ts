import { readFile, rename, writeFile } from 'node:fs/promises'
import { AuditTrailError, InvalidArgumentError } from '../../errors.js'
import { parseCheckpoint, type ChainCheckpoint } from '../../chain/chain-checkpoint.js'
import { verifyLog } from '../../verify/verify-log.js'
import type { CliCommand } from '../cli-io.js'
import { DATABASE_FLAG, cliPool, databaseError, databaseUrl } from '../database-connection.js'
import { parseFlags } from '../parse-flags.js'

export const verifyCommand: CliCommand = {
  name: 'verify',
  summary: 'check the hash chain, append-only and capture triggers',
  help: `Usage: audit-trail verify [--checkpoint FILE] [--save-checkpoint FILE] [--database-url URL]

Seals committed entries into the hash chain, then recomputes the chain over the log and its
archive, and checks the protection around it: the append-only triggers of the log, the archive
and the chain, and every captured table's capture triggers and key. Prints the number of
entries checked, or the first bad entry and why, and one line per protection problem; exits 1
if the log was tampered with or its protection is off.

The chain alone cannot show that the newest entries were deleted: keep a checkpoint outside
the database (--save-checkpoint) and verify against it later (--checkpoint).

  --checkpoint FILE       verify against a checkpoint saved earlier (JSON)
  --save-checkpoint FILE  when the chain is intact, write its newest link to FILE
  --database-url URL      PostgreSQL URL (default: DATABASE_URL)
  --help                  show this help`,
  async run(args, io) {
    const { values } = parseFlags('verify', args, {
      ...DATABASE_FLAG,
      checkpoint: { type: 'string' },
      'save-checkpoint': { type: 'string' },
    })
    const url = databaseUrl(values['database-url'], io.env)
    let checkpoint: ChainCheckpoint | undefined
    if (values.checkpoint !== undefined) {
      let text: string
      try {
        text = await readFile(values.checkpoint, 'utf8')
      } catch (error) {
        throw new InvalidArgumentError(`audit-trail: cannot read the checkpoint ${values.checkpoint}: ${(error as Error).message}`, { cause: error })
      }
      checkpoint = parseCheckpoint(text)
    }
    const showProgress = Boolean(io.stderr.isTTY)
    const pool = cliPool(url)
    try {
      const result = await verifyLog(pool, {
        checkpoint,
        onProgress: showProgress
          ? ({ lastId, tailId }) => io.stderr.write(`\rVerified up to entry ${lastId} of ${tailId}`)
          : undefined,
      }).catch((error: unknown) => {
        throw error instanceof AuditTrailError ? error : databaseError(error, url)
      })
      if (showProgress) io.stderr.write('\r\x1b[K')
      if (result.firstBadId !== undefined) {
        io.stdout.write(`TAMPERED: first bad entry ${result.firstBadId}: ${result.reason}\n`)
        io.stdout.write(`${result.checked.toLocaleString('en-US')} entries before it are intact.\n`)
      }
      for (const finding of result.findings) io.stdout.write(`PROTECTION: ${finding.table}: ${finding.problem}\n`)
      if (result.firstBadId !== undefined) return 1
      if (!result.ok) {
        io.stdout.write(`The hash chain is intact (${result.checked.toLocaleString('en-US')} entries), but the protection above is off.\n`)
        return 1
      }
      io.stdout.write(
        `OK: ${result.checked.toLocaleString('en-US')} entries verified` +
          (checkpoint ? ` (checkpoint at entry ${checkpoint.entryId} matches)` : '') +
          (result.unsealed > 0 ? `; ${result.unsealed} newer entries are not sealed yet (open transactions)` : '') +
          '\n',
      )
      const target = values['save-checkpoint']
      if (target !== undefined && result.checkpoint) {
        await writeFile(`${target}.partial`, `${JSON.stringify(result.checkpoint, null, 2)}\n`)
        await rename(`${target}.partial`, target)
        io.stdout.write(`Checkpoint (entry ${result.checkpoint.entryId}) written to ${target}: keep it outside the database.\n`)
      }
      return 0
    } finally {
      await pool.end()
    }
  },
}
