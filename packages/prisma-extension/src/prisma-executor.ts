import type { AuditExecutor } from '@audit-trail/core/plugin'
import type { PrismaClientLike } from './prisma-client-shape.js'

/** Core's executor over `$queryRawUnsafe` (bound parameters, rows as Prisma returns them), for reads. */
export function prismaQueryExecutor(client: PrismaClientLike): AuditExecutor {
  return {
    async query(sql, params = []) {
      const rows = (await client.$queryRawUnsafe(sql, ...params)) as Array<Record<string, unknown>>
      return { rows }
    },
  }
}

/**
 * Core's executor over `$executeRawUnsafe`, for statements whose result is not read:
 * `audit_trail.enable_capture(...)` returns void, and `$queryRaw` fails on a void column
 * ("Failed to deserialize column of type 'void'"). Returns no rows.
 */
export function prismaStatementExecutor(client: PrismaClientLike): AuditExecutor {
  return {
    async query(sql, params = []) {
      await client.$executeRawUnsafe(sql, ...params)
      return { rows: [] }
    },
  }
}
