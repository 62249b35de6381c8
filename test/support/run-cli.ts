import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** What one run of the `audit-trail` CLI gave. */
export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs the `audit-trail` CLI from its TypeScript source through tsx (no build step) as a child
 * process in the repository root, with `PATH`, `TZ=UTC` and `env` only (`DATABASE_URL`
 * included). Asynchronous: an embedded database serves the child from this process.
 */
export function runCli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'packages/core/src/cli/cli.ts'), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, TZ: 'UTC', ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
