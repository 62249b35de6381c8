import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CSV_COLUMNS, readMigrations } from '@audit-trail/core'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'
import { seedEntries } from '../query/seed-entries.js'
import { runCli } from '../support/run-cli.js'

let db: TestDatabase

beforeAll(async () => {
  db = await createTestDatabase()
})
afterAll(async () => {
  await db?.drop()
})

/** The CLI on this file's database (`env` may override DATABASE_URL). */
const run = (args: string[], env: Record<string, string | undefined> = {}) => runCli(args, { DATABASE_URL: db.url, ...env })

describe('audit-trail --help', () => {
  it('lists the commands', async () => {
    const result = await run(['--help'])
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: `Usage: audit-trail <command> [flags]

Commands:
  migrate   apply sql/ (idempotent), grant the app role SELECT + record_event
  tail      the activity log view, day by day
  export    CSV of the filtered view
  archive   move older entries to the archive table
  capture   enable capture for the tables a config names (owner), or --check them
  verify    check the hash chain, append-only and capture triggers

The database comes from --database-url URL or DATABASE_URL.
Run audit-trail <command> --help for a command's flags.
`,
    })
  })

  for (const [command, usage] of [
    ['migrate', 'Usage: audit-trail migrate [--app-role NAME] [--database-url URL]'],
    ['tail', 'Usage: audit-trail tail [filters] [--limit N] [--order asc|desc] [--tz ZONE] [--view FILE] [--database-url URL]'],
    ['export', 'Usage: audit-trail export [filters] [--order asc|desc] [--out FILE] [--database-url URL]'],
    ['archive', 'Usage: audit-trail archive --older-than DAYS [--database-url URL]'],
    ['capture', 'Usage: audit-trail capture --config FILE [--check] [--database-url URL]'],
    ['verify', 'Usage: audit-trail verify [--checkpoint FILE] [--save-checkpoint FILE] [--database-url URL]'],
  ] as const) {
    it(`${command} --help`, async () => {
      const result = await run([command, '--help'], { DATABASE_URL: undefined })
      expect(result.code).toBe(0)
      expect(result.stderr).toBe('')
      expect(result.stdout.split('\n')[0]).toBe(usage)
      if (command === 'tail' || command === 'export') expect(result.stdout).toContain('  --field COLUMN      entries that changed this column, e.g. email\n')
    })
  }
})

