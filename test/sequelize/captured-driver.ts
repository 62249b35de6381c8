import pg from 'pg'
import { enableCapture, type AuditPluginOptions } from '@audit-trail/core'
import type { BehaviourDriver } from '../behaviour/driver.js'

/** The business schema's tables, by the model names the behaviour suite's options use. */
export const BUSINESS_TABLES: Readonly<Record<string, string>> = {
  Client: 'clients',
  Item: 'items',
  Setting: 'settings',
  Coupon: 'coupons',
  ItemTranslation: 'item_translations',
}

/**
 * Enables database capture on `tables` (model → table) with the plugin's model options
 * (resource type, name column), as a DBA would, on a connection of its own.
 */
export async function enableBusinessCapture(
  url: string,
  options: AuditPluginOptions,
  tables: Readonly<Record<string, string>> = BUSINESS_TABLES,
): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    for (const [model, table] of Object.entries(tables)) {
      const modelOptions = options.models?.[model] ?? {}
      await enableCapture(client, `public.${table}`, {
        resourceType: modelOptions.resourceType,
        nameColumn: typeof modelOptions.name === 'string' ? modelOptions.name : undefined,
      })
    }
  } finally {
    await client.end()
  }
}

/** `driver` in capture mode: every business table is captured before the ORM opens. */
export function capturedDriver(driver: BehaviourDriver): BehaviourDriver {
  return {
    name: `${driver.name} (capture mode)`,
    async open(args) {
      await enableBusinessCapture(args.url, args.options)
      return driver.open(args)
    },
  }
}
