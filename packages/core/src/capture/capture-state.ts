import { AuditConfigurationError } from '../errors.js'
import type { AuditExecutor } from '../writer/executor.js'
import { loadCapturedTables } from './captured-tables.js'
import { SET_AUDIT_CONTEXT_SQL } from './context-handoff.js'

interface CaptureCatalog {
  readonly tables: ReadonlySet<string>
  readonly schema: string
}

/**
 * What an ORM plugin knows about database capture: which tables have capture triggers, and which
 * context each transaction has already handed to them. Shared by the Sequelize and MikroORM
 * plugins, which wrap it around their own transaction objects.
 *
 * The catalog is read on the first write that needs it, through that write's executor (inside
 * its transaction when it has one): a read on a second connection could wait forever behind the
 * app's open transaction on an engine that runs one transaction at a time (PGlite). It is kept
 * until `refresh()`, after which the next write reads it again.
 */
export class CaptureState {
  private catalog: CaptureCatalog | undefined
  private stale = false
  // Per connection: the transaction that last set the context there, and the JSON it set.
  // Keyed by connection, not transaction, because savepoints share the connection: a context
  // set inside a savepoint outlives the savepoint's release and vanishes with its rollback.
  private readonly sent = new WeakMap<object, { transaction: object; setting: string }>()

  /** Forgets the catalog: the next write reads it again (after enable/disable_capture). */
  refresh(): void {
    this.stale = true
  }

  /** Whether the catalog has been read (and not forgotten since). */
  get known(): boolean {
    return this.catalog !== undefined && !this.stale
  }

  /** Reads the catalog and the connection's current schema through `executor`, unless already known. */
  async load(executor: AuditExecutor): Promise<void> {
    if (this.known) return
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

  /** Whether the catalog read last lists `table` (in `schema`, default the connection's); false while unread. */
  isCaptured(table: string, schema?: string): boolean {
    const catalog = this.catalog
    return catalog !== undefined && catalog.tables.has(`${schema ?? catalog.schema}.${table}`)
  }

  /**
   * Runs SET_AUDIT_CONTEXT_SQL through `executor` (inside `transaction`), unless this transaction
   * already set the same JSON on `connection`. Without a connection it always runs.
   */
  async handOffOnce(args: {
    readonly executor: AuditExecutor
    readonly connection: object | undefined
    readonly transaction: object
    readonly setting: string
  }): Promise<void> {
    const last = args.connection ? this.sent.get(args.connection) : undefined
    if (last && last.transaction === args.transaction && last.setting === args.setting) return
    await args.executor.query(SET_AUDIT_CONTEXT_SQL, [args.setting])
    if (args.connection) this.sent.set(args.connection, { transaction: args.transaction, setting: args.setting })
  }
}
