import { isWritingStatement } from '@audit-trail/core/plugin'
import type { QueryHookParams } from './prisma-client-shape.js'

/** Model operations that write (the top-level call; nested writes ride on it). */
const MODEL_WRITES = new Set([
  'create',
  'createMany',
  'createManyAndReturn',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'upsert',
  'delete',
  'deleteMany',
])

/**
 * Whether a query hook call may write: a model write operation, or a raw query
 * (`$executeRaw`, `$queryRaw`, their `Unsafe` forms, TypedSQL) whose SQL `isWritingStatement`.
 */
export function isWriteOperation(params: Pick<QueryHookParams, 'model' | 'operation' | 'args'>): boolean {
  if (params.model) return MODEL_WRITES.has(params.operation)
  if (!params.operation.startsWith('$executeRaw') && !params.operation.startsWith('$queryRaw')) return false
  const sql = rawSqlText(params.args)
  // SQL the plugin cannot read is treated as a write: requireContext errs on the safe side.
  return sql === undefined || isWritingStatement(sql)
}

/** The SQL text of a raw query's arguments: `Sql` (`$executeRaw\`...\``), TypedSQL `{ sql }`, or `[sql, ...values]`. */
function rawSqlText(args: unknown): string | undefined {
  if (Array.isArray(args)) return typeof args[0] === 'string' ? args[0] : rawSqlText(args[0])
  if (args === null || typeof args !== 'object') return undefined
  const { sql, strings } = args as { sql?: unknown; strings?: unknown }
  if (typeof sql === 'string') return sql
  if (Array.isArray(strings) && strings.every((part) => typeof part === 'string')) {
    return strings.reduce((text: string, part: string, i: number) => `${text}$${i}${part}`)
  }
  return undefined
}
