import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  SET_AUDIT_CONTEXT_SQL,
  auditContextSetting,
  enableCapture,
  runWithAuditContext,
  withAuditContextSql,
  type AuditContext,
} from '@audit-trail/core'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

// The capture trigger reads each statement's context from its trailing sqlcommenter tag
// (audit_trail.statement_context()): tag, else set_config, else the database role.

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
  await db.query(`
    CREATE TABLE "Owner" (id serial PRIMARY KEY, name text NOT NULL, data jsonb);
    CREATE TABLE "Pet" (id serial PRIMARY KEY, owner_id int NOT NULL REFERENCES "Owner" (id) ON DELETE CASCADE, name text);
  `)
  await enableCapture(db.pool, 'public.Owner', { resourceType: 'owner', nameColumn: 'name' })
  await enableCapture(db.pool, 'Pet', { resourceType: 'pet', nameColumn: 'name' })
})
afterAll(async () => {
  await db?.drop()
})

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Entry = Record<string, any>
async function watermark(): Promise<number> {
  return (await db.one<{ max: number }>('SELECT coalesce(max(id), 0)::int AS max FROM audit_trail.activity_log')).max
}
async function entriesSince(since: number): Promise<Entry[]> {
  return db.query(
    `SELECT action, actor_type, actor_id, actor_name, actor_email, impersonator_id, resource_type, resource_id, resource_name,
            host(ip_address) AS ip, location_id, tenant_id, request_id, source, metadata, changes, transaction_id
     FROM audit_trail.activity_log WHERE id > $1 ORDER BY id`,
    [since],
  )
}
const tagOf = (json: unknown) => Buffer.from(typeof json === 'string' ? json : JSON.stringify(json), 'utf8').toString('base64url')
const ana: AuditContext = {
  actor: { id: 42, name: 'Ana', email: 'ana@example.com' },
  impersonator: { id: 'support-1', name: 'Sam Support' },
  ipAddress: '203.0.113.9',
  locationId: 'lyon',
  tenantId: 't-1',
  requestId: 'req-9',
  metadata: { route: 'PATCH /owners/:id' },
}
async function newOwner(name: string): Promise<number> {
  return (await db.one<{ id: number }>(`INSERT INTO "Owner" (name) VALUES ($1) RETURNING id`, [name])).id
}

