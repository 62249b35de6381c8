import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// What a user does (issue 16): `npm pack` every package, install the tarballs into a new app
// outside the workspace next to express, pg and the ORMs from the npm registry, typecheck it
// with a strict tsconfig without skipLibCheck, deploy as the log owner, serve as a
// non-superuser app role with per-route auth, and read the log back through the query API.
const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const adminUrl = process.env.DATABASE_URL
const packages = ['@audit-trail/core', '@audit-trail/prisma', '@audit-trail/sequelize', '@audit-trail/mikro-orm']

/** The version the repository's own tests use, so the app gets what is tested. */
function repoVersion(name: string): string {
  return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
}

async function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 })
    return stdout
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error })
  }
}

let appDir: string
/** Package name → the paths in its tarball, from `npm pack --json`. */
let packedFiles: Map<string, string[]>

beforeAll(async () => {
  if (!adminUrl) throw new Error('The installation test runs on a real PostgreSQL server: set DATABASE_URL')
  const scratch = mkdtempSync(join(tmpdir(), 'audit-trail-install-'))
  if (!relative(root, scratch).startsWith('..')) throw new Error(`${scratch} is inside the repository`)
  appDir = join(scratch, 'app')

  // One `npm pack` in workspace order (core first: the adapters' declarations import its build);
  // each package's prepack builds it.
  const packDir = join(scratch, 'tarballs')
  mkdirSync(packDir)
  const packOutput = await sh('npm', ['pack', '--json', '--pack-destination', packDir, ...packages.flatMap((name) => ['--workspace', name])], root)
  // The builds' own output comes first on stdout; npm's JSON report is the last thing printed.
  const packed = JSON.parse(packOutput.slice(packOutput.search(/^\[$/m))) as { name: string; filename: string; files: { path: string }[] }[]
  packedFiles = new Map(packed.map((p) => [p.name, p.files.map((f) => f.path)]))
  const tarballs = packed.map((p) => join(packDir, p.filename))

  cpSync(join(root, 'test/install/app'), appDir, { recursive: true, filter: (src) => !src.endsWith('README.md') })
  for (const file of readdirSync(appDir)) if (file.endsWith('.ts.tpl')) renameSync(join(appDir, file), join(appDir, file.slice(0, -'.tpl'.length)))
  writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }, null, 2))
  writeFileSync(
    join(appDir, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          allowImportingTsExtensions: true,
          types: ['node'],
        },
        include: ['prisma-app.ts', 'sequelize-app.ts', 'mikro-orm-app.ts', 'read-log.ts', 'temporal.d.ts'],
      },
      null,
      2,
    ),
  )
  const registry = ['express', '@types/express', 'pg', '@prisma/client', '@prisma/adapter-pg', 'prisma', 'sequelize', '@mikro-orm/core', '@mikro-orm/postgresql', 'typescript', '@types/node', 'tsx']
  await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, ...registry.map((name) => `${name}@${repoVersion(name)}`)], appDir)

  await sh('npx', ['prisma', 'generate'], appDir, { PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true' })
}, 300_000)

afterAll(() => {
  if (appDir) rmSync(join(appDir, '..'), { recursive: true, force: true })
})

it('packs each package with its LICENSE, README, ESM, CJS and both declaration flavours, no source maps; core with its plugin entry, CLI and sql/', () => {
  expect([...packedFiles.keys()]).toEqual(packages)
  for (const [name, files] of packedFiles) {
    expect(files, name).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']))
    expect(files.filter((f) => f.endsWith('.map')), `${name}: source maps of unshipped sources`).toEqual([])
    expect(files.filter((f) => f.startsWith('src/')), name).toEqual([])
  }
  expect(packedFiles.get('@audit-trail/core')).toEqual(expect.arrayContaining(['dist/plugin.js', 'dist/plugin.cjs', 'dist/plugin.d.ts', 'dist/plugin.d.cts', 'plugin/package.json']))
  expect(packedFiles.get('@audit-trail/core')).toEqual(expect.arrayContaining(['dist/cli.js', 'sql/001_activity_log.sql', 'sql/004_archive.sql', 'sql/functions/05_protection_checks.sql']))
})

it('installs one copy of core: the adapters take it as a peer dependency', () => {
  for (const adapter of packages.slice(1)) {
    expect(existsSync(join(appDir, 'node_modules', adapter)), adapter).toBe(true)
    expect(existsSync(join(appDir, 'node_modules', adapter, 'node_modules', '@audit-trail', 'core')), `${adapter} has its own copy of core`).toBe(false)
  }
})

