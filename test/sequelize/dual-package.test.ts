import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The built package (npm run build, which `npm test` runs first) must load from both module
// systems, as installed apps will load it.
const root = fileURLToPath(new URL('../..', import.meta.url))
const dist = `${root}/packages/sequelize-hooks/dist`

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim()
}

describe('@audit-trail/sequelize build', () => {
  it('has been built with ESM, CJS and type declarations', () => {
    for (const file of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) {
      expect(existsSync(`${dist}/${file}`), `${file}: run npm run build first`).toBe(true)
    }
  })

  it('loads with import', () => {
    const out = node(['--input-type=module', '-e', `const m = await import('@audit-trail/sequelize'); console.log(typeof m.attachAuditHooks)`])
    expect(out).toBe('function')
  })

  it('loads with require', () => {
    const out = node(['-e', `const m = require('@audit-trail/sequelize'); console.log(typeof m.attachAuditHooks)`])
    expect(out).toBe('function')
  })
})
