import { readFileSync } from 'node:fs'
import type { AuditPluginOptions } from '@audit-trail/core/plugin'
import type { TestDatabase } from './test-database.js'

/** Resource types and name columns of the models of the plugins' own tests (business schema and Article/Tag). */
export const PLUGIN_TEST_MODELS = {
  Client: { resourceType: 'client', name: 'name' },
  Item: { resourceType: 'item', name: 'name' },
  Article: { resourceType: 'article', name: 'title' },
  Tag: { resourceType: 'tag', name: 'name' },
} as const satisfies AuditPluginOptions['models']

/** The plugin options of the behaviour suite and the reliability runs: every model of the business schema. */
export const BUSINESS_OPTIONS: AuditPluginOptions = {
  models: {
    ...PLUGIN_TEST_MODELS,
    Setting: { resourceType: 'setting', name: 'key' },
    Coupon: { resourceType: 'coupon', name: 'code' },
  },
}

/** The behaviour suite's business tables: test/behaviour/business-schema.sql. */
export const BUSINESS_SCHEMA_SQL = readFileSync(new URL('../behaviour/business-schema.sql', import.meta.url), 'utf8')

/** Creates the behaviour suite's business tables in `db`. */
export async function createBusinessSchema(db: TestDatabase): Promise<void> {
  await db.query(BUSINESS_SCHEMA_SQL)
}
