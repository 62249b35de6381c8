import { CaptureState } from '@audit-trail/core'
import { transactionExecutor, type KyselyLike } from './transaction-executor.js'

/** A table as the capture catalog names it; no schema means the connection's current schema. */
export interface TableName {
  readonly name: string
  readonly schema?: string | undefined
}

/** Core's CaptureState on MikroORM's Kysely transactions. */
export class CaptureHandoff {
  private readonly state = new CaptureState()

  /** Forgets the catalog: the next write reads it again. */
  refresh(): void {
    this.state.refresh()
  }

  /** Whether the catalog has been read (and not forgotten since). */
  get known(): boolean {
    return this.state.known
  }

  /** Reads the catalog through `context` (a transaction, or the pool) unless already known. */
  async load(context: KyselyLike): Promise<void> {
    await this.state.load(transactionExecutor(context))
  }

  /** Whether the catalog read last lists `table`; false while it has not been read. */
  isCaptured(table: TableName): boolean {
    return this.state.isCaptured(table.name, table.schema)
  }

  /** Runs SET_AUDIT_CONTEXT_SQL in `transaction`, unless it already set the same JSON there. */
  async handOff(transaction: KyselyLike, setting: string): Promise<void> {
    const connection = await transaction.getExecutor().provideConnection(async (c) => c)
    await this.state.handOffOnce({ executor: transactionExecutor(transaction), connection, transaction, setting })
  }
}

/** The table an entity maps to, as the capture catalog names it. */
export function entityTable(meta: { readonly tableName: string; readonly schema?: string }): TableName {
  return { name: meta.tableName, schema: meta.schema && meta.schema !== '*' ? meta.schema : undefined }
}
