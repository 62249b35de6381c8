import { readFileSync } from 'node:fs'
import type { Options, Sequelize } from 'sequelize'
import type { AuditPluginOptions } from '@audit-trail/core'
import { attachAuditHooks, type DetachAuditHooks } from '@audit-trail/sequelize'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'
import { defineModels, openSequelize, type Models } from './sequelize-models.js'

// Rows as pg returns them; `changes` is deep JSON the assertions index into freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LogEntry = Record<string, any>

export interface SequelizeFixture {
  db: TestDatabase
  sequelize: Sequelize
  models: Models
  /** Every SQL statement Sequelize sent, in order (the `logging` callback). */
  statements: string[]
  detach: DetachAuditHooks
  /** The id of the newest entry, to read only what a test writes. */
  watermark(): Promise<number>
  /** Entries after `since`, oldest first. */
  entriesSince(since: number): Promise<LogEntry[]>
  close(): Promise<void>
}

/** A fresh database with the business schema, a Sequelize instance on it, and the plugin attached. */
export async function openFixture(
  options: AuditPluginOptions = {},
  sequelizeOptions: Options = {},
): Promise<SequelizeFixture> {
  const db = await createTestDatabase()
  await db.query(readFileSync(new URL('../behaviour/business-schema.sql', import.meta.url), 'utf8'))
  const statements: string[] = []
  const sequelize = openSequelize(db.url, { logging: (sql) => statements.push(sql), ...sequelizeOptions })
  const models = defineModels(sequelize)
  const detach = attachAuditHooks(sequelize, options)
  return {
    db,
    sequelize,
    models,
    statements,
    detach,
    async watermark() {
      const { max } = await db.one<{ max: number }>(`SELECT coalesce(max(id), 0)::int AS max FROM audit_trail.activity_log`)
      return max
    },
    entriesSince(since) {
      return db.query<LogEntry>(
        `SELECT id, action, actor_type, actor_id, resource_type, resource_id, resource_name, changes, changed_fields,
                transaction_id::text AS transaction_id
         FROM audit_trail.activity_log WHERE id > $1 ORDER BY id`,
        [since],
      )
    },
    async close() {
      await sequelize.close()
      await db.drop()
    },
  }
}

/** Counts the statements `fn` sends through Sequelize. */
export async function countStatements(fixture: SequelizeFixture, fn: () => Promise<unknown>): Promise<number> {
  const start = fixture.statements.length
  await fn()
  return fixture.statements.length - start
}

/** The SQL of one logged statement, without Sequelize's `Executing (...): ` prefix. */
export function sqlOf(logged: string): string {
  return logged.replace(/^Executing \([^)]*\): /, '')
}
