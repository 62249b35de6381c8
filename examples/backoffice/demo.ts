// `npm run demo`: a small restaurant backoffice on Prisma with @audit-trail/prisma. With no
// DATABASE_URL it runs on embedded PostgreSQL (PGlite); with DATABASE_URL, in a fresh database
// `audit_trail_demo` on that server (recreated on every run). Staff members and a scheduled job
// log in, change prices, disable an item, add one, change settings and delete a coupon, support
// staff impersonate a manager; the activity log is printed as `audit-trail tail` shows it, then
// the activity log page is served on a free port. `npm run demo -- --once` prints and exits.
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { PrismaPg } from '@prisma/adapter-pg'
import express from 'express'
import pg from 'pg'
import {
  activityLogRouter,
  applyMigrations,
  auditContextMiddleware,
  createAuditLog,
  formatTail,
  runWithAuditContext,
  type AuditContext,
} from '@audit-trail/core'
import { auditTrail, auditTrailComments, auditTrailReady, enablePrismaCapture } from '@audit-trail/prisma'
import { startEmbeddedPostgres } from '../../scripts/embedded-postgres.js'
import { freshDatabase } from '../shared/fresh-database.ts'
import { Prisma, PrismaClient } from './generated/client.ts'

const { values: flags } = parseArgs({ options: { once: { type: 'boolean', default: false } } })
const DEMO_DATABASE = 'audit_trail_demo'

const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres()
const url = embedded ? embedded.url : await freshDatabase(process.env.DATABASE_URL!, DEMO_DATABASE)
console.log(embedded ? 'Embedded PostgreSQL (PGlite) started.' : `Using a fresh database: ${redact(url)}`)

await applyMigrations(url)
const setup = new pg.Client({ connectionString: url })
await setup.connect()
await setup.query(readFileSync(new URL('./schema.sql', import.meta.url), 'utf8'))
await setup.end()

const options = {
  models: {
    MenuItem: { resourceType: 'menu_item', name: 'name', toggle: 'available' },
    Coupon: { resourceType: 'coupon', name: 'code' },
    Setting: { resourceType: 'setting', name: 'key' },
  },
}
// Deploy step, as the role that owns the log (here the same superuser as the app).
const owner = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 1 }) })
await enablePrismaCapture(owner, options)
await owner.$disconnect()
// The app's client: the comments plugin carries the request context on every statement, the
// extension checks the setup at boot and guards requireContext.
const base = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 4 }), comments: [auditTrailComments()] })
const prisma = base.$extends(auditTrail(options))
await auditTrailReady(prisma)
const log = createAuditLog({ connectionString: url, max: 4 })

const jan = { id: 'staff-1', name: 'Jan Manager', email: 'jan@la-piazza.example' }
const eva = { id: 'staff-2', name: 'Eva Chef', email: 'eva@la-piazza.example' }
const support = { id: 'support-9', name: 'Sam Support', email: 'sam@audit-trail.example' }
const request = (actor: AuditContext['actor'], ip: string, extra: Partial<AuditContext> = {}): AuditContext => ({
  actor,
  ipAddress: ip,
  userAgent: 'Mozilla/5.0 (demo)',
  locationId: 'paris-11',
  requestId: `req-${Math.random().toString(36).slice(2, 10)}`,
  ...extra,
})

// The scheduled job that imports the menu at opening time runs without a user: "System".
await runWithAuditContext({ locationId: 'paris-11', requestId: 'job-menu-import' }, async () => {
  await prisma.menuItem.createMany({
    data: [
      { name: 'Margherita Pizza', category: 'pizza', price: new Prisma.Decimal('12.50') },
      { name: 'Summer Special Salad', category: 'salad', price: new Prisma.Decimal('9.90') },
      { name: 'Tiramisu', category: 'dessert', price: new Prisma.Decimal('6.00') },
    ],
  })
  await prisma.coupon.create({ data: { code: 'WELCOME10', percent: 10 } })
  await prisma.setting.create({ data: { key: 'opening_hours', value: { mon_fri: '11:30-22:00', sat: '12:00-23:00' } } })
})

// A failed login is recorded on its own, even though the request that saw it fails.
await runWithAuditContext(request(null, '203.0.113.7'), () =>
  log.record({ action: 'login_failed', description: 'Wrong password for eva@la-piazza.example' }),
)
await runWithAuditContext(request(jan, '192.168.1.100'), async () => {
  await log.record({ action: 'login' })
  await prisma.menuItem.update({ where: { id: 1 }, data: { price: new Prisma.Decimal('13.50') } })
  await prisma.menuItem.update({ where: { id: 2 }, data: { available: false } })
  await prisma.coupon.delete({ where: { code: 'WELCOME10' } })
})
await runWithAuditContext(request(eva, '192.168.1.101'), async () => {
  await log.record({ action: 'login' })
  await prisma.menuItem.create({ data: { name: 'Truffle Risotto', category: 'main', price: new Prisma.Decimal('18.00') } })
  await prisma.$transaction(async (tx) => {
    await tx.menuItem.update({ where: { id: 3 }, data: { name: 'Tiramisu della Casa', price: new Prisma.Decimal('6.50') } })
  })
  await log.record({ action: 'logout' })
})
// Support staff acting as Jan (impersonation): every entry names both.
await runWithAuditContext(request(jan, '10.20.0.5', { impersonator: support }), async () => {
  await prisma.setting.update({ where: { key: 'opening_hours' }, data: { value: { mon_fri: '11:30-23:00', sat: '12:00-23:00' } } })
})

const { entries } = await log.list({ limit: 100 })
process.stdout.write(`\n${formatTail({ entries, total: await log.count() })}`)

if (flags.once) {
  await shutdown()
} else {
  const app = express()
  // In a real app: your own login in front, and an authorize() that checks the user's role.
  app.use(auditContextMiddleware({ actor: () => ({ id: 'demo-admin', name: 'Demo Admin' }) }))
  app.use('/admin/activity-log', activityLogRouter(log, { authorize: () => true, title: 'La Piazza — activity log' }))
  app.get('/', (_req, res) => res.redirect('/admin/activity-log/'))
  const server = app.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo
    console.log(`\nActivity log page: http://127.0.0.1:${port}/admin/activity-log/  (Ctrl+C to stop)`)
  })
  const stop = () => server.close(() => void shutdown().then(() => process.exit(0)))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

async function shutdown(): Promise<void> {
  await base.$disconnect()
  await log.close()
  await embedded?.stop()
}

function redact(connectionString: string): string {
  const parsed = new URL(connectionString)
  if (parsed.password) parsed.password = '***'
  return parsed.toString()
}
