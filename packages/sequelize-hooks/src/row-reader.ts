import type { AuditExecutor, Row } from '@audit-trail/core'
import { Utils, type Sequelize, type WhereOptions } from 'sequelize'
import type { ModelColumns } from './model-columns.js'
import { queryGenerator, type AnyModelStatic } from './sequelize-internals.js'

/**
 * Reads and locks (`FOR UPDATE`) every row a bulk statement with `where` is about to change, in
 * one statement. The lock keeps the rows as read until the change commits, so their values are
 * the true old values and the later read of the new values sees only this statement's change.
 */
export async function lockRows(args: {
  readonly sequelize: Sequelize
  readonly executor: AuditExecutor
  readonly model: AnyModelStatic
  readonly columns: ModelColumns
  readonly where: WhereOptions | undefined
}): Promise<Row[]> {
  const { sequelize, executor, model, columns } = args
  // Model.update runs its hooks before mapping attribute names to columns; mapping twice is harmless.
  const where = args.where === undefined ? undefined : Utils.mapOptionFieldNames({ where: args.where }, model).where
  const whereSql = where === undefined ? '' : queryGenerator(sequelize).whereQuery(where, { model })
  const { rows } = await executor.query(`SELECT ${columns.selectList} FROM ${columns.quotedTable} ${whereSql} FOR UPDATE`)
  return rows
}

/** Reads the current rows with the given primary keys, in one statement whatever their number. */
export async function readRowsByKey(args: {
  readonly sequelize: Sequelize
  readonly executor: AuditExecutor
  readonly columns: ModelColumns
  readonly keys: readonly Row[]
}): Promise<Row[]> {
  const { sequelize, executor, columns, keys } = args
  if (keys.length === 0) return []
  const generator = queryGenerator(sequelize)
  const [single] = columns.primaryKey
  if (columns.primaryKey.length === 1 && single !== undefined) {
    const { rows } = await executor.query(
      `SELECT ${columns.selectList} FROM ${columns.quotedTable} WHERE ${generator.quoteIdentifier(single)} = ANY($1)`,
      [keys.map((row) => row[single])],
    )
    return rows
  }
  // Composite keys travel as one JSON parameter typed by the table's own row type, so no key
  // column types have to be spelled out and there is no bind-parameter limit.
  const keyList = columns.primaryKey.map((column) => generator.quoteIdentifier(column)).join(', ')
  const { rows } = await executor.query(
    `SELECT ${columns.selectList} FROM ${columns.quotedTable} WHERE (${keyList}) IN ` +
      `(SELECT ${keyList} FROM json_populate_recordset(NULL::${columns.quotedTable}, $1::json))`,
    [JSON.stringify(keys.map((row) => Object.fromEntries(columns.primaryKey.map((column) => [column, row[column]]))))],
  )
  return rows
}
