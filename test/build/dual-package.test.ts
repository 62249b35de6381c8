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

const packages = [
  { name: '@audit-trail/core', dir: 'core', probe: `typeof m.runWithAuditContext, typeof m.withAuditContextSql, m.readMigrations().length > 1` },
  { name: '@audit-trail/prisma', dir: 'prisma-extension', probe: `typeof m.auditTrailComments, typeof m.enablePrismaCapture, typeof m.auditTrail({}) === 'function'` },
  { name: '@audit-trail/sequelize', dir: 'sequelize-hooks', probe: `typeof m.attachAuditHooks, typeof m.enableSequelizeCapture, typeof m.checkSequelizeCapture === 'function'` },
  { name: '@audit-trail/mikro-orm', dir: 'mikro-orm', probe: `typeof m.withAuditTrail, typeof m.enableMikroOrmCapture, typeof m.withAuditTrail({}, {}).onQuery === 'function'` },
] as const

describe.each(packages)('$name build', ({ name, dir, probe }) => {
  it('has ESM, CJS and type declarations', () => {
    for (const file of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) {
      expect(existsSync(`${root}/packages/${dir}/dist/${file}`), `${file}: run npm run build first`).toBe(true)
    }
  })

  it('loads with import', () => {
    expect(node(['--input-type=module', '-e', `const m = await import('${name}'); console.log(${probe})`])).toBe('function function true')
  })

  it('loads with require', () => {
    expect(node(['-e', `const m = require('${name}'); console.log(${probe})`])).toBe('function function true')
  })
})

describe('@audit-trail/core', () => {
  it('ships sql/ and the audit-trail binary', () => {
    expect(existsSync(`${root}/packages/core/sql/001_activity_log.sql`)).toBe(true)
    expect(node([`${root}/packages/core/dist/cli.js`, '--help']).split('\n')[0]).toBe('Usage: audit-trail <command> [flags]')
  })

  it('has the plugin entry in ESM, CJS and type declarations', () => {
    for (const file of ['plugin.js', 'plugin.cjs', 'plugin.d.ts', 'plugin.d.cts']) {
      expect(existsSync(`${root}/packages/core/dist/${file}`), `${file}: run npm run build first`).toBe(true)
    }
  })

  // Both entries come from one build with shared chunks: an error thrown by a plugin-entry
  // function is an instance of the main entry's classes, and keeps its class name.
  const sharedErrors = (load: string) => `${load}
    try { plugin.planCapture([], { models: { Ghost: {} } }); console.log('no error') }
    catch (error) { console.log(error instanceof main.AuditConfigurationError, error instanceof main.AuditTrailError, error.name) }`

  it('shares the error classes between the entries (import)', () => {
    const load = `const main = await import('@audit-trail/core'); const plugin = await import('@audit-trail/core/plugin')`
    expect(node(['--input-type=module', '-e', sharedErrors(load)])).toBe('true true AuditConfigurationError')
  })

  it('shares the error classes between the entries (require)', () => {
    const load = `const main = require('@audit-trail/core'); const plugin = require('@audit-trail/core/plugin')`
    expect(node(['-e', sharedErrors(load)])).toBe('true true AuditConfigurationError')
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
