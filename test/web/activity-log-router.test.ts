import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuditConfigurationError, activityLogRouter, auditContextMiddleware, runWithAuditContext } from '@audit-trail/core'
import { listen, type RunningServer } from '../support/http-server.js'
import { useLogDatabase } from '../support/log-database.js'

const { log } = useLogDatabase()
let server: RunningServer
let base: string

beforeAll(async () => {
  const jan = { id: 'staff-1', name: 'Jan <b>Manager</b>' }
  await runWithAuditContext({ actor: jan, ipAddress: '192.168.1.100', locationId: 'paris' }, async () => {
    await log.record({ action: 'login' })
    await log.record({
      action: 'updated',
      resourceType: 'item',
      resourceId: 7,
      resourceName: '<script>alert(1)</script>',
      changes: { price: { old: 12.5, new: 13.5 }, note: { old: 'a', new: '<img src=x onerror=alert(2)>' } },
    })
  })
  await log.record({ action: 'created', resourceType: 'coupon', resourceId: 1, resourceName: 'WELCOME10' })

  const app = express()
  app.use(auditContextMiddleware({ actor: (req) => (req.headers['x-user'] ? { id: String(req.headers['x-user']), name: 'Admin' } : null) }))
  app.use('/admin/activity-log', activityLogRouter(log, { authorize: (req) => req.headers['x-user'] === 'admin', pageSize: 2 }))
  server = await listen(app)
  base = `${server.origin}/admin/activity-log`
})
afterAll(async () => {
  await server?.close()
})

const asAdmin = { headers: { 'x-user': 'admin' } }

describe('activityLogRouter', () => {
  it('refuses to mount without authorize', () => {
    expect(() => activityLogRouter(log, {} as never)).toThrow(AuditConfigurationError)
    expect(() => activityLogRouter(log, undefined as never)).toThrow(/needs an authorize\(req\) function/)
  })

  it('answers 403 with no data when authorize says no, on every endpoint', async () => {
    for (const path of ['/', '/entries', '/actors', '/export.csv']) {
      const res = await fetch(`${base}${path}`, { headers: { 'x-user': 'intruder' } })
      expect(res.status, path).toBe(403)
      expect(await res.text(), path).toBe('Forbidden')
    }
  })

  it('serves the page with a strict content security policy and no data in it', async () => {
    const redirect = await fetch(base, { ...asAdmin, redirect: 'manual' })
    expect(redirect.status).toBe(301)
    expect(redirect.headers.get('location')).toBe('/admin/activity-log/')
    const res = await fetch(`${base}/`, asAdmin)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
    const html = await res.text()
    expect(html).toContain('<title>Activity log</title>')
    expect(html).not.toContain('Margherita')
    expect(html).not.toMatch(/https?:\/\//)
  })

  it('pages through entries newest first with formatted fields, as plain text', async () => {
    const first = (await (await fetch(`${base}/entries`, asAdmin)).json()) as {
      entries: Array<{ action: string; actor: string; resource: string; fields: unknown[] }>
      nextCursor: string
      total: number
    }
    expect(first.total).toBe(3)
    expect(first.entries.map((e) => e.action)).toEqual(['created', 'updated'])
    expect(first.entries[1]).toMatchObject({
      actor: 'Jan <b>Manager</b>',
      resource: '<script>alert(1)</script>',
      fields: [
        { name: 'note', old: 'a', new: '<img src=x onerror=alert(2)>' },
        { name: 'price', old: '12.5', new: '13.5' },
      ],
    })
    const second = (await (await fetch(`${base}/entries?cursor=${first.nextCursor}`, asAdmin)).json()) as {
      entries: Array<{ action: string }>
      nextCursor: string | null
    }
    expect(second.entries.map((e) => e.action)).toEqual(['login'])
    expect(second.nextCursor).toBeNull()
  })

  it('names the impersonating staff member next to the actor', async () => {
    const url = new URL(`${base}/entries`)
    await runWithAuditContext({ actor: { id: 'client-1', name: 'Client' }, impersonator: { id: 's-9', name: 'Sam Support' } }, () =>
      log.record({ action: 'pdf_downloaded', resourceType: 'invoice', resourceId: 5 }),
    )
    url.searchParams.set('action', 'pdf_downloaded')
    const body = (await (await fetch(url, asAdmin)).json()) as { entries: Array<{ actor: string; impersonator: string | null }> }
    expect(body.entries.map((e) => [e.actor, e.impersonator])).toEqual([['Client', 'Sam Support']])
  })

  it('filters by actor (System included), action, type, location and dates', async () => {
    const get = async (query: string) =>
      ((await (await fetch(`${base}/entries?${query}`, asAdmin)).json()) as { total: number }).total
    expect(await get('actor=system')).toBe(1)
    expect(await get('actor=staff-1')).toBe(2)
    expect(await get('actor=client-1')).toBe(1)
    expect(await get('action=login')).toBe(1)
    expect(await get('type=item&location=paris')).toBe(1)
    expect(await get(`from=${encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString())}`)).toBe(0)
  })

  it('rejects bad filters with 400 and the reason', async () => {
    const res = await fetch(`${base}/entries?from=not-a-date`, asAdmin)
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ error: 'The start date is not a valid date.', field: 'from' })
  })

  it('exports the filtered view as CSV and records the export with the admin as actor', async () => {
    const res = await fetch(`${base}/export.csv?actor=staff-1`, asAdmin)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="activity-log-[\d-]+\.csv"$/)
    const csv = await res.text()
    const lines = csv.trim().split(/\r?\n/)
    expect(lines[0]).toMatch(/^id,created_at,/)
    expect(lines).toHaveLength(3)
    const { entries } = await log.list({ action: 'exported' })
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({ actor: { id: 'admin', name: 'Admin' }, resourceType: 'activity_log', metadata: { filter: { actorId: 'staff-1' } } })
  })

  it('offers the actors, actions, types and locations seen in the log', async () => {
    const choices = await (await fetch(`${base}/actors`, asAdmin)).json()
    expect(choices).toMatchObject({
      actors: [{ id: 'admin', name: 'Admin' }, { id: 'client-1', name: 'Client' }, { id: 'staff-1', name: 'Jan <b>Manager</b>' }],
      resourceTypes: ['activity_log', 'coupon', 'invoice', 'item'],
      locations: ['paris'],
    })
  })
})
