import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The built package (npm run build, which `npm test` runs first) must load from both module
// systems, as installed apps will load it.
const root = fileURLToPath(new URL('../..', import.meta.url))
const dist = `${root}/packages/mikro-orm/dist`

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim()
}

const probe = `console.log(typeof m.AuditSubscriber, typeof m.auditForkOptions, new m.NativeWriteNotAuditedError('x') instanceof Error, typeof new m.AuditSubscriber({}).onFlush)`

describe('@audit-trail/mikro-orm build', () => {
  it('has been built with ESM, CJS and declarations', () => {
    for (const file of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) {
      expect(existsSync(`${dist}/${file}`), `${file}: run npm run build first`).toBe(true)
    }
  })

  it('loads with import', () => {
    expect(node(['--input-type=module', '-e', `const m = await import('@audit-trail/mikro-orm'); ${probe}`])).toBe('function function true function')
  })

  it('loads with require', () => {
    expect(node(['-e', `const m = require('@audit-trail/mikro-orm'); ${probe}`])).toBe('function function true function')
  })
})