it('typechecks the apps with strict TypeScript and no skipLibCheck (tsc --noEmit)', async () => {
  const output = await sh('npx', ['tsc', '--noEmit', '-p', '.'], appDir).catch((error: Error) => error.message)
  expect(output).toBe('')
})

interface Entry {
  action: string
  actor: { type: string; id: string | null; name: string | null }
  resourceType: string
  resourceId: string
  resourceName: string
  source: string
}

// The captured table each app's deploy step reports: Prisma's quoted "Article" (no @@map),
// Sequelize's tableName, MikroORM's default naming with its schema.
const apps = [
  { orm: 'prisma', captured: ['"Article"'] },
  { orm: 'sequelize', captured: ['"articles"'] },
  { orm: 'mikro-orm', captured: ['"public"."article"'] },
]

describe.each(apps)('Express + $orm app from the tarballs', ({ orm, captured }) => {
  let database: string
  let role: string
  let server: ChildProcess | undefined
  const admin = () => new pg.Client({ connectionString: adminUrl })

  beforeAll(async () => {
    const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`
    database = `audit_trail_install_${orm.replace('-', '_')}_${suffix}`
    role = `audit_trail_install_app_${suffix}`
    const client = admin()
    await client.connect()
    await client.query(`CREATE DATABASE ${database}`)
    await client.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE`)
    await client.end()
  })

  afterAll(async () => {
    server?.kill()
    const client = admin()
    await client.connect()
    await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await client.query(`DROP ROLE IF EXISTS ${role}`)
    await client.end()
  })

  const urlFor = (user: string) => {
    const url = new URL(adminUrl!)
    url.username = user
    url.password = ''
    url.pathname = `/${database}`
    return url.toString()
  }

  it('records each HTTP write with the user the route authenticated, read back with createAuditLog().list()', async () => {
    const deployed = await sh('npx', ['tsx', `${orm}-app.ts`, 'deploy'], appDir, { OWNER_URL: urlFor(new URL(adminUrl!).username), APP_ROLE: role })
    expect(JSON.parse(deployed.trim().split('\n').at(-1)!)).toEqual(captured)

    const appUrl = urlFor(role)
    server = spawn('npx', ['tsx', `${orm}-app.ts`, 'serve'], { cwd: appDir, env: { ...process.env, APP_URL: appUrl }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const port = await new Promise<number>((resolve, reject) => {
      let stdout = ''
      server!.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
        const match = /listening (\d+)/.exec(stdout)
        if (match) resolve(Number(match[1]))
      })
      server!.on('exit', (code) => reject(new Error(`the ${orm} app exited (${code}):\n${stdout}\n${stderr}`)))
    })
    const base = `http://127.0.0.1:${port}/articles`
    const send = async (method: string, path: string, user: number | undefined, body?: object) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(user === undefined ? {} : { authorization: `Token user-${user}` }) },
        body: body && JSON.stringify(body),
      })
      return { status: response.status, body: response.status === 201 ? ((await response.json()) as { id: number }) : undefined }
    }

    // The routes authenticate themselves: without a token, nothing is written.
    expect((await send('POST', '', undefined, { title: 'anonymous' })).status).toBe(401)
    const users = Array.from({ length: 20 }, (_, i) => i + 1)
    await Promise.all(
      users.map(async (user) => {
        const created = await send('POST', '', user, { title: `by ${user}` })
        expect(created.status, stderr).toBe(201)
        expect((await send('PATCH', `/${created.body!.id}`, user, { title: `by ${user} (edited)` })).status, stderr).toBe(204)
        expect((await send('DELETE', `/${created.body!.id}`, user)).status, stderr).toBe(204)
      }),
    )

    const entries = JSON.parse(await sh('npx', ['tsx', 'read-log.ts'], appDir, { APP_URL: appUrl })) as Entry[]
    expect(entries).toHaveLength(60)
    const wrong = entries.filter((e) => {
      const user = /^by (\d+)/.exec(e.resourceName)?.[1]
      return e.actor.type !== 'user' || e.actor.id !== user || e.actor.name !== `User ${user}` || e.source !== 'orm' || e.resourceType !== 'article'
    })
    expect(wrong).toEqual([])
    const actions = (action: string) => entries.filter((e) => e.action === action).map((e) => e.resourceName).sort()
    expect(actions('created')).toEqual(users.map((u) => `by ${u}`).sort())
    expect(actions('updated')).toEqual(users.map((u) => `by ${u} (edited)`).sort())
    expect(actions('deleted')).toEqual(users.map((u) => `by ${u} (edited)`).sort())
  })
})
