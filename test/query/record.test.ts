import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, createAuditLog, runWithAuditContext, type AuditEvent } from '@audit-trail/core'
import { useLogDatabase } from '../support/log-database.js'

const { db, log } = useLogDatabase()

async function total(): Promise<number> {
  return Number((await db.one<{ n: string }>('SELECT count(*)::text AS n FROM audit_trail.activity_log')).n)
}

describe('record()', () => {
  it('writes a manual event with the current context', async () => {
    const entry = await runWithAuditContext(
      {
        actor: { id: 'u1', name: 'Jan Manager', email: 'jan@example.com' },
        impersonator: { id: 's1', name: 'Support' },
        ipAddress: '192.168.1.100',
        userAgent: 'Firefox',
        locationId: 'paris',
        tenantId: 't1',
        requestId: 'req-9',
        metadata: { feature: 'menu', shared: 'context' },
      },
      () => log.record({
        action: 'pdf_downloaded',
        resourceType: 'invoice',
        resourceId: 42,
        resourceName: 'Invoice 42',
        description: 'Downloaded the PDF',
        metadata: { shared: 'event', pages: 3 },
      }),
    )
    const [stored] = (await log.list({ requestId: 'req-9' })).entries
    expect(stored).toEqual(entry)
    expect(entry).toMatchObject({
      logName: 'backoffice',
      actor: { type: 'user', id: 'u1', name: 'Jan Manager', email: 'jan@example.com' },
      impersonator: { id: 's1', name: 'Support' },
      action: 'pdf_downloaded',
      resourceType: 'invoice',
      resourceId: '42',
      resourceName: 'Invoice 42',
      changes: null,
      description: 'Downloaded the PDF',
      ipAddress: '192.168.1.100',
      userAgent: 'Firefox',
      locationId: 'paris',
      tenantId: 't1',
      requestId: 'req-9',
      source: 'manual',
      metadata: { feature: 'menu', shared: 'event', pages: 3 },
    })
  })

  it('without context: a system event; logName and encoded changes from the event', async () => {
    const entry = await log.record({
      action: 'invoice.voided',
      logName: 'customer',
      changes: { total: { old: 12n, new: null }, voided_at: { old: null, new: new Date('2024-01-15T14:30:00Z') } },
    })
    expect(entry.actor).toEqual({ type: 'system', id: null, name: null, email: null })
    expect(entry.logName).toBe('customer')
    expect(entry.changes).toEqual({ total: { old: { $bigint: '12' }, new: null }, voided_at: { old: null, new: { $date: '2024-01-15T14:30:00.000Z' } } })
    const row = await db.one<{ changed_fields: string[] }>('SELECT changed_fields FROM audit_trail.activity_log WHERE id = $1', [entry.id])
    expect(row.changed_fields).toEqual(['total', 'voided_at'])
    expect((await log.list({ field: 'voided_at' })).entries.map((e) => e.id)).toEqual([entry.id])
  })

  it('accepts every SPEC action form', async () => {
    for (const action of ['login', 'logout', 'login_failed', 'pdf_downloaded', 'invoice.voided', 'a1.b_2.c']) {
      expect((await log.record({ action })).action).toBe(action)
    }
  })

  it('keeps its entry when the request transaction rolls back (own transaction)', async () => {
    const client = await db.pool.connect()
    let pending: Promise<unknown> | undefined
    try {
      await client.query('BEGIN')
      const request = await client.query<{ txid: string }>('SELECT txid_current()::text AS txid')
      await client.query(
        "INSERT INTO audit_trail.activity_log (actor_type, action, source, request_id) VALUES ('user', 'updated', 'orm', 'req-failed')",
      )
      pending = runWithAuditContext({ actor: { id: 'u7' }, requestId: 'req-failed', ipAddress: '10.0.0.1' }, () =>
        log.record({ action: 'login_failed', description: 'wrong password' }),
      )
      // On a real server record() commits while this transaction is still open. Embedded PGlite
      // runs one transaction at a time, so there it can only finish after the rollback.
      if (!db.embedded) {
        const entry = (await pending) as { transactionId: string }
        expect(entry.transactionId).not.toBe(request.rows[0]!.txid)
      }
      await client.query('ROLLBACK')
    } finally {
      client.release()
    }
    await pending
    const entries = (await log.list({ requestId: 'req-failed' })).entries
    expect(entries.map((entry) => [entry.action, entry.actor.id, entry.ipAddress, entry.source])).toEqual([
      ['login_failed', 'u7', '10.0.0.1', 'manual'],
    ])
  })

  const invalid: Array<[string, unknown, RegExp]> = [
    ['not an object', 'login', /record\(\) event must be an object, got "login"/],
    ['unknown key', { action: 'login', actor: { id: 'u1' } }, /unknown record\(\) event key "actor"/],
    ['missing action', { description: 'x' }, /event\.action must be a string, got undefined/],
    ['uppercase action', { action: 'Login' }, /event\.action "Login" is not a valid action/],
    ['dashed action', { action: 'login-failed' }, /event\.action "login-failed" is not a valid action/],
    ['empty action', { action: '' }, /event\.action "" is not a valid action/],
    ['double dot', { action: 'invoice..voided' }, /is not a valid action/],
    ['leading digit', { action: '1login' }, /is not a valid action/],
    ['trailing space', { action: 'login ' }, /is not a valid action/],
    ['resourceName number', { action: 'login', resourceName: 5 }, /event\.resourceName must be a string, got number 5/],
    ['resourceId object', { action: 'login', resourceId: {} }, /event\.resourceId must be a string, number or bigint/],
    ['changes array', { action: 'login', changes: [] }, /event\.changes must be an object, got an array/],
    ['changes value not a pair', { action: 'login', changes: { email: 'x' } }, /event\.changes\.email must be an object/],
    ['changes bad pair key', { action: 'login', changes: { email: { old: 1, neu: 2 } } }, /event\.changes\.email has key "neu"; use \{ old, new \}/],
    ['metadata string', { action: 'login', metadata: 'x' }, /event\.metadata must be an object/],
    ['empty logName', { action: 'login', logName: '' }, /event\.logName must not be empty/],
  ]
  for (const [name, event, message] of invalid) {
    it(`rejects ${name} and writes nothing`, async () => {
      const before = await total()
      await expect(log.record(event as AuditEvent)).rejects.toThrow(InvalidArgumentError)
      await expect(log.record(event as AuditEvent)).rejects.toThrow(message)
      expect(await total()).toBe(before)
    })
  }

  it('rejects an invalid IP address in the context and writes nothing', async () => {
    const before = await total()
    await expect(
      runWithAuditContext({ ipAddress: '999.1.1.1, 10.0.0.1' }, () => log.record({ action: 'login' })),
    ).rejects.toThrow(
      'audit-trail: the audit context\'s ipAddress "999.1.1.1, 10.0.0.1" is not an IPv4 or IPv6 address; fix it or leave it out. Nothing was written.',
    )
    expect(await total()).toBe(before)
  })
})

describe('createAuditLog()', () => {
  it('with a connection string owns its pool; close() ends it and is idempotent', async () => {
    const own = createAuditLog({ connectionString: db.url, max: 2 })
    expect(await own.count({ action: 'no_such_action' })).toBe(0)
    await own.close()
    await own.close()
    await expect(own.count()).rejects.toThrow(/Cannot use a pool after calling end/)
  })

  it('with a pool leaves it open on close()', async () => {
    const shared = createAuditLog({ pool: db.pool })
    await shared.close()
    expect(await shared.count({ action: 'no_such_action' })).toBe(0)
  })

  it('rejects options without a database', () => {
    expect(() => createAuditLog({} as never)).toThrow('audit-trail: createAuditLog() needs { connectionString } or { pool }.')
    expect(() => createAuditLog({ connectionString: '' })).toThrow(/needs a PostgreSQL URL string/)
  })
})
