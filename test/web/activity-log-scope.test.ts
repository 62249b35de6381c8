import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidArgumentError, activityLogRouter, auditContextMiddleware, runWithAuditContext, writeEntries } from '@audit-trail/core'
import { filterChoices, type FilterChoices } from '../../packages/core/src/query/filter-choices.js'
import { entryRow } from '../security/entry-row.js'
import { listen, type RunningServer } from '../support/http-server.js'
import { useLogDatabase } from '../support/log-database.js'

// Issue 17: scopes, plain-word filter errors, refused exports, whole-log filter lists, permalinks.
const { db, log } = useLogDatabase()
let server: RunningServer
let base: string

beforeAll(async () => {
  // The oldest entries hold the only "rare" actor and the only database write: a list built from
  // the newest 1,000 entries would miss both.
  await writeEntries(db.pool, [
    entryRow({ actor_id: 'rare-1', actor_name: 'Rare Rita', action: 'updated', resource_type: 'coupon', tenant_id: 'shop-a', location_id: 'nice' }),
    entryRow({ actor_type: 'database', actor_name: 'postgres', action: 'updated', resource_type: 'item', resource_id: '9', tenant_id: 'shop-a', source: 'trigger' }),
  ])
  // 1,100 logins in one statement (the test database role owns the log).
  await db.pool.query(
    `INSERT INTO audit_trail.activity_log (log_name, actor_type, actor_id, actor_name, action, tenant_id, source)
     SELECT 'backoffice', 'user', 'staff-' || (i % 2), CASE WHEN i % 2 = 1 THEN 'Bob B' ELSE 'Ann A' END, 'login',
            CASE WHEN i % 2 = 1 THEN 'shop-b' ELSE 'shop-a' END, 'manual'
       FROM generate_series(0, 1099) AS i`,
  )
  await runWithAuditContext({ actor: { id: 'client-1', name: 'Client One' }, impersonator: { id: 'sam', name: 'Sam Support' }, tenantId: 'shop-b' }, () =>
    log.record({ action: 'pdf_downloaded', resourceType: 'invoice', resourceId: 5 }),
  )

  const source = { ...log, choices: (scope: { tenantId?: string; logName?: string }) => filterChoices(db.pool, scope) }
  const app = express()
  app.use(auditContextMiddleware({ actor: (req) => (req.headers['x-user'] ? { id: String(req.headers['x-user']), name: 'Admin' } : null) }))
  app.use(
    '/log',
    activityLogRouter(source, {
      authorize: (req) => {
        const user = req.headers['x-user']
        if (user === 'root') return true
        if (user === 'a-admin') return { tenantId: 'shop-a' }
        if (user === 'b-admin') return { tenantId: 'shop-b' }
        return false
      },
      authorizeExport: (req) => req.headers['x-user'] !== 'b-admin',
      pageSize: 5,
    }),
  )
  app.use('/fr', activityLogRouter(log, { authorize: () => true, messages: { lang: 'fr', title: 'Journal d’activité', clear: 'Effacer les filtres', errorRange: 'La date de début est après la date de fin.' } }))
  server = await listen(app)
  base = `${server.origin}/log`
})
afterAll(async () => {
  await server?.close()
})

const as = (user: string) => ({ headers: { 'x-user': user } })
const json = async (path: string, user = 'root') => {
  const res = await fetch(`${base}${path}`, as(user))
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { total: number; entries: Array<Record<string, unknown>> } }
}
const exportedCount = async () => (await log.list({ action: 'exported' })).entries.length

describe('filter errors in plain words', () => {
  it('says the start date is after the end date, naming the field', async () => {
    const { status, body } = await json('/entries?from=2024-03-10&to=2024-03-01')
    expect(status).toBe(400)
    expect(body).toEqual({ error: 'The start date is after the end date.', field: 'from' })
  })

  it('refuses impossible dates in the page and in the API', async () => {
    expect((await json('/entries?to=2024-02-30')).body).toEqual({ error: 'The end date is not a valid date.', field: 'to' })
    await expect(log.list({ from: '2024-02-30' })).rejects.toThrow(InvalidArgumentError)
    await expect(log.list({ from: '2024-02-30' })).rejects.toThrow(/February has no day 30/)
    await expect(log.stateAt('item', 9, '0000-01-01')).rejects.toThrow(InvalidArgumentError)
    await expect(log.stateAt('item', 9, '0000-01-01')).rejects.toThrow(/years 1 and 9999/)
    expect(await log.count({ from: '2024-02-29' })).toBeGreaterThan(0)
  })

  it('refuses an export with an invalid filter before writing or recording anything', async () => {
    const before = await exportedCount()
    for (const query of ['from=2024-03-10&to=2024-03-01', 'from=2024-13-01', 'order=sideways', 'tz=Mars/Base']) {
      const res = await fetch(`${base}/export.csv?${query}`, as('root'))
      expect(res.status, query).toBe(400)
      expect(res.headers.get('content-type'), query).toBe('application/json; charset=utf-8')
      expect(res.headers.get('content-disposition'), query).toBeNull()
      expect(((await res.json()) as { error: string }).error, query).toMatch(/^The /)
    }
    expect(await exportedCount()).toBe(before)
  })

  it('reads bare dates as days in the chosen zone (UTC by default)', async () => {
    const today = new Date().toISOString().slice(0, 10)
    const utc = (await json(`/entries?from=${today}&to=${today}`)).body.total
    expect(utc).toBe(1103)
    // Kiritimati is UTC+14: its "today" ends 14 hours before the UTC day does, so a day wholly
    // in the future there (two days on) matches nothing, and the zone is honoured, not ignored.
    const later = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10)
    expect((await json(`/entries?from=${later}&tz=Pacific/Kiritimati`)).body.total).toBe(0)
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)
    expect((await json(`/entries?to=${yesterday}&tz=Pacific/Kiritimati`)).body.total).toBe(0)
  })
})

