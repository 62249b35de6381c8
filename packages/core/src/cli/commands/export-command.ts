import { open, rename, rm } from 'node:fs/promises'
import { AuditTrailError } from '../../errors.js'
import { createAuditLog } from '../../log/audit-log.js'
import type { CliCommand } from '../cli-io.js'
import { DATABASE_FLAG, cliPool, databaseError, databaseUrl } from '../database-connection.js'
import { FILTER_FLAGS, FILTER_HELP, ORDER_FLAGS, filterFromFlags, orderFlag, timeZoneFlag } from '../filter-flags.js'
import { parseFlags } from '../parse-flags.js'

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'CSV of the filtered view',
  help: `Usage: audit-trail export [filters] [--order asc|desc] [--out FILE] [--database-url URL]

Writes the entries matching the filters as CSV (RFC 4180), newest first: a header of the
table's column names, UTC ISO timestamps, changes/changed_fields/metadata as JSON, and cells
that a spreadsheet would run as a formula prefixed with '. Streams: any size, flat memory.

${FILTER_HELP}

  --out FILE          write to FILE (replaced only once the export is complete; default: stdout)
  --database-url URL  PostgreSQL URL (default: DATABASE_URL)
  --help              show this help`,
  async run(args, io) {
    const { values } = parseFlags('export', args, { ...FILTER_FLAGS, ...ORDER_FLAGS, ...DATABASE_FLAG, out: { type: 'string' } })
    const order = orderFlag(values.order)
    const filter = filterFromFlags(values, timeZoneFlag(values.tz))
    const url = databaseUrl(values['database-url'], io.env)
    const out = values.out
    const partial = out === undefined ? undefined : `${out}.partial`
    // Progress only where a person watches it, and never mixed into CSV on the same terminal.
    const showProgress = Boolean(io.stderr.isTTY) && (out !== undefined || !io.stdout.isTTY)
    const pool = cliPool(url)
    try {
      const log = createAuditLog({ pool })
      const total = showProgress ? await log.count(filter) : 0
      let shownAt = 0
      // Opened before streaming, so a bad path is a plain rejection rather than a stream 'error'.
      const writable = partial === undefined ? io.stdout : (await open(partial, 'w')).createWriteStream()
      const { rows } = await log.exportCsv({ ...filter, order }, writable, {
        end: partial !== undefined,
        onProgress: showProgress
          ? (done) => {
              if (Date.now() - shownAt < 250) return
              shownAt = Date.now()
              io.stderr.write(`\rExported ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} entries`)
            }
          : undefined,
      })
      if (partial !== undefined && out !== undefined) await rename(partial, out)
      if (showProgress) io.stderr.write(`\rExported ${rows.toLocaleString('en-US')} entries${out ? ` to ${out}` : ''}\x1b[K\n`)
    } catch (error) {
      if (partial !== undefined) await rm(partial, { force: true })
      // The reader went away (`audit-trail export | head`): nothing left to do.
      if ((error as { code?: string }).code === 'EPIPE') return 0
      throw error instanceof AuditTrailError ? error : databaseError(error, url)
    } finally {
      await pool.end()
    }
    return 0
  },
}