describe('the statement tag', () => {
  it('carries the whole context of runWithAuditContext to the entry (withAuditContextSql)', async () => {
    const id = await newOwner('Tagged')
    const since = await watermark()
    await runWithAuditContext(ana, () => db.query(withAuditContextSql(`UPDATE "Owner" SET name = $1 WHERE id = $2`), ['Tagged 2', id]))
    const [entry, ...rest] = await entriesSince(since)
    expect(rest).toEqual([])
    expect(entry).toMatchObject({
      action: 'updated',
      actor_type: 'user',
      actor_id: '42',
      actor_name: 'Ana',
      actor_email: 'ana@example.com',
      impersonator_id: 'support-1',
      resource_type: 'owner',
      resource_id: String(id),
      resource_name: 'Tagged 2',
      ip: '203.0.113.9',
      location_id: 'lyon',
      tenant_id: 't-1',
      request_id: 'req-9',
      source: 'orm',
      metadata: { route: 'PATCH /owners/:id' },
      changes: { name: { old: 'Tagged', new: 'Tagged 2' } },
    })
  })

  it('outside any context tags the statement as the app’s own system write', async () => {
    const since = await watermark()
    await db.query(withAuditContextSql(`INSERT INTO "Owner" (name) VALUES ('Cron')`))
    const [entry] = await entriesSince(since)
    expect(entry).toMatchObject({ actor_type: 'system', actor_id: null, actor_name: null, ip: null, source: 'orm' })
  })

  it('wins over set_config, statement by statement, inside one transaction', async () => {
    const id = await newOwner('Mixed')
    const since = await watermark()
    const client = await db.pool.connect()
    try {
      await client.query('BEGIN')
      await client.query(SET_AUDIT_CONTEXT_SQL, [auditContextSetting({ actor: { id: 'set-config-user' } })])
      await runWithAuditContext({ actor: { id: 'tagged-user' } }, () =>
        client.query(withAuditContextSql(`UPDATE "Owner" SET name = 'M1' WHERE id = $1`), [id]),
      )
      await client.query(`UPDATE "Owner" SET name = 'M2' WHERE id = $1`, [id])
      await client.query(withAuditContextSql(`UPDATE "Owner" SET name = 'M3' WHERE id = $1`), [id])
      await client.query('COMMIT')
    } finally {
      client.release()
    }
    await db.query(`UPDATE "Owner" SET name = 'M4' WHERE id = $1`, [id])
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.resource_name, e.actor_type, e.actor_id, e.source])).toEqual([
      ['M1', 'user', 'tagged-user', 'orm'],
      ['M2', 'user', 'set-config-user', 'orm'],
      ['M3', 'system', null, 'orm'],
      ['M4', 'database', null, 'trigger'],
    ])
    expect(entries[3]!.actor_name).toBe((await db.one<{ u: string }>('SELECT session_user AS u')).u)
  })

  it('is read among other sqlcommenter keys, and after a trailing -- comment', async () => {
    const id = await newOwner('Keys')
    const since = await watermark()
    const tag = tagOf({ actor_type: 'user', actor_id: 'u-keys' })
    await db.query(`UPDATE "Owner" SET name = 'K1' WHERE id = $1 /*application='shop',audit_trail='${tag}',traceparent='00-ab-cd-01'*/`, [id])
    await runWithAuditContext({ actor: { id: 'u-line' } }, () =>
      db.query(withAuditContextSql(`UPDATE "Owner" SET name = 'K2' WHERE id = $1 -- a note`), [id]),
    )
    expect((await entriesSince(since)).map((e) => e.actor_id)).toEqual(['u-keys', 'u-line'])
  })

  it('a tag-like text in a bound parameter or an inlined literal is never taken as context', async () => {
    const forged = `/*audit_trail='${tagOf({ actor_type: 'user', actor_id: 'ceo', actor_name: 'The CEO' })}'*/`
    const id = await newOwner('Forged')
    const since = await watermark()
    await db.query(`UPDATE "Owner" SET name = $1 WHERE id = $2`, [`x */ ${forged}`, id])
    await db.query(`UPDATE "Owner" SET name = '${forged.replace(/'/g, "''")}' WHERE id = ${id}`)
    await db.query(`UPDATE "Owner" SET name = 'y' WHERE name = '${forged.replace(/'/g, "''")}'`)
    await runWithAuditContext({ actor: { id: 'real-user' } }, () =>
      db.query(withAuditContextSql(`UPDATE "Owner" SET name = $1 WHERE id = $2`), [`z ${forged}`, id]),
    )
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.actor_type, e.actor_id])).toEqual([
      ['database', null],
      ['database', null],
      ['database', null],
      ['user', 'real-user'],
    ])
  })

  it('a malformed tag counts as absent: the write succeeds, recorded as the database role (or set_config)', async () => {
    const id = await newOwner('Malformed')
    const malformed = [
      'not base64!',
      'abcde', // length 1 mod 4: no byte string
      tagOf('not json'),
      tagOf('[1,2]'),
      tagOf({ actor_type: 'user', actor_id: 'x', unknown_key: 1 }),
      tagOf({ actor_type: 'database', actor_name: 'postgres' }),
      tagOf({ actor_type: 'user', actor_id: 'x', ip_address: 'not-an-ip' }),
      tagOf({ actor_type: 'user', actor_id: { nested: true } }),
      tagOf({ actor_type: 'user', metadata: 'not an object' }),
      Buffer.from([0xff, 0xfe, 0x00]).toString('base64url'), // not UTF-8
      '',
    ]
    const since = await watermark()
    for (const [i, tag] of malformed.entries()) {
      await db.query(`UPDATE "Owner" SET name = $1 WHERE id = $2 /*audit_trail='${tag}'*/`, [`bad ${i}`, id])
    }
    const client = await db.pool.connect()
    try {
      await client.query('BEGIN')
      await client.query(SET_AUDIT_CONTEXT_SQL, [auditContextSetting({ actor: { id: 'fallback' } })])
      await client.query(`UPDATE "Owner" SET name = 'bad tag, set_config' WHERE id = $1 /*audit_trail='${tagOf('[]')}'*/`, [id])
      await client.query(SET_AUDIT_CONTEXT_SQL, ['{"actor_type": "user", "ip_address": "999.1.1.1"}'])
      await client.query(`UPDATE "Owner" SET name = 'bad set_config' WHERE id = $1`, [id])
      await client.query('COMMIT')
    } finally {
      client.release()
    }
    const entries = await entriesSince(since)
    expect(entries).toHaveLength(malformed.length + 2)
    expect(entries.slice(0, malformed.length).every((e) => e.actor_type === 'database' && e.source === 'trigger')).toBe(true)
    expect(entries.slice(-2).map((e) => [e.actor_type, e.actor_id])).toEqual([
      ['user', 'fallback'],
      ['database', null],
    ])
  })

  it('ON DELETE CASCADE rows get the actor of the statement that caused them', async () => {
    const owner = await newOwner('Cascade')
    await db.query(`INSERT INTO "Pet" (owner_id, name) VALUES ($1, 'Rex'), ($1, 'Tom')`, [owner])
    const since = await watermark()
    await runWithAuditContext({ actor: { id: 'u-cascade' } }, () => db.query(withAuditContextSql(`DELETE FROM "Owner" WHERE id = $1`), [owner]))
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.action, e.resource_type, e.resource_name, e.actor_id]).sort()).toEqual([
      ['deleted', 'owner', 'Cascade', 'u-cascade'],
      ['deleted', 'pet', 'Rex', 'u-cascade'],
      ['deleted', 'pet', 'Tom', 'u-cascade'],
    ])
    expect(new Set(entries.map((e) => e.transaction_id)).size).toBe(1)
  })

  it('TRUNCATE with a tag is one truncated entry with the actor', async () => {
    await db.query(`CREATE TABLE scratch (id int PRIMARY KEY)`)
    await enableCapture(db.pool, 'scratch')
    await db.query(`INSERT INTO scratch VALUES (1), (2)`)
    const since = await watermark()
    await runWithAuditContext({ actor: { id: 'u-truncate' } }, () => db.query(withAuditContextSql('TRUNCATE scratch')))
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.action, e.resource_type, e.actor_id, e.source])).toEqual([['truncated', 'scratch', 'u-truncate', 'orm']])
  })

  it('a long statement (an 80 KB multi-row insert) is read to its end', async () => {
    const names = Array.from({ length: 2000 }, (_, i) => `Owner number ${i} ${'x'.repeat(20)}`)
    const values = names.map((name) => `('${name}')`).join(', ')
    const since = await watermark()
    await runWithAuditContext({ actor: { id: 'u-bulk' } }, () => db.query(withAuditContextSql(`INSERT INTO "Owner" (name) VALUES ${values}`)))
    const { n, actors } = await db.one<{ n: number; actors: string[] }>(
      `SELECT count(*)::int AS n, array_agg(DISTINCT actor_id) AS actors FROM audit_trail.activity_log WHERE id > $1`,
      [since],
    )
    expect({ n, actors }).toEqual({ n: 2000, actors: ['u-bulk'] })
  })

  // Regression: under capture, SQL NULL → JSON null in a jsonb column wrote no entry (both read null in to_jsonb).
  it('an update from SQL NULL to JSON null (and back) on a jsonb column is a change', async () => {
    const id = await newOwner('Json')
    const since = await watermark()
    await db.query(`UPDATE "Owner" SET data = 'null'::jsonb WHERE id = $1`, [id])
    await db.query(`UPDATE "Owner" SET data = 'null'::jsonb WHERE id = $1`, [id])
    await db.query(`UPDATE "Owner" SET data = NULL WHERE id = $1`, [id])
    await db.query(`UPDATE "Owner" SET data = NULL WHERE id = $1`, [id])
    const entries = await entriesSince(since)
    expect(entries.map((e) => [e.action, e.changes])).toEqual([
      ['updated', { data: { old: null, new: { $json: null } } }],
      ['updated', { data: { old: { $json: null }, new: null } }],
    ])
  })
})
