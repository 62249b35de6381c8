/** What a CLI command may touch, so tests and other hosts can run it with their own streams. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  env: Readonly<Record<string, string | undefined>>
}

/** One `audit-trail` subcommand. */
export interface CliCommand {
  name: string
  /** One line for `audit-trail --help`. */
  summary: string
  /** Full `--help` text. */
  help: string
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>
}
