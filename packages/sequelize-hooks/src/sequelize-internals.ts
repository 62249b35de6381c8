import type { Model, ModelStatic, Sequelize, Transaction } from 'sequelize'

// Sequelize 6 keeps a few things the plugin needs out of its type declarations. They are read
// here, in one place, and were checked against 6.37.

/** An audited model class, as the hooks receive it (`instance.constructor`, `options.model`). */
export type AnyModelStatic = ModelStatic<Model>

interface ModelStaticInternals {
  _timestampAttributes?: { deletedAt?: string }
}

interface InstanceInternals {
  dataValues: Record<string, unknown>
  _previousDataValues: Record<string, unknown>
}

/** The query generator of the postgres dialect: only its quoting and WHERE builders are used. */
export interface QueryGenerator {
  quoteTable(table: unknown): string
  quoteIdentifier(identifier: string): string
  whereQuery(where: unknown, options?: { model?: unknown }): string
}

interface ClsNamespace {
  get(key: string): unknown
}

/** Attribute name of the paranoid `deletedAt` column, or null when the model is not paranoid. */
export function deletedAtAttribute(model: AnyModelStatic): string | null {
  return (model as unknown as ModelStaticInternals)._timestampAttributes?.deletedAt ?? null
}

/** The instance's current values, keyed by attribute name. */
export function currentValues(instance: Model): Record<string, unknown> {
  return (instance as unknown as InstanceInternals).dataValues
}

/** The values the instance was loaded or last saved with, keyed by attribute name. */
export function previousValues(instance: Model): Record<string, unknown> {
  return (instance as unknown as InstanceInternals)._previousDataValues
}

export function queryGenerator(sequelize: Sequelize): QueryGenerator {
  return sequelize.getQueryInterface().queryGenerator as QueryGenerator
}

/** The transaction `Sequelize.useCLS` holds for the current async context, if CLS is on. */
export function clsTransaction(sequelize: Sequelize): Transaction | undefined {
  const cls = (sequelize.constructor as unknown as { _cls?: ClsNamespace })._cls
  return (cls?.get('transaction') as Transaction | undefined) ?? undefined
}

/** The pg client a Sequelize transaction holds. */
export interface TransactionConnection {
  uuid?: string
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Array<Record<string, unknown>> }>
}

export function transactionConnection(transaction: Transaction | null | undefined): TransactionConnection | undefined {
  const connection = (transaction as unknown as { connection?: TransactionConnection } | null | undefined)?.connection
  return typeof connection?.query === 'function' ? connection : undefined
}

/** Logs `message` the way Sequelize logs its own statements (the call's `logging`, else the instance's). */
export function logStatement(sequelize: Sequelize, message: string, logging: unknown): void {
  const internals = sequelize as unknown as {
    options: { logging?: unknown }
    log(message: string, options: { logging: unknown }): void
  }
  const effective = logging !== undefined ? logging : internals.options.logging
  if (effective) internals.log(message, { logging: effective })
}