describe('errors: one line on stderr, non-zero exit', () => {
  const cases: Array<[string, string[], Record<string, string | undefined>, number, string]> = [
    ['no command', [], {}, 2, ''],
    ['unknown command', ['purge'], {}, 2, 'audit-trail: unknown command "purge"; use one of migrate, tail, export, archive, capture, verify (audit-trail --help).\n'],
    ['unknown flag', ['tail', '--actr', 'u1'], {}, 2, 'audit-trail: unknown flag --actr for tail; see audit-trail tail --help.\n'],
    ['missing value', ['tail', '--limit'], {}, 2, 'audit-trail: --limit needs a value; see audit-trail tail --help.\n'],
    ['value for a boolean flag', ['export', '--system=yes'], {}, 2, 'audit-trail: --system takes no value; see audit-trail export --help.\n'],
    ['stray argument', ['tail', 'item'], {}, 2, 'audit-trail: unexpected argument "item" for tail; see audit-trail tail --help.\n'],
    ['bad limit', ['tail', '--limit', '0'], {}, 2, 'audit-trail: --limit must be a whole number from 1 to 1000, got "0".\n'],
    ['bad date', ['tail', '--from', 'yesterday'], {}, 2, 'audit-trail: --from must be a date (2024-01-15) or an ISO timestamp (2024-01-15T14:30:00Z), got "yesterday".\n'],
    ['from after to', ['export', '--from', '2024-02-01', '--to', '2024-01-01'], {}, 2,
      'audit-trail: --from 2024-02-01 is after --to 2024-01-01; the start must come before the end.\n'],
    ['impossible date', ['tail', '--to', '2024-02-30'], {}, 2, 'audit-trail: --to must be a date (2024-01-15) or an ISO timestamp (2024-01-15T14:30:00Z), got "2024-02-30".\n'],
    ['negative limit', ['tail', '--limit', '-1'], {}, 2, 'audit-trail: --limit must be a whole number from 1 to 1000, got "-1".\n'],
    ['bare actor', ['tail', '--actor', '--limit', '5'], {}, 2, 'audit-trail: --actor needs a value; see audit-trail tail --help.\n'],
    ['bare actor at the end', ['export', '--actor'], {}, 2, 'audit-trail: --actor needs a value; see audit-trail export --help.\n'],
    ['negative older-than', ['archive', '--older-than', '-3'], {}, 2, 'audit-trail: --older-than must be an integer >= 0, got "-3".\n'],
    ['not a URL', ['tail', '--database-url', 'notaurl'], {}, 2,
      'audit-trail: --database-url is not a PostgreSQL URL; use postgresql://USER:PASSWORD@HOST:5432/DATABASE.\n'],
    ['not a PostgreSQL URL in DATABASE_URL', ['export'], { DATABASE_URL: 'mysql://root:pw@db/app' }, 2,
      'audit-trail: DATABASE_URL is not a PostgreSQL URL; use postgresql://USER:PASSWORD@HOST:5432/DATABASE.\n'],
    ['bad order', ['export', '--order', 'sideways'], {}, 2, 'audit-trail: --order must be asc (oldest first) or desc (newest first), got "sideways".\n'],
    ['bad time zone', ['tail', '--tz', 'Mars/Base'], {}, 2, 'audit-trail: --tz "Mars/Base" is not a time zone; use an IANA name such as UTC or Europe/Paris.\n'],
    ['no database', ['tail'], { DATABASE_URL: undefined }, 2, 'audit-trail: no database given; pass --database-url URL or set DATABASE_URL.\n'],
    ['unreachable database (tail)', ['tail', '--database-url', 'postgresql://postgres:secret@127.0.0.1:1/postgres'], {}, 1,
      'audit-trail: cannot connect to the database at 127.0.0.1:1/postgres: connect ECONNREFUSED 127.0.0.1:1\n'],
    ['unreachable database (export)', ['export'], { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/postgres' }, 1,
      'audit-trail: cannot connect to the database at 127.0.0.1:1/postgres: connect ECONNREFUSED 127.0.0.1:1\n'],
    ['unreachable database (migrate)', ['migrate', '--database-url', 'postgresql://postgres@127.0.0.1:1/postgres'], {}, 1,
      'audit-trail: cannot connect to the database at 127.0.0.1:1/postgres: connect ECONNREFUSED 127.0.0.1:1\n'],
  ]
  for (const [name, args, env, code, stderr] of cases) {
    it(name, async () => {
      const result = await run(args, env)
      expect(result.code).toBe(code)
      expect(result.stdout).toBe('')
      if (name === 'no command') expect(result.stderr.split('\n')[0]).toBe('Usage: audit-trail <command> [flags]')
      else expect(result.stderr).toBe(stderr)
    })
  }
})

describe('audit-trail migrate', () => {
  it('applies sql/ to an empty database, idempotently, and names a missing app role', async () => {
    const fresh = await createTestDatabase({ migrate: false })
    try {
      const before = await run(['tail'], { DATABASE_URL: fresh.url })
      expect(before.code).toBe(1)
      expect(before.stderr).toMatch(/^audit-trail: [^\n]+ has no audit_trail\.activity_log; run audit-trail migrate first \([^\n]+\)\.\n$/)
      for (let pass = 0; pass < 2; pass++) {
        const result = await run(['migrate', '--database-url', fresh.url])
        expect(result.stderr).toBe('')
        expect(result.code).toBe(0)
        // The second pass skips the numbered files (applied once) and re-applies the repeatable ones.
        const files = readMigrations()
          .filter((file) => pass === 0 || file.kind === 'repeatable')
          .map((file) => file.name)
        expect(files[0]).toBe(pass === 0 ? '001_activity_log.sql' : 'functions/01_append_only.sql')
        expect(result.stdout).toBe(`Applied ${files.length} migrations to ${new URL(fresh.url).host}${new URL(fresh.url).pathname}: ${files.join(', ')}\n`)
      }
      const role = await run(['migrate', '--app-role', 'no_such_role'], { DATABASE_URL: fresh.url })
      expect(role.code).toBe(1)
      expect(role.stderr).toBe('audit-trail: audit_trail.grant_app_role: role "no_such_role" does not exist\n')
      const tail = await run(['tail'], { DATABASE_URL: fresh.url })
      expect(tail).toEqual({ code: 0, stderr: '', stdout: 'Showing 0 of 0 entries · times in UTC\n' })
    } finally {
      await fresh.drop()
    }
  })
})

describe('audit-trail tail', () => {
  beforeAll(async () => {
    // 153 older entries, then the three of SPEC.md's example.
    await seedEntries(db, Array.from({ length: 153 }, (_, i) => ({
      log_name: 'spec', created_at: new Date(Date.UTC(2024, 0, 10, 0, i)).toISOString(), actor_id: 'u9', actor_name: 'Old Timer', resource_name: `Thing ${i}`,
    })))
    await seedEntries(db, [
      { log_name: 'spec', created_at: '2024-01-15T08:30:00Z', actor_id: 'u1', actor_name: 'Jan Manager', action: 'login', ip_address: '192.168.1.100', source: 'manual' },
      { log_name: 'spec', created_at: '2024-01-15T14:15:00Z', actor_id: 'u1', actor_name: 'Jan Manager', action: 'disabled',
        resource_type: 'item', resource_id: '2', resource_name: 'Summer Special Salad', changes: { available: { old: true, new: false } } },
      { log_name: 'spec', created_at: '2024-01-15T14:30:00Z', actor_id: 'u1', actor_name: 'Jan Manager', action: 'updated',
        resource_type: 'item', resource_id: '1', resource_name: 'Margherita Pizza', changes: { price: { old: '12.50', new: '13.50' } } },
    ])
  })

  it("prints SPEC.md's view exactly", async () => {
    const result = await run(['tail', '--log', 'spec', '--limit', '3'])
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: `Jan 15, 2024

14:30  Jan Manager    Updated   Margherita Pizza
       └─ price: 12.50 → 13.50
14:15  Jan Manager    Disabled  Summer Special Salad
       └─ available: true → false
08:30  Jan Manager    Login
       └─ IP: 192.168.1.100

Showing 3 of 156 entries · times in UTC
`,
    })
  })

  it('--view FILE formats columns as the page does (decimal scale, currency, Yes/No) and refuses a bad file', async () => {
    await seedEntries(db, [
      { log_name: 'viewfile', created_at: '2024-04-02T10:00:00Z', actor_id: 'u9', actor_name: 'Ana', action: 'updated', resource_type: 'item', resource_id: '3',
        resource_name: 'Tart', changes: { price: { old: { $decimal: '12.5' }, new: { $decimal: '13' } }, available: { old: true, new: false } } },
    ])
    const dir = mkdtempSync(join(tmpdir(), 'audit-trail-view-'))
    const view = join(dir, 'view.json')
    writeFileSync(view, JSON.stringify({ formats: { item: { price: { decimals: 2 }, available: { booleans: ['Yes', 'No'] } } } }))
    const plain = await run(['tail', '--log', 'viewfile'])
    expect(plain.stdout).toContain('price: 12.5 → 13\n')
    const formatted = await run(['tail', '--log', 'viewfile', '--view', view])
    expect(formatted.stderr).toBe('')
    expect(formatted.stdout).toContain('price: 12.50 → 13.00\n')
    expect(formatted.stdout).toContain('available: Yes → No\n')
    writeFileSync(view, JSON.stringify({ format: {} }))
    expect(await run(['tail', '--log', 'viewfile', '--view', view])).toMatchObject({
      code: 2,
      stderr: `audit-trail: --view ${view} has unknown key(s) format; use formats, summaryFields, locale.\n`,
    })
  })

  it('groups by day, applies filters and the time zone', async () => {
    await seedEntries(db, [
      { log_name: 'days', created_at: '2024-03-01T23:30:00Z', actor_type: 'system', action: 'created', resource_type: 'item', resource_id: '7',
        changes: { id: { old: null, new: 7 }, name: { old: null, new: 'Soup' }, note: { old: null, new: null } } },
      { log_name: 'days', created_at: '2024-03-02T09:05:00Z', actor_id: 'u2', actor_name: 'Ana Support', action: 'login_failed', ip_address: '10.0.0.9', location_id: 'lyon' },
      { log_name: 'days', created_at: '2024-03-02T10:00:00Z', actor_id: 'u2', actor_name: 'Ana Support', action: 'deleted', resource_type: 'item', resource_id: '7',
        resource_name: 'Soup', changes: { id: { old: 7, new: null }, name: { old: 'Soup', new: null } }, location_id: 'lyon' },
    ])
    const all = await run(['tail', '--log', 'days', '--tz', 'Europe/Paris'])
    expect(all.stdout).toBe(`Mar 2, 2024

11:00  Ana Support    Deleted       Soup
       └─ name: Soup
       └─ id: 7
10:05  Ana Support    Login failed
       └─ IP: 10.0.0.9
00:30  System         Created       item #7
       └─ name: Soup
       └─ id: 7

Showing 3 of 3 entries · times in Europe/Paris
`)
    const utc = await run(['tail', '--log', 'days', '--system'])
    expect(utc.stdout).toBe(`Mar 1, 2024

23:30  System         Created   item #7
       └─ name: Soup
       └─ id: 7

Showing 1 of 1 entry · times in UTC
`)
    const lyon = await run(['tail', '--log', 'days', '--location', 'lyon', '--action', 'deleted', '--action', 'login_failed', '--limit', '1'])
    expect(lyon.stdout).toBe(`Mar 2, 2024

10:00  Ana Support    Deleted   Soup
       └─ name: Soup
       └─ id: 7

Showing 1 of 2 entries · times in UTC
`)
    const filtered = await run(['tail', '--log', 'days', '--type', 'item', '--id', '7', '--from', '2024-03-02', '--to', '2024-03-02', '--actor', 'u2', '--field', 'name'])
    expect(filtered.stdout.split('\n').at(-2)).toBe('Showing 1 of 1 entry · times in UTC')
    // Bare dates are days in --tz (UTC by default): March 1 ends at 23:59:59.999 UTC, but at
    // 14:59:59.999 UTC in Tokyo (UTC+9), before the 23:30 UTC entry.
    const utcDay = await run(['tail', '--log', 'days', '--to', '2024-03-01'])
    expect(utcDay.stdout.split('\n').at(-2)).toBe('Showing 1 of 1 entry · times in UTC')
    const tokyo = await run(['tail', '--log', 'days', '--to', '2024-03-01', '--tz', 'Asia/Tokyo'])
    expect(tokyo.stdout.split('\n').at(-2)).toBe('Showing 0 of 0 entries · times in Asia/Tokyo')
    const auckland = await run(['tail', '--log', 'days', '--from', '2024-03-02', '--tz', 'Pacific/Auckland', '--order', 'asc'])
    expect(auckland.stdout.split('\n').at(-2)).toBe('Showing 3 of 3 entries · times in Pacific/Auckland')
    const utcFrom = await run(['tail', '--log', 'days', '--from', '2024-03-02'])
    expect(utcFrom.stdout.split('\n').at(-2)).toBe('Showing 2 of 2 entries · times in UTC')
  })

  it('--order asc prints the oldest first, in tail and export', async () => {
    const asc = await run(['tail', '--log', 'days', '--order', 'asc', '--limit', '1'])
    expect(asc.stdout).toContain('Created   item #7')
    const desc = await run(['tail', '--log', 'days', '--limit', '1'])
    expect(desc.stdout).toContain('Deleted   Soup')
    const csv = await run(['export', '--log', 'days', '--order', 'asc'])
    const rows = csv.stdout.split('\r\n').slice(1, -1)
    expect(rows.map((row) => row.split(',')[9])).toEqual(['created', 'login_failed', 'deleted'])
  })
})

