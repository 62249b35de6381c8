/// <reference lib="dom" />
// The page callbacks passed to page.evaluate / waitForFunction run in the browser.
import { mkdirSync } from 'node:fs'
import express from 'express'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { activityLogRouter, auditContextMiddleware, runWithAuditContext } from '@audit-trail/core'
import { filterChoices } from '../../packages/core/src/query/filter-choices.js'
import { launchChromium } from '../support/chromium.js'
import { listen, type RunningServer } from '../support/http-server.js'
import { useLogDatabase } from '../support/log-database.js'

// Issue 17: the page on phones, tablets and desktops, by keyboard, in light and dark.
const DOCS = new URL('../../docs/', import.meta.url)

const { db, log } = useLogDatabase()
let server: RunningServer
let browser: Browser
let url: string

beforeAll(async () => {
  const jan = { id: 'staff-1', name: 'Jan Manager' }
  const sam = { id: 'staff-9', name: 'Sam Support' }
  for (let i = 0; i < 12; i++) {
    await runWithAuditContext({ actor: jan, ipAddress: '192.168.1.100', locationId: i % 2 ? 'paris' : 'lyon' }, () =>
      log.record({
        action: 'updated',
        resourceType: 'menu_item',
        resourceId: i,
        resourceName: `A rather long dish name number ${i} with extras`,
        changes: { price: { old: `${i}.5`, new: `${i + 1}.5` }, available: { old: true, new: false } },
      }),
    )
  }
  await runWithAuditContext({ actor: jan, ipAddress: '192.168.1.100' }, () =>
    log.record({
      action: 'created',
      resourceType: 'menu_item',
      resourceId: 99,
      resourceName: 'Truffle Risotto',
      changes: { id: { new: 99 }, name: { new: 'Truffle Risotto' }, price: { new: '12.50' }, category: { new: 'mains' }, available: { new: true }, password: { new: null } },
    }),
  )
  await runWithAuditContext({ actor: { id: 'client-3', name: 'Client Three' }, impersonator: sam }, () =>
    log.record({ action: 'pdf_downloaded', resourceType: 'invoice', resourceId: 5 }),
  )
  await runWithAuditContext({ ipAddress: '203.0.113.7' }, () => log.record({ action: 'login_failed', description: 'wrong password for ann@example.com' }))

  const source = { ...log, choices: (scope: { tenantId?: string; logName?: string }) => filterChoices(db.pool, scope) }
  const app = express()
  app.use(auditContextMiddleware({ actor: () => ({ id: 'admin', name: 'Admin' }) }))
  app.use(
    '/admin/activity-log',
    activityLogRouter(source, {
      authorize: () => true,
      summaryFields: { menu_item: ['name', 'price'] },
      formats: { menu_item: { price: { currency: 'EUR' }, available: { booleans: ['Yes', 'No'] } } },
    }),
  )
  server = await listen(app)
  url = `${server.origin}/admin/activity-log/`
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function open(width: number, options: { colorScheme?: 'light' | 'dark'; path?: string } = {}): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 }, colorScheme: options.colorScheme ?? 'light', locale: 'fr-FR', timezoneId: 'Europe/Paris' })
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  await page.goto(url + (options.path ?? ''))
  await page.waitForSelector('article.entry')
  // Wait for the filter lists too, so the Tab order is final.
  await page.waitForFunction(() => document.querySelectorAll('#f-action option').length > 1)
  ;(page as unknown as { errors: string[] }).errors = errors
  return page
}

const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)

/**
 * From the top of the page, presses Tab until `count` controls got focus and returns them (id,
 * else accessible name). A date input takes several presses (day, month, year): counted once.
 */
async function tabOrder(page: Page, count: number): Promise<string[]> {
  // A click on the heading puts the keyboard's starting point at the top, before any control.
  await page.locator('h1').click()
  const seen: string[] = []
  for (let i = 0; i < count * 4 && seen.length < count; i++) {
    await page.keyboard.press('Tab')
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement
      return el.id || el.getAttribute('aria-label') || el.textContent || el.tagName
    })
    if (seen[seen.length - 1] !== focused) seen.push(focused)
  }
  return seen
}

const FILTER_CONTROLS = ['f-actor', 'f-impersonator', 'f-action', 'f-type', 'f-id', 'f-field', 'f-location', 'f-from', 'f-to', 'f-tz', 'f-search', 'f-order', 'f-archived', 'clear', 'export']

