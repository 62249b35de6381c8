import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ChainVerificationError,
  createCheckpoint,
  InvalidArgumentError,
  parseCheckpoint,
  sealChain,
  verifyChain,
  type ChainCheckpoint,
} from '@audit-trail/core'
// Internals of the chain (not exported by the package): the hash a link must have.
import { GENESIS_HASH, linkHash } from '../../packages/core/src/chain/chain-hash.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'
import { disableAppendOnly, inRolledBackTransaction, writeSample } from './chain-fixtures.js'

let db: TestDatabase
let checkpoint: ChainCheckpoint
const TARGET = '5'
// Ids 1..10, a rolled-back insert (id 11: a gap), then 12..21.
const GAP = '11'
const ALL_IDS = [...Array.from({ length: 10 }, (_, i) => i + 1), ...Array.from({ length: 10 }, (_, i) => i + 12)]

beforeAll(async () => {
  db = await createTestDatabase()
  await writeSample(db.pool, 1, 10)
  await inRolledBackTransaction(db.pool, (client) => writeSample(client, 99, 1))
  await writeSample(db.pool, 12, 10, 5)
  expect(await sealChain(db.pool)).toBe(20)
  const result = await verifyChain(db.pool)
  checkpoint = result.checkpoint!
})
afterAll(async () => {
  await db?.drop()
})

describe('an untouched chain', () => {
  it('verifies, and its checkpoint is the newest entry with a recomputable hash', async () => {
    const result = await verifyChain(db.pool)
    expect(result).toMatchObject({ ok: true, checked: 20, unsealed: 0 })
    expect(result.firstBadId).toBeUndefined()
    expect(checkpoint.entryId).toBe('21')
    const rows = await db.query<{ canonical: string }>(
      `SELECT audit_trail.entry_canonical(to_jsonb(e)) AS canonical FROM audit_trail.activity_log e ORDER BY id`,
    )
    expect(rows.reduce((hash, row) => linkHash(hash, row.canonical), GENESIS_HASH)).toBe(checkpoint.hash)
  })

  it('matches the hash the database stored for every link', async () => {
    const links = await db.query<{ entry_id: string }>(`SELECT entry_id::text AS entry_id FROM audit_trail.activity_log_chain c ORDER BY c.entry_id`)
    expect(links.map((l) => Number(l.entry_id))).toEqual(ALL_IDS)
  })

  it('verifies against its own checkpoint, also after new entries', async () => {
    await inRolledBackTransaction(db.pool, async (client) => {
      await writeSample(client, 50, 3)
      const result = await verifyChain(client, { checkpoint })
      expect(result).toMatchObject({ ok: true, checked: 23 })
    })
  })

  it('counts entries not sealed yet without failing', async () => {
    await inRolledBackTransaction(db.pool, async (client) => {
      await writeSample(client, 60, 2)
      expect(await verifyChain(client, { seal: false })).toMatchObject({ ok: true, checked: 20, unsealed: 2 })
    })
  })
})

// Every column of the log, with an edit that keeps the row valid. A column added to the log
// without an entry here fails the coverage test below.
const EDITS: Record<string, string> = {
  id: '',
  created_at: `created_at + interval '1 microsecond'`,
  log_name: `log_name || 'x'`,
  actor_type: `CASE WHEN actor_type = 'user' THEN 'system' ELSE 'user' END`,
  actor_id: `coalesce(actor_id, '') || 'x'`,
  actor_name: `coalesce(actor_name, '') || 'x'`,
  actor_email: `coalesce(actor_email, '') || 'x'`,
  impersonator_id: `coalesce(impersonator_id, '') || 'x'`,
  impersonator_name: `coalesce(impersonator_name, '') || 'x'`,
  action: `'deleted'`,
  resource_type: `coalesce(resource_type, '') || 'x'`,
  resource_id: `coalesce(resource_id, '') || 'x'`,
  resource_name: `coalesce(resource_name, '') || 'x'`,
  changes: `jsonb_set(changes, '{price,old}', '{"$decimal": "12.5"}')`,
  changed_fields: `array_remove(changed_fields, 'note')`,
  description: `coalesce(description, '') || 'x'`,
  ip_address: `'192.168.1.101'`,
  user_agent: `coalesce(user_agent, '') || 'x'`,
  location_id: `coalesce(location_id, '') || 'x'`,
  tenant_id: `coalesce(tenant_id, '') || 'x'`,
  request_id: `coalesce(request_id, '') || 'x'`,
  transaction_id: `transaction_id + 1`,
  source: `'manual'`,
  metadata: `metadata || '{"n": 6}'`,
}

