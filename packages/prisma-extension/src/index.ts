/**
 * @audit-trail/prisma: records every Prisma 7 write in the audit-trail activity log through the
 * database capture triggers, with the request's context carried on each statement.
 *
 * @example
 * import { auditTrail, auditTrailComments, auditTrailReady, enablePrismaCapture } from '@audit-trail/prisma'
 * await enablePrismaCapture(ownerPrisma, options)   // deploy time, as the log owner
 * const prisma = new PrismaClient({ adapter, comments: [auditTrailComments()] }).$extends(auditTrail(options))
 * await auditTrailReady(prisma)                     // boot: fails if either half or capture is missing
 */
export { auditTrail, auditTrailReady } from './audit-trail.js'
export type { PrismaAuditOptions } from './audit-trail.js'
export { auditTrailComments } from './audit-trail-comments.js'
export type { AuditTrailCommentsOptions, AuditTrailCommentsPlugin, SqlCommenterContextLike } from './audit-trail-comments.js'
export { enablePrismaCapture } from './enable-prisma-capture.js'
