import { AuditConfigurationError, getAuditContext } from '@audit-trail/core'
import { checkCaptureTargets, planCapture, readAuditContextTag, type AuditPluginOptions } from '@audit-trail/core/plugin'
import { STARTUP_PROBE_SQL } from './audit-trail-comments.js'
import type { PrismaClientLike } from './prisma-client-shape.js'
import { prismaQueryExecutor } from './prisma-executor.js'
import { findLinkTables, type PrismaModelTables } from './prisma-models.js'

const COMMENTS_FIX = 'Add comments: [auditTrailComments()] to new PrismaClient({ ... }).'

/**
 * What `auditTrail()` checks once, before the first write: that statements of `client` come back
 * tagged (the comments plugin is installed, with the same `logName`), and that every audited
 * table, implicit many-to-many tables included, is captured with the options the code gives.
 * Reads only; throws `AuditConfigurationError` naming the fix.
 */
export async function checkPrismaSetup(args: {
  readonly client: PrismaClientLike
  readonly tables: PrismaModelTables
  readonly options: AuditPluginOptions
}): Promise<void> {
  const { client, tables, options } = args
  const rows = (await client.$queryRawUnsafe(STARTUP_PROBE_SQL)) as Array<{ audit_trail_probe?: unknown }>
  const tag = readAuditContextTag(String(rows[0]?.audit_trail_probe ?? ''))
  if (tag === null) throw AuditConfigurationError.missingStatementTag('Prisma', COMMENTS_FIX)
  if (options.logName !== undefined && getAuditContext()?.logName === undefined && tag.log_name !== options.logName) {
    throw new AuditConfigurationError(
      `audit-trail: auditTrail() has logName ${JSON.stringify(options.logName)} but the comments plugin tags statements with ` +
        `${JSON.stringify(tag.log_name)}. Pass the same value: comments: [auditTrailComments({ logName: ${JSON.stringify(options.logName)} })].`,
    )
  }
  const executor = prismaQueryExecutor(client)
  const links = await findLinkTables(executor, tables.linkCandidates)
  await checkCaptureTargets(executor, planCapture([...tables.models, ...links], options))
}
