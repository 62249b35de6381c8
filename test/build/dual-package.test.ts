import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The built packages (npm run build, which `npm test` runs first) must load from both module
// systems, as installed apps will load them.
const root = fileURLToPath(new URL('../..', import.meta.url))

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim()
}

describe('@audit-trail/core build', () => {
  it('has been built', () => {
    expect(existsSync(`${root}/packages/core/dist/index.js`), 'run npm run build first').toBe(true)
    expect(existsSync(`${root}/packages/core/dist/index.cjs`)).toBe(true)
    expect(existsSync(`${root}/packages/core/dist/index.d.ts`)).toBe(true)
    expect(existsSync(`${root}/packages/core/dist/index.d.cts`)).toBe(true)
    expect(existsSync(`${root}/packages/core/sql/001_activity_log.sql`)).toBe(true)
  })

  it('loads with import', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `const m = await import('@audit-trail/core'); console.log(typeof m.runWithAuditContext, typeof m.AuditRecorder, m.readMigrations().length > 1)`,
    ])
    expect(out).toBe('function function true')
  })

  it('loads with require', () => {
    const out = node([
      '-e',
      `const m = require('@audit-trail/core'); console.log(typeof m.runWithAuditContext, typeof m.AuditRecorder, m.readMigrations().length > 1)`,
    ])
    expect(out).toBe('function function true')
  })

  it('shares one context store between the ESM and the CJS copy', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `import { createRequire } from 'node:module'
       const esm = await import('@audit-trail/core')
       const cjs = createRequire(process.cwd() + '/')('@audit-trail/core')
       esm.runWithAuditContext({ actor: { id: 'u1' } }, () => console.log(cjs.getAuditContext()?.actor?.id))`,
    ])
    expect(out).toBe('u1')
  })
})