describe('audit-trail export', () => {
  it('writes the filtered CSV to stdout', async () => {
    const result = await run(['export', '--log', 'spec', '--action', 'login'])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    const lines = result.stdout.split('\r\n')
    expect(lines[0]).toBe(CSV_COLUMNS.join(','))
    expect(lines.length).toBe(3)
    expect(lines[1]).toMatch(/^\d+,2024-01-15T08:30:00\.000Z,spec,user,u1,Jan Manager,,,,login,,,,,,,192\.168\.1\.100,,,,,\d+,manual,$/)
    expect(lines[2]).toBe('')
  })

  it('--out writes the file, and leaves nothing behind on failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-trail-cli-'))
    const file = join(dir, 'log.csv')
    const result = await run(['export', '--log', 'spec', '--out', file])
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' })
    expect(readFileSync(file, 'utf8').split('\r\n').length).toBe(158)
    expect(existsSync(`${file}.partial`)).toBe(false)
    const missing = join(dir, 'no-such-dir', 'log.csv')
    const failed = await run(['export', '--log', 'spec', '--out', missing])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toBe(`audit-trail: ENOENT: no such file or directory, open '${missing}.partial'\n`)
    expect(existsSync(missing)).toBe(false)
  })
})

describe('audit-trail capture --config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-trail-capture-'))
  const config = (name: string, value: unknown) => {
    const file = join(dir, name)
    writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value))
    return file
  }

  it('enables capture for PascalCase and link tables with their options, then --check passes', async () => {
    await db.query(`
      CREATE TABLE "Article" (id serial PRIMARY KEY, title text, "passwordHash" text, "updatedAt" timestamptz);
      CREATE TABLE "_ArticleToTag" ("A" int NOT NULL, "B" int NOT NULL);
    `)
    const file = config('ok.json', {
      tables: {
        'public.Article': { resourceType: 'article', nameColumn: 'title', redact: ['passwordHash'], toggle: false },
        '_ArticleToTag': { resourceType: 'article_tag' },
      },
    })
    const enabled = await run(['capture', '--config', file])
    expect(enabled.stderr).toBe('')
    expect(enabled.code).toBe(0)
    expect(enabled.stdout).toMatch(/^Capture enabled on .* for 2 tables: "public"."Article", "_ArticleToTag"\n$/)
    const catalog = await db.query(`SELECT table_name::text AS t, resource_type, name_column, redact_columns, toggle_columns FROM audit_trail.capture_catalog ORDER BY 1`)
    expect(catalog).toEqual([
      { t: '"Article"', resource_type: 'article', name_column: 'title', redact_columns: ['passwordHash'], toggle_columns: [] },
      { t: '"_ArticleToTag"', resource_type: 'article_tag', name_column: null, redact_columns: [], toggle_columns: ['enabled', 'active', 'is_active', 'available'] },
    ])
    expect(await run(['capture', '--config', file, '--check'])).toMatchObject({ code: 0, stderr: '' })
  })

  it('--check names every table and option that differs, and changes nothing', async () => {
    const file = config('drift.json', {
      tables: { 'public.Article': { resourceType: 'post', nameColumn: 'title', toggle: false }, 'public.Missing': {} },
    })
    const result = await run(['capture', '--config', file, '--check'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('"public"."Article" ("public"."Article"): resourceType is "article" in the database, "post" in the code')
    expect(result.stderr).toContain('redact is ["passwordHash"] in the database, [] in the code')
    expect(result.stderr).toContain('"public"."Missing" ("public"."Missing"): capture is not enabled')
    expect(await db.query(`SELECT 1 FROM audit_trail.capture_catalog WHERE resource_type = 'post'`)).toEqual([])
  })

  it('refuses a bad config before touching the database, and applies all or nothing', async () => {
    const typo = await run(['capture', '--config', config('typo.json', { tables: { Article: { redcat: ['x'] } } })])
    expect(typo).toMatchObject({ code: 1, stdout: '' })
    expect(typo.stderr).toBe('audit-trail: capture config: tables["Article"] has unknown option(s) redcat; known: resourceType, nameColumn, ignore, redact, toggle.\n')
    expect((await run(['capture', '--config', config('bad.json', '{ nope')])).code).toBe(2)
    expect((await run(['capture'])).stderr).toBe('audit-trail: capture needs --config FILE (see audit-trail capture --help).\n')
    const partial = await run(['capture', '--config', config('partial.json', { tables: { Article: { resourceType: 'changed' }, NoSuchTable: {} } })])
    expect(partial.code).toBe(1)
    expect(partial.stderr).toMatch(/relation .*NoSuchTable.* does not exist/)
    expect(await db.query(`SELECT 1 FROM audit_trail.capture_catalog WHERE resource_type = 'changed'`)).toEqual([])
  })
})
