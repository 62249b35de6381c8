import { CaptureState, type AuditExecutor } from '@audit-trail/core'
import type { Transaction } from 'sequelize'
import { transactionConnection } from './sequelize-internals.js'

/** Core's CaptureState on Sequelize transactions (keyed by the transaction's connection). */
export class CaptureHandoff extends CaptureState {
  /** Hands the context to the capture triggers in `transaction`, once per transaction and context. */
  async handOff(args: { readonly executor: AuditExecutor; readonly transaction: Transaction; readonly setting: string }): Promise<void> {
    await this.handOffOnce({ ...args, connection: transactionConnection(args.transaction) })
  }
}
