import { checkCaptureTargets, planCapture, type AuditPluginOptions } from '@audit-trail/core/plugin'
import type { Sequelize, Transaction } from 'sequelize'
import { modelTables } from './model-tables.js'
import { sequelizeExecutor, type QueryFunction } from './sequelize-executor.js'

/**
 * The startup check of one attached instance: every audited model's table is captured with the
 * options the code gives. Sequelize has no async init hook, so it runs lazily, once, before the
 * first writing statement (in that statement's transaction, so PGlite's one-transaction-at-a-time
 * never waits on itself), or eagerly through `checkSequelizeCapture`. A failed check rejects every
 * write waiting for it and is run again by the next write; a passed one costs nothing afterwards.
 */
export class CaptureCheck {
  #passed = false
  #generation = 0
  #running: Promise<void> | null = null

  constructor(
    private readonly sequelize: Sequelize,
    private readonly query: QueryFunction,
    private readonly options: AuditPluginOptions,
  ) {}

  /** Whether the last check passed and nothing changed since. */
  get passed(): boolean {
    return this.#passed
  }

  /** Forget the result: models were defined, or capture was set up again. */
  invalidate(): void {
    this.#passed = false
    this.#generation += 1
  }

  /** Runs the check (or joins the one running), in `transaction` when given. Throws `AuditConfigurationError` on drift. */
  run(transaction?: Transaction | null): Promise<void> {
    if (this.#passed) return Promise.resolve()
    if (!this.#running) {
      const generation = this.#generation
      const running = this.#check(transaction).then(() => {
        if (generation === this.#generation) this.#passed = true
      })
      const settled = () => {
        if (this.#running === running) this.#running = null
      }
      running.then(settled, settled)
      this.#running = running
    }
    return this.#running
  }

  async #check(transaction: Transaction | null | undefined): Promise<void> {
    const targets = planCapture(modelTables(this.sequelize), this.options)
    await checkCaptureTargets(sequelizeExecutor(this.sequelize, this.query, transaction), targets)
  }
}
