import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidArgumentError, createAuditLog, runWithAuditContext, type AuditContext, type AuditLog } from '@audit-trail/core'
import { useOrmDatabase } from '../support/orm-database.js'
import { ORM_DRIVERS } from '../support/orm-drivers.js'

// Bad request context through every ORM plugin (the context carried to the capture trigger in
// the statement's tag), and through log.record(). The project's
// choice: an invalid IP is stored as null with an AUDIT_TRAIL_INVALID_IP warning on data writes
// (a malformed proxy header must never lose a change), and is a clear InvalidArgumentError for
// record(); context text is cut at 1,024 characters; anything else is stored exactly as given.
const INVALID_IPS = ['not-an-ip', '999.1.1.1', `1.2.3.4'; DROP TABLE clients; --`, '::ffff:zz', '1.2.3.4\r\n5.6.7.8']
const NAME = 'Eva\r\nAdmin <script>alert(1)</script> "quoted" & \'single\''

// Process warnings of the whole file: they are rate-limited per process (10), so the drivers
// after the first may see none; checked once, after every driver ran.
const warnings: string[] = []

describe.each(ORM_DRIVERS)('bad context: $name', (driver) => {
  const { db, orm } = useOrmDatabase(driver, { poolSize: 2 })
  let log: AuditLog
  beforeAll(() => {
    log = createAuditLog({ pool: db.pool })
  })
  afterAll(async () => {
    await log?.close()
  })

  async function write(ctx: AuditContext, name: string) {
    const id = await runWithAuditContext(ctx, () => orm.session.createClient({ name }))
    const rows = await db.query<Record<string, unknown>>(
      `SELECT actor_id, actor_name, actor_email, impersonator_name, host(ip_address) AS ip, user_agent, location_id, source FROM audit_trail.activity_log WHERE resource_id = $1 AND resource_type = 'client'`,
      [String(id)],
    )
    expect(await db.query(`SELECT name FROM clients WHERE id = $1`, [id])).toEqual([{ name }])
    expect(rows).toHaveLength(1)
    // The capture trigger wrote it, with the app's context from the statement's tag.
    expect(rows[0]!.source).toBe('orm')
    return rows[0]!
  }

  it('invalid IP strings: the write is kept and ip_address is null', async () => {
    const onWarning = (warning: Error & { code?: string }) => warnings.push(String(warning.code))
    process.on('warning', onWarning)
    try {
      for (const [i, ip] of INVALID_IPS.entries()) {
        const entry = await write({ actor: { id: 'u1' }, ipAddress: ip }, `ip ${i}`)
        expect(entry).toMatchObject({ actor_id: 'u1', ip: null })
      }
      await new Promise((resolve) => setImmediate(resolve)) // process warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning)
    }
  })

  it('a valid IPv6 address is kept', async () => {
    expect(await write({ actor: { id: 'u1' }, ipAddress: '2001:db8::1' }, 'ipv6')).toMatchObject({ ip: '2001:db8::1' })
  })

  it('a 100 KB user agent is cut to 1,024 characters; the write is kept', async () => {
    const agent = 'Mozilla/5.0 '.repeat(9000).slice(0, 100 * 1024)
    expect(await write({ actor: { id: 'u1' }, userAgent: agent }, 'ua')).toMatchObject({ user_agent: agent.slice(0, 1024) })
  })

  it('CR/LF, quotes and HTML in names are stored exactly as given', async () => {
    const entry = await write({ actor: { id: 'u1', name: NAME, email: `${NAME}@x` }, impersonator: { id: 's1', name: NAME }, locationId: NAME }, NAME)
    expect(entry).toMatchObject({ actor_name: NAME, actor_email: `${NAME}@x`, impersonator_name: NAME, location_id: NAME })
    const [named] = await db.query(`SELECT resource_name FROM audit_trail.activity_log WHERE resource_name = $1`, [NAME])
    expect(named).toEqual({ resource_name: NAME })
  })

  it('log.record() rejects an invalid IP with InvalidArgumentError and writes nothing', async () => {
    const before = await db.one(`SELECT count(*)::int AS n FROM audit_trail.activity_log`)
    for (const ip of INVALID_IPS) {
      await expect(runWithAuditContext({ actor: { id: 'u1' }, ipAddress: ip }, () => log.record({ action: 'login' }))).rejects.toBeInstanceOf(InvalidArgumentError)
    }
    expect(await db.one(`SELECT count(*)::int AS n FROM audit_trail.activity_log`)).toEqual(before)
  })
})

describe('invalid IP warnings', () => {
  it('are emitted as AUDIT_TRAIL_INVALID_IP process warnings, at most 10 per process', () => {
    const invalidIp = warnings.filter((code) => code === 'AUDIT_TRAIL_INVALID_IP').length
    expect(invalidIp).toBeGreaterThanOrEqual(1)
    expect(invalidIp).toBeLessThanOrEqual(10)
  })
})
