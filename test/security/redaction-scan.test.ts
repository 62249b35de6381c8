import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuditLog, runWithAuditContext } from '@audit-trail/core'
import type { AuditPluginOptions } from '@audit-trail/core/plugin'
import { createBusinessSchema } from '../support/business-schema.js'
import { ORM_DRIVERS } from '../support/orm-drivers.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

// S5: a write-heavy scenario through every ORM plugin (capture set up from its options) with redacted columns: the
// default ones (clients.password_hash) and per-model lists (clients.email_address, items.sku,
// settings.value). Then the whole log, the archive, and a CSV export of everything are
// scanned for every secret value written: none may appear, anywhere (changes, metadata, names).
const OPTIONS: AuditPluginOptions = {
  models: {
    Client: { resourceType: 'client', name: 'name', redact: ['email'] },
    Item: { resourceType: 'item', name: 'name', redact: ['sku'] },
    Setting: { resourceType: 'setting', name: 'key', redact: ['value'] },
  },
}
let db: TestDatabase
const secrets: string[] = []
let serial = 0
const secret = () => {
  const value = `S3CRET${++serial}x${Math.random().toString(36).slice(2, 8)}`
  secrets.push(value)
  return value
}
const secretNumber = () => {
  const value = String(7_700_000_000_000 + ++serial * 7919)
  secrets.push(value)
  return value
}

beforeAll(async () => {
  db = await createTestDatabase()
})
afterAll(async () => {
  await db?.drop()
})

const PATHS = ORM_DRIVERS

describe('S5 redaction scan', () => {
  it.each(PATHS)('writes through $name with redacted columns', async (driver) => {
    // A fresh schema per path, so each plugin's capture setup applies only to its own run.
    await db.query(`DROP TABLE IF EXISTS item_translations, items, clients, settings, coupons CASCADE`)
    await createBusinessSchema(db)
    const orm = await driver.open({ url: db.url, options: OPTIONS, poolSize: 2 })
    try {
      const s = orm.session
      await runWithAuditContext({ actor: { id: 'u1', name: 'Jan' }, metadata: { note: 'scan' } }, async () => {
        for (let round = 0; round < 3; round++) {
          const client = await s.createClient({ name: `c${round}`, email: secret(), passwordHash: secret() })
          await s.updateClient(client, { email: secret(), passwordHash: secret() })
          const item = await s.createItem({ clientId: client, name: `i${round}`, price: '1.00', available: true, sku: secretNumber() })
          await s.updateItem(item, { sku: secretNumber() })
          await s.createItems([{ clientId: client, name: `b${round}`, price: '2.00', available: true, sku: secretNumber() }])
          await s.setPriceOfClientItems(client, `3.0${round}`)
          await s.transaction(async (tx) => {
            const nested = await tx.createClientWithItems({ name: `n${round}`, email: secret(), passwordHash: secret() }, [
              { name: `ni${round}`, price: '4.00', available: true, sku: secretNumber() },
            ])
            await tx.updateClient(nested, { passwordHash: secret() })
          })
          await s.upsertSetting(`k${round}`, { apiKey: secret() })
          await s.upsertSetting(`k${round}`, { apiKey: secret() })
          await s.deleteClientItems(client)
          await s.deleteClient(client)
        }
      })
    } finally {
      await orm.close()
    }
  })

  // Bug (found by S5): log.record() stored the values of changes on password / api_key columns
  // as given; it now applies the default redaction, like every plugin.
  it('manual events: record() redacts the default secret columns too', async () => {
    const log = createAuditLog({ pool: db.pool })
    try {
      await log.record({ action: 'password_changed', resourceType: 'user', resourceId: 1, changes: { password: { old: secret(), new: secret() }, api_key: { old: null, new: secret() } } })
      const [entry] = await db.query<{ changes: unknown }>(`SELECT changes FROM audit_trail.activity_log WHERE action = 'password_changed'`)
      expect(entry!.changes).toEqual({ password: { old: '[REDACTED]', new: '[REDACTED]' }, api_key: { old: null, new: '[REDACTED]' } })
    } finally {
      await log.close()
    }
  })

  it('no secret appears anywhere in the log, the archive or a CSV export', async () => {
    const { n } = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail.activity_log`)
    expect(n).toBeGreaterThan(PATHS.length * 3 * 12)
    const { r } = await db.one<{ r: number }>(`SELECT count(*)::int AS r FROM audit_trail.activity_log WHERE changes::text LIKE '%[REDACTED]%'`)
    expect(r).toBeGreaterThan(PATHS.length * 3 * 8)
    await db.query(`SELECT audit_trail.archive_entries(0)`) // half the scan reads the archive
    await db.query(`INSERT INTO audit_trail.activity_log (log_name, actor_type, action, source) VALUES ('backoffice', 'system', 'login', 'manual')`)
    const rows = await db.query<{ t: string }>(
      `SELECT t::text AS t FROM audit_trail.activity_log t UNION ALL SELECT a::text FROM audit_trail.activity_log_archive a`,
    )
    const dump = rows.map((row) => row.t).join('\n')
    let csv = ''
    const log = createAuditLog({ pool: db.pool })
    try {
      await log.exportCsv({ includeArchived: true }, new Writable({ write: (chunk: Buffer, _e, done) => ((csv += chunk.toString()), done()) }))
    } finally {
      await log.close()
    }
    expect(csv.split('\r\n').length).toBe(rows.length + 2) // header, rows, final CRLF
    const leaked = secrets.filter((value) => dump.includes(value) || csv.includes(value))
    expect(leaked).toEqual([])
  })
})
