/// <reference lib="dom" />
// The page callbacks passed to page.evaluate / waitForFunction run in the browser.
import { mkdirSync, readFileSync } from 'node:fs'
import express from 'express'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { activityLogRouter, auditContextMiddleware, runWithAuditContext } from '@audit-trail/core'
import { launchChromium, recordDialogs } from '../support/chromium.js'
import { listen, type RunningServer } from '../support/http-server.js'
import { useLogDatabase } from '../support/log-database.js'

// The page in real Chromium (Debian's /usr/bin/chromium; .ci/run installs it).
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url)

const { db, log } = useLogDatabase()
let server: RunningServer
let browser: Browser
let page: Page
let url: string
let dialogs: string[]

beforeAll(async () => {
  const jan = { id: 'staff-1', name: 'Jan Manager' }
  const eva = { id: 'staff-2', name: 'Eva <script>alert("x")</script>' }
  for (let i = 0; i < 120; i++) {
    await runWithAuditContext({ actor: i % 2 ? jan : eva, ipAddress: '192.168.1.100', locationId: i % 3 ? 'paris' : 'lyon' }, () =>
      log.record({
        action: i % 10 === 0 ? 'disabled' : 'updated',
        resourceType: 'item',
        resourceId: i,
        resourceName: `Pizza ${i}`,
        changes: { price: { old: `${i}.00`, new: `${i}.50` }, name: { old: `P${i}`, new: `Pizza ${i}` }, note: { old: null, new: 'x' }, size: { old: 'S', new: 'L' } },
      }),
    )
  }
  await log.record({ action: 'login_failed', description: '<img src=x onerror=alert(1)>' })

  const app = express()
  app.use(auditContextMiddleware({ actor: () => ({ id: 'admin', name: 'Admin' }) }))
  app.use('/admin/activity-log', activityLogRouter(log, { authorize: () => true }))
  app.use('/fr/journal', activityLogRouter(log, { authorize: () => true, messages: { lang: 'fr', names: { login_failed: 'Échec de connexion' } } }))
  server = await listen(app)
  url = `${server.origin}/admin/activity-log/`
  browser = await launchChromium()
  page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1280, height: 900 } })
  dialogs = recordDialogs(page)
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const summary = () => page.locator('#summary').textContent()

describe('activity log page in Chromium', () => {
  it('shows the newest 100 entries grouped by day, and loads more', async () => {
    await page.goto(url)
    await page.waitForSelector('article.entry')
    expect(await page.locator('article.entry').count()).toBe(100)
    expect(await summary()).toBe('Showing 100 of 121 entries')
    expect(await page.locator('h2.day').count()).toBe(1)
    const first = page.locator('article.entry').first()
    expect(await first.locator('.action').textContent()).toBe('Login failed')
    await page.click('#load-more')
    await page.waitForFunction(() => document.querySelectorAll('article.entry').length === 121)
    expect(await page.locator('#load-more').isHidden()).toBe(true)
  })

  it('renders names and values as text, never as HTML', async () => {
    const eva = page.locator('article.entry .actor', { hasText: 'Eva' }).first()
    expect(await eva.textContent()).toBe('Eva <script>alert("x")</script>')
    expect(await page.locator('article.entry script').count()).toBe(0)
    expect(dialogs).toEqual([])
  })

  it('filters by actor and by date without reloading the page', async () => {
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42))
    await page.selectOption('#f-actor', 'staff-1')
    await page.waitForFunction(() => document.querySelector('#summary')?.textContent === 'Showing 60 of 60 entries')
    const actors = await page.locator('article.entry .actor').allTextContents()
    expect(new Set(actors)).toEqual(new Set(['Jan Manager']))
    await page.selectOption('#f-actor', 'system')
    await page.waitForFunction(() => document.querySelector('#summary')?.textContent === 'Showing 1 of 1 entry')
    expect(await page.locator('article.entry .actor').allTextContents()).toEqual(['System'])
    await page.selectOption('#f-actor', '')
    await page.fill('#f-from', '2001-01-01')
    await page.fill('#f-to', '2001-01-31')
    await page.locator('#f-to').dispatchEvent('change')
    await page.waitForFunction(() => document.querySelector('#summary')?.textContent === 'Showing 0 of 0 entries')
    expect(await page.locator('.empty').textContent()).toBe('No entries match these filters.')
    const today = new Date().toISOString().slice(0, 10)
    await page.fill('#f-from', today)
    await page.fill('#f-to', today)
    await page.locator('#f-to').dispatchEvent('change')
    await page.waitForFunction(() => document.querySelector('#summary')?.textContent === 'Showing 100 of 121 entries')
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42)
  })

  it('expands an entry to show every field and the full details', async () => {
    const entry = page.locator('article.entry', { hasText: 'Pizza 119' }).first()
    // Updates show every changed field from the start (issue 17: only created/deleted rows fold).
    const fields = ['name: P119 → Pizza 119', 'note: null → x', 'price: 119.00 → 119.50', 'size: S → L']
    expect(await entry.locator('ul.fields li:visible').allTextContents()).toEqual(fields)
    expect(await entry.locator('dl.details').isVisible()).toBe(false)
    await entry.locator('button.toggle').click()
    expect(await entry.locator('ul.fields li:visible').allTextContents()).toEqual(fields)
    expect(await entry.locator('dl.details').isVisible()).toBe(true)
    expect(await entry.locator('dl.details dd').allTextContents()).toContain('192.168.1.100')
  })

  it('exports the filtered view as CSV, recorded in the log', async () => {
    await page.selectOption('#f-actor', 'staff-2')
    await page.waitForFunction(() => document.querySelector('#summary')?.textContent === 'Showing 60 of 60 entries')
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')])
    const path = await download.path()
    const csv = readFileSync(path!, 'utf8').trim().split(/\r?\n/)
    expect(csv[0]).toMatch(/^id,created_at,log_name,actor_type,actor_id,actor_name/)
    expect(csv).toHaveLength(61)
    expect(csv.slice(1).every((line) => line.includes(',staff-2,'))).toBe(true)
    const exported = await log.list({ action: 'exported' })
    expect(exported.entries).toHaveLength(1)
    expect(exported.entries[0]!.actor.id).toBe('admin')
  })

  it('saves a screenshot as a test artifact', async () => {
    await page.selectOption('#f-actor', '')
    await page.waitForFunction(() => document.querySelectorAll('article.entry').length >= 100)
    await page.locator('article.entry button.toggle').nth(1).click()
    mkdirSync(ARTIFACTS, { recursive: true })
    const file = new URL('activity-log-page.png', ARTIFACTS)
    const png = await page.screenshot({ path: file.pathname, fullPage: false })
    expect(png.subarray(1, 4).toString()).toBe('PNG')
  })

  // Regression: the counts code of the filter lists referred to a variable the page script does
  // not have, and threw as soon as the log had statistics (after ANALYZE).
  it('names actions through the messages table, and shows approximate counts once the log has statistics', async () => {
    await db.query('ANALYZE audit_trail.activity_log')
    await page.goto(url.replace('/admin/activity-log/', '/fr/journal/'))
    await page.waitForFunction(() => document.querySelectorAll('article.entry').length > 0)
    expect(await page.locator('html').getAttribute('lang')).toBe('fr')
    expect(await page.locator('article.entry .action.login_failed').first().textContent()).toBe('Échec de connexion')
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#f-action option')).some((o) => (o.textContent ?? '').startsWith('Échec de connexion')))
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#f-actor option')).some((o) => (o.textContent ?? '').includes('(≈')))
  })
})
