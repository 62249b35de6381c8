/**
 * The parts of a Prisma 7 client this package uses, as structural types: the plugin works with
 * any generated client without importing it (better-auth's `interface PrismaClient {}` idea).
 */
export interface PrismaClientLike {
  $queryRawUnsafe(sql: string, ...values: unknown[]): PromiseLike<unknown>
  $executeRawUnsafe(sql: string, ...values: unknown[]): PromiseLike<number>
}

/** A client that can also open an interactive transaction and take extensions. */
export interface BasePrismaClient extends PrismaClientLike {
  $transaction<T>(fn: (tx: PrismaClientLike) => Promise<T>, options?: { maxWait?: number; timeout?: number }): Promise<T>
  $extends(extension: object): unknown
}

/** What a query extension's `$allOperations` hook receives (public `$extends` API). */
export interface QueryHookParams {
  /** Model name; undefined for raw queries. */
  model?: string
  /** `create`, `updateMany`, `$executeRaw`, ... */
  operation: string
  /** The call's arguments: an object for model operations; a `Sql` object (`$executeRaw`) or `[sql, ...values]` (`*Unsafe`) for raw ones. */
  args: unknown
  query: (args: unknown) => Promise<unknown>
}
