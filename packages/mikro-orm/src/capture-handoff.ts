import { AuditConfigurationError, SET_AUDIT_CONTEXT_SQL, loadCapturedTables } from '@audit-trail/core'
import { transactionExecutor, type KyselyLike } from './transaction-executor.js'

interface CaptureCatalog {
  readonly tables: ReadonlySet<string>
  readonly schema: string
}

/** A table as the capture catalog names it; no schema means the connection's current schema. */
export interface TableName {
  readonly name: string
  readonly schema?: string | undefined
}

/**
 * What the subscriber knows about database capture: which tables have capture triggers, and
 * which context each transaction has already handed to them.
 *
 * The catalog is read on the first write that needs it, inside that write's transaction when it
 * has one: a read on a second connection could wait forever behind the app's open transaction
 * on an engine that runs one transaction at a time (PGlite). It is kept until `refresh()`.
 */
export class CaptureHandoff {
  private catalog: CaptureCatalog | undefined
  private stale = false
  // Per connection: the transaction that last set the context there, and the JSON it set. Keyed
  // by connection because savepoints share it: a context set inside a savepoint outlives the
  // savepoint's release and vanishes with its rollback.
  private readonly sent = new WeakMap<object, { transaction: KyselyLike; setting: string }>()

  /** Forgets the catalog: the next write reads it again. */
  refresh(): void {
    this.stale = true
  }

  /** Whether the catalog has been read (and not forgotten since). */
  get known(): boolean {
    return this.catalog !== undefined && !this.stale
  }

  /** Reads the catalog through `context` (a transaction, or the pool) unless already known. */
  async load(context: KyselyLike): Promise<void> {
    if (this.known) return
    const executor = transactionExecutor(context)
    try {
      const tables = await loadCapturedTables(executor)
      const { rows } = await executor.query('SELECT current_schema() AS schema')
      this.catalog = { tables, schema: String(rows[0]?.schema ?? 'public') }
      this.stale = false
    } catch (error) {
      throw new AuditConfigurationError(
        `audit-trail: cannot read the capture catalog (${(error as Error).message}). ` +
          'Apply the sql/ migrations first (audit-trail migrate). Nothing was written.',
        { cause: error },
      )
    }
  }

  /** Whether the catalog read last lists `table`; false while it has not been read. */
  isCaptured(table: TableName): boolean {
    const catalog = this.catalog
    return catalog !== undefined && catalog.tables.has(`${table.schema ?? catalog.schema}.${table.name}`)
  }

  /** Runs SET_AUDIT_CONTEXT_SQL in `transaction`, unless it already set the same JSON there. */
  async handOff(transaction: KyselyLike, setting: string): Promise<void> {
    const connection = await transaction.getExecutor().provideConnection(async (c) => c)
    const last = this.sent.get(connection)
    if (last && last.transaction === transaction && last.setting === setting) return
    await transactionExecutor(transaction).query(SET_AUDIT_CONTEXT_SQL, [setting])
    this.sent.set(connection, { transaction, setting })
  }
}

/** The table an entity maps to, as the capture catalog names it. */
export function entityTable(meta: { readonly tableName: string; readonly schema?: string }): TableName {
  return { name: meta.tableName, schema: meta.schema && meta.schema !== '*' ? meta.schema : undefined }
}