describe('tampering by the owner with the append-only triggers disabled', () => {
  it('covers every column of the log', async () => {
    const columns = await db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'audit_trail' AND table_name = 'activity_log'`,
    )
    expect(columns.map((c) => c.column_name).sort()).toEqual(Object.keys(EDITS).sort())
  })

  it.each(Object.keys(EDITS).filter((c) => c !== 'id'))('an edited %s is reported at that entry', async (column) => {
    await inRolledBackTransaction(db.pool, async (client) => {
      await disableAppendOnly(client)
      const { rowCount } = await client.query(`UPDATE audit_trail.activity_log SET ${column} = ${EDITS[column]} WHERE id = $1`, [TARGET])
      expect(rowCount).toBe(1)
      const result = await verifyChain(client)
      expect(result).toMatchObject({ ok: false, firstBadId: TARGET, checked: 4 })
      expect(result.reason).toContain('does not match its link')
    })
  })

  it('a changed id (entry moved to another id) is reported at the old id', async () => {
    await inRolledBackTransaction(db.pool, async (client) => {
      await disableAppendOnly(client)
      await client.query(`ALTER TABLE audit_trail.activity_log ALTER COLUMN id SET GENERATED BY DEFAULT`)
      await client.query(`UPDATE audit_trail.activity_log SET id = 1000 WHERE id = $1`, [TARGET])
      expect(await verifyChain(client)).toMatchObject({ ok: false, firstBadId: TARGET })
    })
  })

  it('an edited link hash is reported at its entry', async () => {
    await inRolledBackTransaction(db.pool, async (client) => {
      await disableAppendOnly(client, 'audit_trail.activity_log_chain')
      await client.query(`UPDATE audit_trail.activity_log_chain SET hash = repeat('a', 64) WHERE entry_id = $1`, [TARGET])
      expect(await verifyChain(client)).toMatchObject({ ok: false, firstBadId: TARGET })
    })
  })

  it('a deleted entry is reported at its id', async () => {
    await inRolledBackTransaction(db.pool, async (client) => {
      await disableAppendOnly(client)
      await client.query(`DELETE FROM audit_trail.activity_log WHERE id = $1`, [TARGET])
      const result = await verifyChain(client)
      expect(result).toMatchObject({ ok: false, firstBadId: TARGET, checked: 4 })
      expect(result.reason).toContain('deleted')
    })
  })

  it('a deleted entry with its link deleted too is reported at the next entry', async () => {
    await inRolledBackTransaction(db.pool, async (client) => {
      await disableAppendOnly(client)
      await disableAppendOnly(client, 'audit_trail.activity_log_chain')
      await client.query(`DELETE FROM audit_trail.activity_log WHERE id = $1`, [TARGET])
      await client.query(`DELETE FROM audit_trail.activity_log_chain WHERE entry_id = $1`, [TARGET])
      expect(await verifyChain(client)).toMatchObject({ ok: false, firstBadId: '6' })
    })
  })

  it('two entries swapped (reordered) are reported at the first of them', async () => {
    await inRolledBackTransaction(db.pool, async (client) => {
      await disableAppendOnly(client)
      await client.query(`ALTER TABLE audit_trail.activity_log ALTER COLUMN id SET GENERATED BY DEFAULT`)
      await client.query(`UPDATE audit_trail.activity_log SET id = -id WHERE id IN (5, 6)`)
      await client.query(`UPDATE audit_trail.activity_log SET id = CASE id WHEN -5 THEN 6 ELSE 5 END WHERE id IN (-5, -6)`)
      expect(await verifyChain(client)).toMatchObject({ ok: false, firstBadId: '5', checked: 4 })
    })
  })

  it('a forged entry inserted in the middle is reported at its id', async () => {
    await inRolledBackTransaction(db.pool, async (client) => {
      await disableAppendOnly(client)
      await client.query(
        `INSERT INTO audit_trail.activity_log OVERRIDING SYSTEM VALUE
         SELECT $1::bigint, created_at, log_name, actor_type, actor_id, actor_name, actor_email, impersonator_id, impersonator_name,
                action, resource_type, resource_id, resource_name, changes, changed_fields, description, ip_address, user_agent,
                location_id, tenant_id, request_id, transaction_id, source, metadata
         FROM audit_trail.activity_log WHERE id = 10`,
        [GAP],
      )
      const result = await verifyChain(client)
      expect(result).toMatchObject({ ok: false, firstBadId: GAP, checked: 10 })
      expect(result.reason).toContain('out of band')
    })
  })

  it('an archived entry copied back into the log is reported', async () => {
    await inRolledBackTransaction(db.pool, async (client) => {
      await client.query(`INSERT INTO audit_trail.activity_log_archive SELECT * FROM audit_trail.activity_log WHERE id = $1`, [TARGET])
      expect(await verifyChain(client)).toMatchObject({ ok: false, firstBadId: TARGET })
    })
  })

  it('deleted newest entries (and links) pass without a checkpoint and fail against one', async () => {
    await inRolledBackTransaction(db.pool, async (client) => {
      await disableAppendOnly(client)
      await disableAppendOnly(client, 'audit_trail.activity_log_chain')
      await client.query(`DELETE FROM audit_trail.activity_log WHERE id >= 19`)
      await client.query(`DELETE FROM audit_trail.activity_log_chain WHERE entry_id >= 19`)
      expect(await verifyChain(client)).toMatchObject({ ok: true, checked: 17 })
      const result = await verifyChain(client, { checkpoint })
      expect(result).toMatchObject({ ok: false, firstBadId: '21', checked: 17 })
      expect(result.reason).toContain('newest entries were deleted')
      await expect(createCheckpoint(client, { checkpoint })).rejects.toBeInstanceOf(ChainVerificationError)
    })
  })

  it('a chain rewritten consistently after an edit passes alone and fails against a checkpoint', async () => {
    await inRolledBackTransaction(db.pool, async (client) => {
      await disableAppendOnly(client)
      await disableAppendOnly(client, 'audit_trail.activity_log_chain')
      await client.query(`UPDATE audit_trail.activity_log SET actor_name = 'Someone Else' WHERE id = $1`, [TARGET])
      await client.query(`DELETE FROM audit_trail.activity_log_chain`)
      const { rows } = await client.query<{ id: string; canonical: string }>(
        `SELECT id::text AS id, audit_trail.entry_canonical(to_jsonb(e)) AS canonical FROM audit_trail.activity_log e ORDER BY e.id`,
      )
      let hash = GENESIS_HASH
      for (const row of rows) {
        hash = linkHash(hash, row.canonical)
        await client.query(`INSERT INTO audit_trail.activity_log_chain (entry_id, hash) VALUES ($1, $2)`, [row.id, hash])
      }
      expect(await verifyChain(client)).toMatchObject({ ok: true, checked: 20 })
      expect(await verifyChain(client, { checkpoint })).toMatchObject({ ok: false, firstBadId: '21' })
    })
  })

  it('leaves the real chain intact (every tampering above was rolled back)', async () => {
    expect(await verifyChain(db.pool, { checkpoint })).toMatchObject({ ok: true, checked: 20 })
  })
})

describe('checkpoints', () => {
  it('round-trip through JSON', () => {
    expect(parseCheckpoint(JSON.stringify(checkpoint))).toEqual(checkpoint)
    expect(parseCheckpoint({ entryId: 21, hash: checkpoint.hash })).toEqual({ entryId: '21', hash: checkpoint.hash })
  })

  it.each([
    ['not json', '{'],
    ['not an object', '[]'],
    ['a bad id', { entryId: '0', hash: 'a'.repeat(64) }],
    ['a bad hash', { entryId: '1', hash: 'XYZ' }],
    ['a bad date', { entryId: '1', hash: 'a'.repeat(64), createdAt: 'yesterday' }],
  ])('reject %s with InvalidArgumentError', (_label, value) => {
    expect(() => parseCheckpoint(value)).toThrow(InvalidArgumentError)
  })

  it('createCheckpoint returns the newest verified link', async () => {
    expect(await createCheckpoint(db.pool)).toMatchObject({ entryId: checkpoint.entryId, hash: checkpoint.hash })
  })
})

describe('the sealer', () => {
  it('refuses to run under REPEATABLE READ, where its snapshot would be stale', async () => {
    await inRolledBackTransaction(db.pool, async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ')
      await expect(client.query('SELECT audit_trail.seal_chain()')).rejects.toMatchObject({ code: '0A000' })
    })
  })

  it('links entries written under REPEATABLE READ and SERIALIZABLE like any other', async () => {
    for (const level of ['REPEATABLE READ', 'SERIALIZABLE']) {
      const client = await db.pool.connect()
      try {
        await client.query(`BEGIN ISOLATION LEVEL ${level}`)
        await client.query('SELECT count(*) FROM audit_trail.activity_log')
        await writeSample(client, 70, 3, 2)
        await client.query('COMMIT')
      } finally {
        client.release()
      }
    }
    expect(await sealChain(db.pool)).toBe(6)
    expect(await verifyChain(db.pool, { checkpoint })).toMatchObject({ ok: true, checked: 26 })
  })
})
