/**
 * The parts of a Prisma 7 client this package uses, as structural types: the plugin works with
 * any generated client without importing it (better-auth's `interface PrismaClient {}` idea).
 * Members starting with `_` are Prisma internals; each use is explained where it happens and
 * checked at run time, so a Prisma upgrade that moves them fails loudly instead of silently
 * writing unaudited.
 */
export interface PrismaPromiseLike<T> extends Promise<T> {
  /** Internal: runs this request inside the given transaction (interactive or batch). */
  requestTransaction?(transaction: PrismaTransaction): Promise<T>
}

export interface BasePrismaClient {
  $queryRawUnsafe(sql: string, ...values: unknown[]): PrismaPromiseLike<unknown>
  $executeRawUnsafe(sql: string, ...values: unknown[]): PrismaPromiseLike<number>
  $transaction<T>(fn: (tx: object) => Promise<T>, options?: { maxWait?: number; timeout?: number }): Promise<T>
  $extends(extension: object): unknown
  /** Internal: model → table/column names (`dbName` is present only when mapped). */
  _runtimeDataModel?: RuntimeDataModel
}

export interface RuntimeDataModel {
  models: Record<string, RuntimeModel>
}

export interface RuntimeModel {
  dbName?: string | null
  schema?: string | null
  fields: ReadonlyArray<{ name: string; kind: string; type: string; dbName?: string | null }>
}

/** `__internalParams.transaction` as Prisma 7 passes it to query extensions. */
export type PrismaTransaction =
  | { kind: 'itx'; id: string }
  | { kind: 'batch'; id: number; index: number; lock: PromiseLike<unknown> }

/** What a query extension's `$allOperations` hook receives. */
export interface QueryHookParams {
  model?: string
  operation: string
  args: unknown
  query: (args: unknown, internalParams?: object) => Promise<unknown>
  __internalParams?: { transaction?: PrismaTransaction } & Record<string, unknown>
}
