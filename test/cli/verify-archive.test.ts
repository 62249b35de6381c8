import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { tamperCommitted } from '../chain/chain-fixtures.js'
import { seedEntries } from '../query/seed-entries.js'
import { useLogDatabase } from '../support/log-database.js'
import { runCli } from '../support/run-cli.js'

const { db, log } = useLogDatabase()
const dir = mkdtempSync(join(tmpdir(), 'audit-trail-verify-'))
const run = (args: string[]) => runCli(args, { DATABASE_URL: db.url })

beforeAll(async () => {
  await seedEntries(db, [
    { created_at: '2020-01-10T10:00:00Z', action: 'created', resource_type: 'item', resource_id: '1', resource_name: 'Old pizza' },
    { created_at: '2020-02-10T10:00:00Z', action: 'updated', resource_type: 'item', resource_id: '1', resource_name: 'Old pizza' },
    { created_at: new Date().toISOString(), action: 'updated', resource_type: 'item', resource_id: '1', resource_name: 'New pizza' },
  ])
})

describe('audit-trail verify and archive', () => {
  it('verify seals and checks the chain, and saves a checkpoint', async () => {
    const checkpoint = join(dir, 'checkpoint.json')
    const result = await run(['verify', '--save-checkpoint', checkpoint])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(result.stdout).toBe(`OK: 3 entries verified\nCheckpoint (entry 3) written to ${checkpoint}: keep it outside the database.\n`)
    expect(JSON.parse(readFileSync(checkpoint, 'utf8'))).toMatchObject({ entryId: '3', hash: expect.stringMatching(/^[0-9a-f]{64}$/) })
    expect(await run(['verify', '--checkpoint', checkpoint])).toMatchObject({
      code: 0,
      stdout: 'OK: 3 entries verified (checkpoint at entry 3 matches)\n',
    })
  })

  it('archive moves the older entries, records it, and the chain still verifies across both tables', async () => {
    expect(await run(['archive', '--older-than', '365'])).toEqual({ code: 0, stderr: '', stdout: 'Archived 2 entries older than 365 days.\n' })
    expect(await log.count({})).toBe(2) // the new entry and the `archived` entry
    expect(await log.count({ includeArchived: true })).toBe(4)
    const history = await log.history('item', '1', { includeArchived: true })
    expect(history.map((e) => e.resourceName)).toEqual(['New pizza', 'Old pizza', 'Old pizza'])
    expect((await log.history('item', '1')).map((e) => e.resourceName)).toEqual(['New pizza'])
    await expect(log.list({ includeArchived: 'yes' as never })).rejects.toThrow('filter.includeArchived must be true or false')
    await expect(log.history('item', '1', { includeArchived: 1 as never })).rejects.toThrow('includeArchived must be true or false')
    const archived = await log.list({ action: 'archived' })
    expect(archived.entries).toHaveLength(1)
    expect((await run(['verify'])).stdout).toBe('OK: 4 entries verified\n')
    await expect(log.verify()).resolves.toMatchObject({ ok: true, checked: 4, unsealed: 0 })
    // tail and export read the archive only when asked.
    expect((await run(['tail', '--type', 'item'])).stdout.split('\n').at(-2)).toBe('Showing 1 of 1 entry · times in UTC')
    const withArchive = await run(['tail', '--type', 'item', '--include-archived', '--order', 'asc'])
    expect(withArchive.stdout.split('\n').at(-2)).toBe('Showing 3 of 3 entries · times in UTC')
    expect(withArchive.stdout.indexOf('Old pizza')).toBeLessThan(withArchive.stdout.indexOf('New pizza'))
    const csv = (await run(['export', '--type', 'item', '--include-archived'])).stdout.split('\r\n').slice(1, -1)
    expect(csv).toHaveLength(3)
    expect((await run(['export', '--type', 'item'])).stdout.split('\r\n').slice(1, -1)).toHaveLength(1)
  })

  it('verify reports the first tampered entry and exits 1', async () => {
    // As the owner with the append-only triggers switched off: the attack the chain exists to expose.
    await tamperCommitted(db.pool, `UPDATE audit_trail.activity_log SET resource_name = 'Forged' WHERE id = 3`)
    const result = await run(['verify'])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/^TAMPERED: first bad entry 3: /)
    // ENABLE TRIGGER USER put the triggers back, but not as ENABLE ALWAYS: reported too.
    expect(result.stdout).toContain('PROTECTION: audit_trail.activity_log: append-only trigger activity_log_reject_delete is missing or not ENABLE ALWAYS\n')
    await expect(log.verify()).resolves.toMatchObject({ ok: false, firstBadId: '3' })
    for (const op of ['update', 'delete', 'truncate']) await db.query(`ALTER TABLE audit_trail.activity_log ENABLE ALWAYS TRIGGER activity_log_reject_${op}`)
  })

  it('rejects a missing or bad --older-than with a one-line usage error', async () => {
    expect(await run(['archive'])).toEqual({ code: 2, stdout: '', stderr: 'audit-trail: archive needs --older-than DAYS (an integer >= 0).\n' })
    expect(await run(['archive', '--older-than', '-3'])).toMatchObject({ code: 2 })
    expect(await run(['archive', '--older-than', '1; DROP TABLE x'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'audit-trail: --older-than must be an integer >= 0, got "1; DROP TABLE x".\n',
    })
    expect(await run(['verify', '--checkpoint', join(dir, 'missing.json')])).toMatchObject({ code: 1 })
  })
})
