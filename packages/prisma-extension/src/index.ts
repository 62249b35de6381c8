/**
 * @audit-trail/prisma: a Prisma 7 client extension that records every write in the audit-trail
 * activity log, atomically, with the request's audit context.
 */
export { auditTrail, enablePrismaCapture } from './audit-trail.js'
export type { PrismaAuditOptions } from './audit-trail.js'