describe('activity log page at every width', () => {
  for (const width of [390, 768, 1366]) {
    it(`fits ${width} px with no horizontal scroll, every control reachable by keyboard`, async () => {
      const page = await open(width)
      expect(await overflow(page)).toBeLessThanOrEqual(0)
      const detailsBox = await page.locator('article.entry button.toggle').first().boundingBox()
      expect(detailsBox!.x + detailsBox!.width).toBeLessThanOrEqual(width)
      const resourceBox = await page.locator('article.entry .resource').first().boundingBox()
      expect(resourceBox!.width).toBeGreaterThan(120)
      const narrow = width < 760
      expect(await page.locator('#filters-toggle').isVisible()).toBe(narrow)
      if (narrow) {
        // The filter bar is folded away: the list starts near the top of the screen.
        expect(await page.locator('#f-actor').isVisible()).toBe(false)
        expect((await page.locator('article.entry').first().boundingBox())!.y).toBeLessThan(200)
        expect(await tabOrder(page, 1)).toEqual(['filters-toggle'])
        await page.keyboard.press('Enter')
        expect(await page.locator('#filters-toggle').getAttribute('aria-expanded')).toBe('true')
        expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-actor')
        expect(await overflow(page)).toBeLessThanOrEqual(0)
      }
      const order = await tabOrder(page, FILTER_CONTROLS.length + 3 + (narrow ? 1 : 0))
      expect(order.slice(0, order.length - 3)).toEqual([...(narrow ? ['filters-toggle'] : []), ...FILTER_CONTROLS])
      // Past the filters come each entry's own controls, with names that tell them apart.
      expect(order.slice(-3)).toEqual([expect.stringMatching(/^Details of Login failed/), expect.stringMatching(/^Link to Login failed/), expect.stringMatching(/^Details of Downloaded|^Details of Pdf downloaded/)])
      const names = await page.locator('article.entry button.toggle').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label')))
      expect(new Set(names).size).toBe(names.length)
      expect(names[0]).toMatch(/^Details of Login failed/)

      // Operable: a filter changed by keyboard, Details opened with Space, filters cleared with Enter.
      await page.focus('#f-action')
      await page.keyboard.press('ArrowDown')
      await page.waitForFunction(() => new URL(location.href).searchParams.has('action'))
      await page.waitForFunction(() => /^Showing \d+ of \d+/.test(document.querySelector('#summary')?.textContent ?? ''))
      await page.focus('article.entry button.toggle')
      await page.keyboard.press('Space')
      expect(await page.locator('article.entry button.toggle').first().getAttribute('aria-expanded')).toBe('true')
      expect(await page.locator('article.entry dl.details').first().isVisible()).toBe(true)
      expect(await overflow(page)).toBeLessThanOrEqual(0)
      await page.focus('#clear')
      await page.keyboard.press('Enter')
      await page.waitForFunction(() => location.search === '')
      await page.waitForFunction(() => document.querySelector('#summary')?.textContent === 'Showing 15 of 15 entries')

      mkdirSync(DOCS, { recursive: true })
      await page.locator('article.entry', { hasText: 'Truffle Risotto' }).locator('button.toggle').click()
      const png = await page.screenshot({ path: new URL(`activity-log-${width}.png`, DOCS).pathname, fullPage: false })
      expect(png.subarray(1, 4).toString()).toBe('PNG')
      expect((page as unknown as { errors: string[] }).errors).toEqual([])
      await page.close()
    })
  }

  it('follows prefers-color-scheme: dark', async () => {
    const page = await open(1366, { colorScheme: 'dark' })
    const colors = await page.evaluate(() => ({
      body: getComputedStyle(document.body).backgroundColor,
      card: getComputedStyle(document.querySelector('article.entry')!).backgroundColor,
      scheme: getComputedStyle(document.documentElement).colorScheme,
    }))
    expect(colors.body).toBe('rgb(20, 23, 31)')
    expect(colors.card).toBe('rgb(29, 33, 43)')
    expect(colors.scheme).toBe('light dark')
    await page.screenshot({ path: new URL('activity-log-dark.png', DOCS).pathname })
    const phone = await open(390, { colorScheme: 'dark' })
    await phone.screenshot({ path: new URL('activity-log-390-dark.png', DOCS).pathname })
    await Promise.all([page.close(), phone.close()])
  })
})

