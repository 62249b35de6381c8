import type { CliCommand, CliIo } from './cli-io.js'
import { archiveCommand } from './commands/archive-command.js'
import { captureCommand } from './commands/capture-command.js'
import { exportCommand } from './commands/export-command.js'
import { migrateCommand } from './commands/migrate-command.js'
import { tailCommand } from './commands/tail-command.js'
import { verifyCommand } from './commands/verify-command.js'
import { UsageError } from './usage-error.js'

const COMMANDS: readonly CliCommand[] = [migrateCommand, tailCommand, exportCommand, archiveCommand, captureCommand, verifyCommand]

const MAIN_HELP = `Usage: audit-trail <command> [flags]

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(9)} ${command.summary}`).join('\n')}

The database comes from --database-url URL or DATABASE_URL.
Run audit-trail <command> --help for a command's flags.`

/**
 * Runs `audit-trail` with `argv` (without node and the script) and resolves to the exit code:
 * 0 done, 1 failed, 2 bad command line. Errors are written to stderr as one line.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ;(name === undefined ? io.stderr : io.stdout).write(`${MAIN_HELP}\n`)
    return name === undefined ? 2 : 0
  }
  const command = COMMANDS.find((candidate) => candidate.name === name)
  if (!command) {
    return fail(io, new UsageError(`audit-trail: unknown command ${JSON.stringify(name)}; use one of ${COMMANDS.map((c) => c.name).join(', ')} (audit-trail --help).`))
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`${command.help}\n`)
    return 0
  }
  try {
    return await command.run(args, io)
  } catch (error) {
    return fail(io, error)
  }
}

function fail(io: CliIo, error: unknown): number {
  const message = error instanceof Error && error.message ? error.message : String(error)
  const line = message.replace(/\s*\n\s*/g, ' ')
  io.stderr.write(`${line.startsWith('audit-trail:') ? line : `audit-trail: ${line}`}\n`)
  if (io.env.AUDIT_TRAIL_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`)
  return error instanceof UsageError ? 2 : 1
}
