import { AuditConfigurationError } from '@audit-trail/core'
import {
  assertStatementContext,
  isWritingStatement,
  planCapture,
  tagStatement,
  type AuditPluginOptions,
} from '@audit-trail/core/plugin'
import type { QueryOptions, Sequelize } from 'sequelize'
import { CaptureCheck } from './capture-check.js'
import { modelTables } from './model-tables.js'
import type { QueryFunction } from './sequelize-executor.js'

/** Options of `attachAuditHooks`: the options every audit-trail plugin takes (see `AuditPluginOptions`). */
export type SequelizeAuditOptions = AuditPluginOptions

/** Removes what `attachAuditHooks` installed: statements are sent untagged and unchecked again. */
export type DetachAuditHooks = () => void

/** What the plugin keeps per attached instance. */
export interface Attachment {
  /** `sequelize.query` as it was before the plugin wrapped it. */
  readonly query: QueryFunction
  readonly check: CaptureCheck
}

type SqlArgument = string | { query: string; values?: unknown; bind?: unknown }

const HOOK_NAME = 'audit-trail'
const attachments = new WeakMap<Sequelize, Attachment>()

/** The plugin's state for `sequelize`, when `attachAuditHooks` is attached to it. */
export function attachmentOf(sequelize: Sequelize): Attachment | undefined {
  return attachments.get(sequelize)
}

/**
 * Makes every statement `sequelize` sends carry the request context, so the capture triggers
 * (`enableSequelizeCapture`) record each write with its actor: model calls, `queryInterface`
 * and raw `sequelize.query`, in or out of transactions. Sends no statement of its own except
 * the startup check, once, before the first write: every audited model's table must be captured
 * with the options given here, or writes fail with `AuditConfigurationError`. With
 * `requireContext`, a writing statement outside `runWithAuditContext` is rejected before it is
 * sent. Define the models first: model names in `options` are checked against `sequelize.models`.
 *
 * @example
 * import { attachAuditHooks } from '@audit-trail/sequelize'
 * const sequelize = new Sequelize(process.env.DATABASE_URL)
 * Item.init(...)
 * attachAuditHooks(sequelize, { models: { Item: { resourceType: 'item', name: 'name' } } })
 *
 * @returns a function that detaches the plugin again (tests, hot reload).
 */
export function attachAuditHooks(sequelize: Sequelize, options: SequelizeAuditOptions = {}): DetachAuditHooks {
  if (attachments.has(sequelize)) {
    throw new AuditConfigurationError(
      'audit-trail: attachAuditHooks was already called on this Sequelize instance; call the function it returned to detach it first.',
    )
  }
  planCapture(modelTables(sequelize), options) // unknown model names and options fail here, at startup
  const { requireContext = false, logName } = options
  const hadOwnQuery = Object.prototype.hasOwnProperty.call(sequelize, 'query')
  const original = sequelize.query
  const check = new CaptureCheck(sequelize, original, options)
  let attached = true

  async function auditedQuery(sql: SqlArgument, queryOptions?: QueryOptions): Promise<unknown> {
    const text = typeof sql === 'string' ? sql : sql?.query
    if (attached && typeof text === 'string') {
      if (requireContext) assertStatementContext(text)
      if (!check.passed && isWritingStatement(text)) await check.run(queryOptions?.transaction)
      // The tag goes on before Sequelize injects replacements or numbers bind parameters: both
      // only touch `:name`, `?` and `$n` tokens, none of which a base64url tag contains, and
      // inlined values land before it, so the statement still ends with the tag.
      const tagged = tagStatement(text, { logName })
      sql = typeof sql === 'string' ? tagged : { ...sql, query: tagged }
    }
    return original.call(sequelize, sql as string, queryOptions)
  }

  // Sequelize 6 has no public hook that sees a statement's SQL (`beforeQuery` runs before it
  // exists, and `options.comment` does not exist), so the plugin replaces THIS instance's
  // `query`: every model method, queryInterface call and transaction statement of the instance
  // goes through `this.sequelize.query` (checked on 6.37). The shared prototypes stay untouched.
  sequelize.query = auditedQuery as QueryFunction
  // A model defined later (or a `belongsToMany` through model) must be captured too: check again.
  sequelize.addHook('afterDefine', HOOK_NAME, () => check.invalidate())
  attachments.set(sequelize, { query: original, check })

  return () => {
    if (!attached) return
    attached = false
    if (sequelize.query === (auditedQuery as QueryFunction)) {
      if (hadOwnQuery) sequelize.query = original
      else delete (sequelize as { query?: unknown }).query
    }
    sequelize.removeHook('afterDefine', HOOK_NAME)
    attachments.delete(sequelize)
  }
}

/**
 * Runs the startup check of `attachAuditHooks` now, unless it has passed already: every audited
 * model's table is captured with the options the code gives. Call it once after defining models
 * to fail at boot instead of on the first write; otherwise the first write runs it.
 *
 * @example
 * attachAuditHooks(sequelize, options)
 * await checkSequelizeCapture(sequelize) // AuditConfigurationError naming each table and option that differs
 */
export async function checkSequelizeCapture(sequelize: Sequelize): Promise<void> {
  const attachment = attachments.get(sequelize)
  if (!attachment) {
    throw new AuditConfigurationError('audit-trail: checkSequelizeCapture(sequelize) needs attachAuditHooks(sequelize, options) first.')
  }
  await attachment.check.run(null)
}