describe('reading the log', () => {
  it('shows created rows with the name and summary fields first, formatted, nulls hidden', async () => {
    const page = await open(1366)
    const risotto = page.locator('article.entry', { hasText: 'Truffle Risotto' })
    expect(await risotto.locator('ul.fields li:visible').allTextContents()).toEqual(['name: Truffle Risotto', 'price: €12.50', '+3 more'])
    await risotto.locator('button.toggle').click()
    expect(await risotto.locator('ul.fields li:visible').allTextContents()).toEqual([
      'name: Truffle Risotto',
      'price: €12.50',
      'category: mains',
      'available: Yes',
      'id: 99',
    ])
    const failed = page.locator('article.entry', { hasText: 'Login failed' })
    expect(await failed.locator('.notes').textContent()).toBe('IP 203.0.113.7 · wrong password for ann@example.com')
    expect(await page.locator('#zone-note').textContent()).toBe('Times in UTC')
    expect(await page.locator('article.entry time').first().getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    expect(await page.locator('html').getAttribute('lang')).toBe('en')
    // Day headings follow the page's language, not the browser's (fr-FR here).
    expect(await page.locator('h2.day').first().textContent()).toMatch(/^[A-Z][a-z]{2}, [A-Z][a-z]{2} \d{1,2}, \d{4}$/)
    await page.close()
  })

  it('explains a bad date range next to the filters and clears the old results', async () => {
    const page = await open(1366)
    await page.fill('#f-from', '2026-03-10')
    await page.fill('#f-to', '2026-03-01')
    await page.locator('#f-to').dispatchEvent('change')
    await page.waitForSelector('#filter-error:not([hidden])')
    expect(await page.locator('#filter-error').textContent()).toBe('The start date is after the end date.')
    expect(await page.locator('article.entry').count()).toBe(0)
    expect(await page.locator('#summary').textContent()).toBe('These results are out of date: fix the filters above.')
    expect(await page.locator('#f-from').getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('#export').getAttribute('aria-disabled')).toBe('true')
    expect(await page.locator('#export').getAttribute('href')).toBeNull()
    // The message is inside the filter bar, above the list, in view.
    const errorBox = (await page.locator('#filter-error').boundingBox())!
    expect(errorBox.y + errorBox.height).toBeLessThan(900)
    expect(await page.evaluate(() => document.getElementById('filters')!.contains(document.getElementById('filter-error')))).toBe(true)
    await page.fill('#f-to', '')
    await page.locator('#f-to').dispatchEvent('change')
    await page.waitForSelector('#filter-error', { state: 'hidden' })
    expect(await page.locator('article.entry').count()).toBeGreaterThan(0)
    await page.close()
  })

  it('keeps every filter in the URL: reload, Back and a shared link show the same view', async () => {
    const page = await open(1366)
    await page.selectOption('#f-impersonator', 'staff-9')
    await page.waitForFunction(() => document.querySelector('#summary')?.textContent === 'Showing 1 of 1 entry')
    await page.selectOption('#f-order', 'asc')
    await page.fill('#f-field', 'price')
    await page.waitForFunction(() => new URL(location.href).searchParams.get('field') === 'price')
    await page.waitForFunction(() => document.querySelector('#summary')?.textContent === 'Showing 0 of 0 entries')
    expect(new URL(page.url()).search).toBe('?impersonator=staff-9&field=price&order=asc')
    await page.reload()
    await page.waitForFunction(() => document.querySelector('#summary')?.textContent === 'Showing 0 of 0 entries')
    expect(await page.inputValue('#f-field')).toBe('price')
    expect(await page.inputValue('#f-order')).toBe('asc')
    await page.goBack()
    await page.waitForFunction(() => document.querySelector('#summary')?.textContent === 'Showing 1 of 1 entry')
    expect(await page.inputValue('#f-field')).toBe('')
    expect(await page.inputValue('#f-impersonator')).toBe('staff-9')
    const shared = await open(390, { path: '?actor=staff-1&type=menu_item&id=3' })
    await shared.waitForFunction(() => document.querySelector('#summary')?.textContent === 'Showing 1 of 1 entry')
    expect(await shared.inputValue('#f-id')).toBe('3')
    await Promise.all([page.close(), shared.close()])
  })

  it('links each entry on its own (?entry=id)', async () => {
    const page = await open(1366)
    const link = page.locator('article.entry', { hasText: 'Truffle Risotto' }).locator('a.permalink')
    expect(await link.getAttribute('aria-label')).toMatch(/^Link to Created Truffle Risotto/)
    await link.click()
    await page.waitForFunction(() => document.querySelectorAll('article.entry').length === 1)
    expect(new URL(page.url()).searchParams.get('entry')).toMatch(/^\d+$/)
    expect(await page.locator('article.entry .resource').textContent()).toBe('Truffle Risotto')
    expect(await page.locator('#single').isVisible()).toBe(true)
    await page.close()
  })
})
