/** Base class of every error audit-trail throws. `instanceof AuditTrailError` catches them all. */
export class AuditTrailError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** A write was attempted with `requireContext: true` and no `runWithAuditContext` around it. */
export class MissingAuditContextError extends AuditTrailError {
  static forWrite(model: string, operation: string): MissingAuditContextError {
    return new MissingAuditContextError(
      `audit-trail: ${model}.${operation} ran without an audit context and requireContext is true; ` +
        'wrap the work in runWithAuditContext({ actor, ... }, fn) or mount auditContextMiddleware. Nothing was written.',
    )
  }
}

/** Plugin options that cannot work (unknown model names, bad types). */
export class AuditConfigurationError extends AuditTrailError {}

/** A value handed to the query API or `record()` that is not valid (the message names it). */
export class InvalidArgumentError extends AuditTrailError {}

/** Applying `sql/` failed; `cause` holds the database error. */
export class MigrationError extends AuditTrailError {}
