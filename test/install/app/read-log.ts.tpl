// Reads the log back as the app role, through the query API of the installed @audit-trail/core.
import { createAuditLog } from '@audit-trail/core'
import { env } from './shared.ts'

const log = createAuditLog({ connectionString: env('APP_URL') })
const { entries } = await log.list({ limit: 1000, order: 'asc' })
console.log(JSON.stringify(entries.map((e) => ({ action: e.action, actor: e.actor, resourceType: e.resourceType, resourceId: e.resourceId, resourceName: e.resourceName, source: e.source }))))
await log.close()
