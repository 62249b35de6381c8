import { auditContextSetting, getAuditContext } from '@audit-trail/core'
import type { Sequelize, Transaction } from 'sequelize'
import type { CaptureHandoff } from './capture-handoff.js'
import { sequelizeExecutor } from './sequelize-executor.js'
import { clsTransaction } from './sequelize-internals.js'

type Query = (this: Sequelize, sql: unknown, options?: QueryOptions) => Promise<unknown>
interface QueryOptions {
  transaction?: Transaction | null
  logging?: unknown
}

const WRITING_SQL = /^\s*(?:insert|update|delete|merge|with|truncate|call)\b/i
const WRITTEN_TABLE =
  /^\s*(?:insert\s+into|update(?:\s+only)?|delete\s+from(?:\s+only)?|merge\s+into)\s+((?:"(?:[^"]|"")+"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[\w$]+))?)/i

/**
 * Gives raw SQL writes (`sequelize.query('UPDATE ...')`, queryInterface writes) made inside
 * `runWithAuditContext` the app's context on captured tables, as the model hooks do for model
 * writes: the context is set in the statement's own transaction (the one passed, or CLS's)
 * before it runs; an autocommit write is run inside a transaction opened for it. The
 * statement and its bound parameters are passed on untouched.
 *
 * Outside any context raw writes pass through, so the triggers record them as `database`.
 * Model writes pass through here too: their hooks already handed the same context to the
 * same transaction, so nothing is sent twice.
 *
 * Wraps the instance's own `query` method (not Sequelize's prototype); returns the unwrap.
 */
export function handOffRawWrites(args: {
  readonly sequelize: Sequelize
  readonly capture: CaptureHandoff
  readonly logName: string | undefined
}): () => void {
  const { sequelize, capture } = args
  const holder = sequelize as unknown as { query: Query }
  const original = holder.query
  const hadOwn = Object.prototype.hasOwnProperty.call(sequelize, 'query')

  const wrapped: Query = async function (this: Sequelize, sql, options) {
    const context = getAuditContext()
    const text = typeof sql === 'string' ? sql : String((sql as { query?: unknown } | null)?.query ?? '')
    if (!context || !WRITING_SQL.test(text)) return original.call(this, sql, options)
    const table = writtenTable(text)
    // Known not to be captured: nothing to hand over, no transaction to open.
    if (table && capture.known && !capture.isCaptured(table.name, table.schema)) return original.call(this, sql, options)

    const setting = auditContextSetting(context, args.logName)
    const run = async (transaction: Transaction, callOptions: QueryOptions | undefined) => {
      const executor = sequelizeExecutor(sequelize, { transaction, logging: callOptions?.logging }, false)
      await capture.load(executor)
      if (!table || capture.isCaptured(table.name, table.schema)) await capture.handOff({ executor, transaction, setting })
      return original.call(this, sql, callOptions)
    }
    const current = options?.transaction === undefined ? clsTransaction(sequelize) : options.transaction
    if (current) return run(current, options)
    return sequelize.transaction((transaction) => run(transaction, { ...options, transaction }))
  }

  Object.defineProperty(sequelize, 'query', { value: wrapped, writable: true, configurable: true, enumerable: false })
  return () => {
    if (holder.query !== wrapped) return
    if (hadOwn) Object.defineProperty(sequelize, 'query', { value: original, writable: true, configurable: true })
    else delete (sequelize as unknown as Record<string, unknown>).query
  }
}

/** The table a single-table INSERT / UPDATE / DELETE / MERGE writes, or null (CTEs, TRUNCATE, CALL). */
function writtenTable(sql: string): { name: string; schema: string | undefined } | null {
  const match = WRITTEN_TABLE.exec(sql)
  if (!match) return null
  const parts = match[1]!.split(/\s*\.\s*/).map((part) => (part.startsWith('"') ? part.slice(1, -1).replace(/""/g, '"') : part.toLowerCase()))
  return parts.length === 2 ? { schema: parts[0], name: parts[1]! } : { schema: undefined, name: parts[0]! }
}
