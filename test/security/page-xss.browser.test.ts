/// <reference lib="dom" />
import express from 'express'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { activityLogRouter, writeEntries } from '@audit-trail/core'
import { entryRow } from './entry-row.js'
import { launchChromium, recordDialogs } from '../support/chromium.js'
import { listen, type RunningServer } from '../support/http-server.js'
import { useLogDatabase } from '../support/log-database.js'

// S4: stored XSS payloads in every field the activity log page renders, in real Chromium.
const PAYLOADS = [
  `<img src=x onerror="window.__xss=(window.__xss||0)+1;alert('img')">`,
  `<script>window.__xss=(window.__xss||0)+1;alert('script')</script>`,
  `"><svg onload="window.__xss=(window.__xss||0)+1;alert('svg')">`,
  `'><iframe src="javascript:window.parent.__xss=1;alert('iframe')"></iframe>`,
  `javascript:alert('href')`,
  `</dd></dl><details open ontoggle="window.__xss=1;alert('toggle')">`,
  `{{constructor.constructor('window.__xss=1;alert(1)')()}}`,
]
const RENDERED = [
  'actor_id', 'actor_name', 'actor_email', 'impersonator_id', 'impersonator_name', 'resource_type', 'resource_id', 'resource_name',
  'description', 'user_agent', 'location_id', 'tenant_id', 'request_id', 'log_name',
] as const

const { db, log } = useLogDatabase()
let server: RunningServer
let browser: Browser
let page: Page
let base: string
let allow = true
let dialogs: string[]

beforeAll(async () => {
  await writeEntries(
    db.pool,
    PAYLOADS.map((p, i) =>
      entryRow({
      ...Object.fromEntries(RENDERED.map((c) => [c, p])),
      actor_type: 'user',
      action: i % 2 ? 'updated' : 'login',
      ip_address: '192.168.1.100',
      source: 'manual',
      changes: { [p]: { old: p, new: p }, name: { old: { $utf16: [60, 98, 62] }, new: p } },
      changed_fields: [p, 'name'],
      metadata: { [p]: p, nested: { html: p } },
    })),
  )
  const app = express()
  app.use('/log', activityLogRouter(log, { authorize: () => allow }))
  server = await listen(app)
  base = `${server.origin}/log/`
  browser = await launchChromium()
  page = await browser.newPage()
  dialogs = recordDialogs(page)
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('S4 stored XSS on the activity log page', () => {
  it('renders every payload as text in every field, expanded, with no script run, no dialog, no element injected', async () => {
    await page.goto(base)
    await page.waitForSelector('article.entry')
    expect(await page.locator('article.entry').count()).toBe(PAYLOADS.length)
    for (const toggle of await page.locator('article.entry button.toggle').all()) await toggle.click()
    // Filters and the search box take payloads too.
    await page.goto(`${base}?actor=${encodeURIComponent(PAYLOADS[0]!)}&type=${encodeURIComponent(PAYLOADS[1]!)}`)
    await page.waitForSelector('article.entry, .empty')
    await page.goto(base)
    await page.waitForSelector('article.entry')
    for (const toggle of await page.locator('article.entry button.toggle').all()) await toggle.click()
    await page.waitForTimeout(300) // let any injected handler fire
    expect(dialogs).toEqual([])
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined()
    const injected = await page.evaluate(
      () => document.querySelectorAll('article.entry img, article.entry script, article.entry svg, article.entry iframe, article.entry details, article.entry a[href^="javascript"]').length,
    )
    expect(injected).toBe(0)
    const text = await page.locator('main, body').first().textContent()
    for (const p of PAYLOADS) expect(text).toContain(p)
  })

  it('enforces authorize on every endpoint: 403, no data, no export recorded', async () => {
    allow = false
    try {
      const { n: before } = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail.activity_log`)
      for (const path of ['', 'entries', 'entries?actor=x', 'actors', 'export.csv', 'export.csv?type=item']) {
        for (const method of ['GET', 'HEAD']) {
          const response = await fetch(`${base}${path}`, { method, redirect: 'manual' })
          expect([path, method, response.status]).toEqual([path, method, 403])
          expect(await response.text()).toBe(method === 'GET' ? 'Forbidden' : '')
        }
      }
      const { n: after } = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail.activity_log`)
      expect(after).toBe(before)
    } finally {
      allow = true
    }
    const ok = await fetch(`${base}entries`)
    expect(ok.status).toBe(200)
  })
})
