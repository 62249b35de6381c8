import { enableCaptureTargets, planCapture } from '@audit-trail/core/plugin'
import type { PrismaAuditOptions } from './audit-trail.js'
import type { BasePrismaClient } from './prisma-client-shape.js'
import { prismaQueryExecutor, prismaStatementExecutor } from './prisma-executor.js'
import { findLinkTables, readModelTables } from './prisma-models.js'

/**
 * Turns database capture on for every audited model of `prisma` and for the implicit
 * many-to-many tables (`_ArticleToTag`, `resource_type` `article_tag`) of audited models, with
 * the model options mapped to column names. Table names are quoted exactly (`"Article"` without
 * `@@map` works). Run it at deploy time as the role that owns the log; it is idempotent and runs
 * in one transaction. Returns the quoted table names it enabled.
 *
 * @example
 * await enablePrismaCapture(new PrismaClient({ adapter: new PrismaPg({ connectionString: OWNER_URL }) }), options)
 */
export async function enablePrismaCapture(prisma: object, options: PrismaAuditOptions = {}): Promise<string[]> {
  const client = prisma as BasePrismaClient
  const tables = readModelTables(client)
  planCapture([...tables.models, ...tables.linkCandidates], options)
  return client.$transaction(
    async (tx) => {
      const links = await findLinkTables(prismaQueryExecutor(tx), tables.linkCandidates)
      return enableCaptureTargets(prismaStatementExecutor(tx), planCapture([...tables.models, ...links], options))
    },
    // A deploy step, not a request: Prisma's interactive defaults (2 s wait, 5 s run) are too short for many tables.
    { maxWait: 30_000, timeout: 300_000 },
  )
}
