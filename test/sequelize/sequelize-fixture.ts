import type { Options, Sequelize } from 'sequelize'
import { afterAll, beforeAll } from 'vitest'
import type { AuditPluginOptions } from '@audit-trail/core/plugin'
import { attachAuditHooks, type DetachAuditHooks } from '@audit-trail/sequelize'
import { createBusinessSchema } from '../support/business-schema.js'
import { lateBound } from '../support/late-bound.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'
import { defineModels, openSequelize, setUpCapture, type Models } from './sequelize-models.js'

// Rows as pg returns them; `changes` is deep JSON the assertions index into freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LogEntry = Record<string, any>

/** A Sequelize instance on the fixture's database and every statement it sent (its `logging`). */
export interface SequelizeClient {
  sequelize: Sequelize
  models: Models
  statements: string[]
}

export interface SequelizeFixture extends SequelizeClient {
  db: TestDatabase
  /** The plugin's detach function for `sequelize`. */
  detach: DetachAuditHooks
  /** Another instance on the same database with no plugin attached, for side-by-side comparisons. */
  plain: SequelizeClient
  /** The id of the newest entry, to read only what a test writes. */
  watermark(): Promise<number>
  /** Entries after `since`, oldest first. */
  entriesSince(since: number): Promise<LogEntry[]>
  close(): Promise<void>
}

/** Opens a Sequelize instance on `url` with the test models, logging every statement it sends. */
export function openClient(url: string, sequelizeOptions: Options = {}): SequelizeClient {
  const statements: string[] = []
  const sequelize = openSequelize(url, { logging: (sql) => statements.push(sql), ...sequelizeOptions })
  return { sequelize, models: defineModels(sequelize), statements }
}

/**
 * A fresh database with the business schema and the Article tables, capture enabled for every
 * model with `options` (`enableSequelizeCapture`, as the owner), a Sequelize instance with the
 * plugin attached, and a plain one.
 */
export async function openFixture(options: AuditPluginOptions = {}, sequelizeOptions: Options = {}): Promise<SequelizeFixture> {
  const db = await createTestDatabase()
  await createBusinessSchema(db)
  const audited = openClient(db.url, sequelizeOptions)
  await setUpCapture(audited.sequelize, audited.models, options)
  const detach = attachAuditHooks(audited.sequelize, options)
  const plain = openClient(db.url, sequelizeOptions)
  return {
    ...audited,
    db,
    detach,
    plain,
    async watermark() {
      const { max } = await db.one<{ max: number }>(`SELECT coalesce(max(id), 0)::int AS max FROM audit_trail.activity_log`)
      return max
    },
    entriesSince(since) {
      return db.query<LogEntry>(
        `SELECT id, action, actor_type, actor_id, actor_name, resource_type, resource_id, resource_name, changes, changed_fields,
                source, transaction_id::text AS transaction_id
         FROM audit_trail.activity_log WHERE id > $1 ORDER BY id`,
        [since],
      )
    },
    async close() {
      await audited.sequelize.close()
      await plain.sequelize.close()
      await db.drop()
    },
  }
}

/**
 * `openFixture(options, sequelizeOptions)` for the tests of the file (or `describe` block) that
 * calls it: opened in a `beforeAll` hook (hooks registered before the call run before it),
 * closed after the block's own `afterAll` hooks.
 */
export function useSequelizeFixture(options: AuditPluginOptions = {}, sequelizeOptions: Options = {}): SequelizeFixture {
  let fixture: SequelizeFixture | undefined
  beforeAll(async () => {
    fixture = await openFixture(options, sequelizeOptions)
  })
  afterAll(async () => {
    await fixture?.close()
  })
  return lateBound('fixture', () => fixture)
}

/** Runs `fn` and returns the SQL of the statements it sent through `client` (no `Executing (...)` prefix). */
export async function statementsOf(client: SequelizeClient, fn: () => Promise<unknown>): Promise<string[]> {
  const start = client.statements.length
  await fn()
  return client.statements.slice(start).map(sqlOf)
}

/** The SQL of one logged statement, without Sequelize's `Executing (...): ` prefix. */
export function sqlOf(logged: string): string {
  return logged.replace(/^Executing \([^)]*\): /, '')
}
