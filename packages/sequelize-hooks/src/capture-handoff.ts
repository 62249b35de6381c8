import {
  AuditConfigurationError,
  SET_AUDIT_CONTEXT_SQL,
  loadCapturedTables,
  type AuditExecutor,
} from '@audit-trail/core'
import type { Transaction } from 'sequelize'
import { transactionConnection } from './sequelize-internals.js'

interface CaptureCatalog {
  readonly tables: ReadonlySet<string>
  readonly schema: string
}

/**
 * What the plugin knows about database capture: which tables have capture triggers, and which
 * context each transaction has already handed to them.
 *
 * The catalog is read on the first audited write, inside that write's own transaction: a read
 * on a second connection could wait forever behind the app's open transaction on an engine
 * that runs one transaction at a time (PGlite). It is kept until `refresh()`, after which the
 * next write reads it again the same way.
 */
export class CaptureHandoff {
  private catalog: CaptureCatalog | undefined
  private stale = false
  // Per connection: the transaction that last set the context there, and the JSON it set.
  // Keyed by connection, not transaction, because savepoints share the connection: a context
  // set inside a savepoint outlives the savepoint's release and vanishes with its rollback.
  private readonly sent = new WeakMap<object, { transaction: Transaction; setting: string }>()

  /** Forgets the catalog: the next audited write reads it again (after enable/disable_capture). */
  refresh(): void {
    this.stale = true
  }

  /** The catalog, read through `executor` (the write's transaction) unless already known. */
  async load(executor: AuditExecutor): Promise<CaptureCatalog> {
    if (this.catalog && !this.stale) return this.catalog
    let tables: Set<string>
    let schema: string
    try {
      tables = await loadCapturedTables(executor)
      const { rows } = await executor.query('SELECT current_schema() AS schema')
      schema = String(rows[0]?.schema ?? 'public')
    } catch (error) {
      throw new AuditConfigurationError(
        `audit-trail: cannot read the capture catalog (${(error as Error).message}). ` +
          'Apply the sql/ migrations first (audit-trail migrate). Nothing was written.',
        { cause: error },
      )
    }
    this.catalog = { tables, schema }
    this.stale = false
    return this.catalog
  }

  /** Whether the catalog read last lists `table`; false while it has not been read. */
  isCaptured(table: string, schema?: string): boolean {
    const catalog = this.catalog
    return catalog !== undefined && catalog.tables.has(`${schema ?? catalog.schema}.${table}`)
  }

  /** Whether the catalog has been read (and not forgotten since). */
  get known(): boolean {
    return this.catalog !== undefined && !this.stale
  }

  /** Runs SET_AUDIT_CONTEXT_SQL in `transaction`, unless this transaction already set the same JSON. */
  async handOff(args: { readonly executor: AuditExecutor; readonly transaction: Transaction; readonly setting: string }): Promise<void> {
    const connection = transactionConnection(args.transaction)
    const last = connection ? this.sent.get(connection) : undefined
    if (last && last.transaction === args.transaction && last.setting === args.setting) return
    await args.executor.query(SET_AUDIT_CONTEXT_SQL, [args.setting])
    if (connection) this.sent.set(connection, { transaction: args.transaction, setting: args.setting })
  }
}
