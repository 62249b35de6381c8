import { readFile } from 'node:fs/promises'
import { parseCaptureConfig } from '../../capture/capture-config.js'
import { checkCaptureTargets, enableCaptureTargets } from '../../capture/captured-tables.js'
import { AuditTrailError } from '../../errors.js'
import type { CliCommand } from '../cli-io.js'
import { DATABASE_FLAG, cliPool, databaseError, databaseUrl, describeDatabase } from '../database-connection.js'
import { parseFlags } from '../parse-flags.js'
import { UsageError } from '../usage-error.js'

export const captureCommand: CliCommand = {
  name: 'capture',
  summary: 'enable capture for the tables a config names (owner), or --check them',
  help: `Usage: audit-trail capture --config FILE [--check] [--database-url URL]

Enables database capture for every table of FILE, with its options, in one transaction
(all or nothing). Run it as the role that owns the log. Idempotent: running it again
replaces the options. With --check, changes nothing and exits 1 naming every table that
is not captured, lacks a trigger, or has other options than FILE gives.

FILE is JSON, tables keyed by name (unquoted names are exact: "public.Article"):
  { "tables": { "public.Article": { "resourceType": "article", "nameColumn": "title",
                                    "ignore": [], "redact": ["password_hash"], "toggle": false },
                "public._ArticleToTag": { "resourceType": "article_tag" } } }

  --config FILE       the tables and their options (required)
  --check             compare only; exit 1 on any difference
  --database-url URL  PostgreSQL URL (default: DATABASE_URL)
  --help              show this help`,
  async run(args, io) {
    const { values } = parseFlags('capture', args, { ...DATABASE_FLAG, config: { type: 'string' }, check: { type: 'boolean' } })
    const file = values.config
    if (file === undefined) throw new UsageError('audit-trail: capture needs --config FILE (see audit-trail capture --help).')
    let parsed: unknown
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'))
    } catch (error) {
      throw new UsageError(`audit-trail: cannot read ${file} as JSON: ${(error as Error).message}`)
    }
    const targets = parseCaptureConfig(parsed)
    const url = databaseUrl(values['database-url'], io.env)
    const pool = cliPool(url)
    try {
      const client = await pool.connect().catch((error: unknown) => {
        throw databaseError(error, url)
      })
      try {
        if (values.check) {
          await checkCaptureTargets(client, targets)
          io.stdout.write(`All ${targets.length} tables are captured as ${file} says, on ${describeDatabase(url)}.\n`)
          return 0
        }
        await client.query('BEGIN')
        const tables = await enableCaptureTargets(client, targets)
        await client.query('COMMIT')
        io.stdout.write(`Capture enabled on ${describeDatabase(url)} for ${tables.length} tables: ${tables.join(', ')}\n`)
        return 0
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined)
        throw error instanceof AuditTrailError ? error : databaseError(error, url)
      } finally {
        client.release()
      }
    } finally {
      await pool.end()
    }
  },
}
