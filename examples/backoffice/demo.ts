// `npm run demo`: a small restaurant backoffice on Prisma with @audit-trail/prisma. With no
// DATABASE_URL it runs on embedded PostgreSQL (PGlite); with DATABASE_URL, on that server (its
// tables go to schema backoffice_demo, recreated on every run). Staff members and a scheduled
// job log in, change prices, disable an item, add one, change settings and delete a coupon;
// then the activity log is printed. `npm run demo -- --once` prints and exits.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { applyMigrations, runWithAuditContext, writeEntries, contextColumns, type AuditContext } from '@audit-trail/core'
import { auditTrail, enablePrismaCapture } from '@audit-trail/prisma'
import { startEmbeddedPostgres } from '../../scripts/embedded-postgres.js'
import { Prisma, PrismaClient } from './generated/client.ts'

const { values: flags } = parseArgs({ options: { once: { type: 'boolean', default: false } } })
const SCHEMA = 'backoffice_demo'
const TENANT = 'la-piazza'

const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres()
const url = process.env.DATABASE_URL ?? embedded!.url
console.log(embedded ? 'Embedded PostgreSQL (PGlite) started.' : `Using ${redact(url)}.`)

await applyMigrations(url)
const setup = new pg.Client({ connectionString: url })
await setup.connect()
await setup.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE; CREATE SCHEMA ${SCHEMA}; SET search_path TO ${SCHEMA};`)
await setup.query(readFileSync(new URL('./schema.sql', import.meta.url), 'utf8'))
await setup.end()

const options = {
  models: {
    MenuItem: { resourceType: 'menu_item', name: 'name', toggle: 'available' },
    Coupon: { resourceType: 'coupon', name: 'code' },
    Setting: { resourceType: 'setting', name: 'key' },
  },
}
// PrismaPg's `schema` qualifies Prisma's own queries; search_path makes raw SQL (like
// enable_capture's table names) resolve there too.
const base = new PrismaClient({
  adapter: new PrismaPg({ connectionString: url, max: 4, options: `-c search_path=${SCHEMA},public` }, { schema: SCHEMA }),
})
await enablePrismaCapture(base, options)
const prisma = base.$extends(auditTrail(options))
const pool = new pg.Pool({ connectionString: url, max: 2 })

const jan = { id: 'staff-1', name: 'Jan Manager', email: 'jan@la-piazza.example' }
const eva = { id: 'staff-2', name: 'Eva Chef', email: 'eva@la-piazza.example' }
const support = { id: 'support-9', name: 'Sam Support', email: 'sam@audit-trail.example' }
const request = (actor: AuditContext['actor'], ip: string, extra: Partial<AuditContext> = {}): AuditContext => ({
  actor,
  ipAddress: ip,
  userAgent: 'Mozilla/5.0 (demo)',
  locationId: 'paris-11',
  tenantId: TENANT,
  requestId: `req-${Math.random().toString(36).slice(2, 10)}`,
  ...extra,
})

/** A manual event (login, logout, ...), in its own statement so it survives a failed request. */
async function event(ctx: AuditContext, action: string, description?: string) {
  await writeEntries(pool, [
    {
      ...contextColumns(ctx),
      action,
      resource_type: null,
      resource_id: null,
      resource_name: null,
      changes: null,
      changed_fields: null,
      description: description ?? null,
      source: 'manual',
    },
  ])
}

// The scheduled job that seeds the menu at opening time runs without a user: actor "System".
await runWithAuditContext({ tenantId: TENANT, locationId: 'paris-11', requestId: 'job-menu-import' }, async () => {
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

await event(request(null, '203.0.113.7', { actor: { id: 'unknown', name: 'eva@la-piazza.example' } }), 'login_failed', 'Wrong password')
const janReq = request(jan, '192.168.1.100')
await event(janReq, 'login')
await runWithAuditContext(janReq, async () => {
  await prisma.menuItem.update({ where: { id: 1 }, data: { price: new Prisma.Decimal('13.50') } })
  await prisma.menuItem.update({ where: { id: 2 }, data: { available: false } })
  await prisma.coupon.delete({ where: { code: 'WELCOME10' } })
})
const evaReq = request(eva, '192.168.1.101')
await event(evaReq, 'login')
await runWithAuditContext(evaReq, async () => {
  await prisma.menuItem.create({ data: { name: 'Truffle Risotto', category: 'main', price: new Prisma.Decimal('18.00') } })
  await prisma.$transaction(async (tx) => {
    await tx.menuItem.update({ where: { id: 3 }, data: { name: 'Tiramisu della Casa', price: new Prisma.Decimal('6.50') } })
  })
})
await event(evaReq, 'logout')
// Support staff acting as Jan (impersonation): every entry names both.
await runWithAuditContext(request(jan, '10.20.0.5', { impersonator: support }), async () => {
  await prisma.setting.update({ where: { key: 'opening_hours' }, data: { value: { mon_fri: '11:30-23:00', sat: '12:00-23:00' } } })
})

await printLog()
await base.$disconnect()
await pool.end()
await embedded?.stop()
if (!flags.once) console.log('\n(The activity log page is not served yet; this run printed the log and exits.)')

async function printLog() {
  const { rows } = await pool.query(
    `SELECT created_at, actor_type, actor_name, impersonator_name, action, resource_name, changes, ip_address
     FROM audit_trail.activity_log WHERE tenant_id = $1 ORDER BY id DESC LIMIT 100`,
    [TENANT],
  )
  console.log(`\nActivity log of ${TENANT} (newest first)\n`)
  for (const row of rows) {
    const time = new Date(row.created_at).toISOString().slice(11, 16)
    const who = row.actor_type === 'user' ? row.actor_name : 'System'
    const as = row.impersonator_name ? ` (by ${row.impersonator_name})` : ''
    console.log(`${time}  ${(who + as).padEnd(28)} ${row.action.padEnd(13)} ${row.resource_name ?? ''}`)
    for (const [field, change] of Object.entries((row.changes ?? {}) as Record<string, { old: unknown; new: unknown }>)) {
      if (row.action === 'created') continue
      console.log(`       └─ ${field}: ${show(change.old)} → ${show(change.new)}`)
    }
    if (row.action.startsWith('login')) console.log(`       └─ IP: ${row.ip_address}`)
  }
}

function show(value: unknown): string {
  if (value && typeof value === 'object' && '$decimal' in value) return String((value as { $decimal: string }).$decimal)
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function redact(connectionString: string): string {
  const parsed = new URL(connectionString)
  if (parsed.password) parsed.password = '***'
  return parsed.toString()
}