describe('scope from authorize(req)', () => {
  it('limits entries, counts and filter lists to the tenant, whatever the query string says', async () => {
    const a = await json('/entries', 'a-admin')
    const b = await json('/entries', 'b-admin')
    expect(a.body.total).toBe(552)
    expect(b.body.total).toBe(551)
    const hostile = await json('/entries?tenant=shop-b&tenantId=shop-b&tenant_id=shop-b&log=x', 'a-admin')
    expect(hostile.body.total).toBe(552)
    expect((await json('/entries?actor=staff-1', 'a-admin')).body.total).toBe(0)
    const choices = (await json('/choices', 'a-admin')).body as unknown as { actors: Array<{ id: string }>; impersonators: unknown[] }
    expect(choices.actors.map((actor) => actor.id)).toEqual(['staff-0', 'rare-1'])
    expect(choices.impersonators).toEqual([])
  })

  it('scopes the CSV export and the permalink too', async () => {
    const csv = await (await fetch(`${base}/export.csv?tenant=shop-b`, as('a-admin'))).text()
    const rows = csv.trim().split(/\r?\n/).slice(1)
    expect(rows).toHaveLength(552)
    expect(rows.every((row) => row.includes(',shop-a,'))).toBe(true)
    const bEntry = (await log.list({ tenantId: 'shop-b', limit: 1 })).entries[0]!
    expect((await json(`/entries?entry=${bEntry.id}`, 'b-admin')).body.total).toBe(1)
    expect((await json(`/entries?entry=${bEntry.id}`, 'a-admin')).body.total).toBe(0)
  })

  it('gates the export separately with authorizeExport', async () => {
    const before = await exportedCount()
    const res = await fetch(`${base}/export.csv`, as('b-admin'))
    expect(res.status).toBe(403)
    expect(await exportedCount()).toBe(before)
    const page = await (await fetch(`${base}/`, as('b-admin'))).text()
    expect(page).not.toContain('id="export"')
    expect(await (await fetch(`${base}/`, as('a-admin'))).text()).toContain('id="export" href="./export.csv"')
  })
})

describe('filter lists and filters', () => {
  it('lists actors, types and locations from the whole log, with Database and impersonators', async () => {
    const choices = (await json('/choices')).body as unknown as Omit<FilterChoices, 'counts'>
    // The admins who exported earlier in this file are actors too.
    expect(choices.actors.filter((actor) => actor.name !== 'Admin')).toEqual([
      { id: 'staff-0', name: 'Ann A' },
      { id: 'staff-1', name: 'Bob B' },
      { id: 'client-1', name: 'Client One' },
      { id: 'rare-1', name: 'Rare Rita' },
    ])
    expect(choices.impersonators).toEqual([{ id: 'sam', name: 'Sam Support' }])
    expect(choices.hasDatabaseActors).toBe(true)
    expect(choices.resourceTypes).toEqual(['activity_log', 'coupon', 'invoice', 'item'])
    expect(choices.locations).toEqual(['nice'])
    expect(choices.actions).toEqual(expect.arrayContaining(['login', 'pdf_downloaded', 'updated']))
  })

  it('filters by Database, impersonator, resource id, order and archived', async () => {
    const database = await json('/entries?actor=database')
    expect(database.body.total).toBe(1)
    expect(database.body.entries[0]).toMatchObject({ actor: 'postgres', actorType: 'database' })
    const sam = await json('/entries?impersonator=sam')
    expect(sam.body.entries.map((entry) => entry.actor)).toEqual(['Client One'])
    expect((await json('/entries?type=item&id=9')).body.total).toBe(1)
    const oldest = await json('/entries?order=asc')
    expect(oldest.body.entries[0]).toMatchObject({ actor: 'Rare Rita' })
    const newest = await json('/entries')
    expect(newest.body.entries[0]!.id).toBe((await log.list({ limit: 1 })).entries[0]!.id)
    expect((await json('/entries?archived=1')).body.total).toBe(newest.body.total)
  })

  it('serves each page with its own CSP nonce and no unsafe-inline', async () => {
    const one = await fetch(`${base}/`, as('root'))
    const two = await fetch(`${base}/`, as('root'))
    const csp = one.headers.get('content-security-policy')!
    expect(csp).not.toContain('unsafe-inline')
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!
    expect(nonce.length).toBeGreaterThanOrEqual(16)
    expect(two.headers.get('content-security-policy')).not.toContain(nonce)
    const html = await one.text()
    expect(html).toContain(`<script nonce="${nonce}">`)
    expect(html).toContain(`<style nonce="${nonce}">`)
    expect(html).toContain('<html lang="en">')
  })

  it('takes its labels from an overridable message table, lang included', async () => {
    const root = base.replace(/\/log$/, '')
    const html = await (await fetch(`${root}/fr/`)).text()
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain('<title>Journal d’activité</title>')
    expect(html).toContain('>Effacer les filtres</button>')
    expect(html).toContain('>Export CSV</a>')
    const res = await fetch(`${root}/fr/entries?from=2024-03-10&to=2024-03-01`)
    expect(await res.json()).toEqual({ error: 'La date de début est après la date de fin.', field: 'from' })
  })
})
