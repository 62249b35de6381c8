/** Base class of every error audit-trail throws. `instanceof AuditTrailError` catches them all. */
export class AuditTrailError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/**
 * A write was attempted with `requireContext: true` and no `runWithAuditContext` around it.
 * `code` is `'AUDIT_TRAIL_MISSING_CONTEXT'`: it survives ORMs that wrap errors thrown while a
 * statement runs (MikroORM's `DriverException` keeps the message and `code`, not the class).
 */
export class MissingAuditContextError extends AuditTrailError {
  readonly code = 'AUDIT_TRAIL_MISSING_CONTEXT'

  static forWrite(model: string, operation: string): MissingAuditContextError {
    return new MissingAuditContextError(
      `audit-trail: ${model}.${operation} ran without an audit context and requireContext is true; ` +
        'wrap the work in runWithAuditContext({ actor, ... }, fn) or mount auditContextMiddleware. Nothing was written.',
    )
  }

  static forStatement(sql: string): MissingAuditContextError {
    const head = sql.trim().replace(/\s+/g, ' ').slice(0, 80)
    return new MissingAuditContextError(
      `audit-trail: a writing statement (${head}${sql.length > 80 ? '…' : ''}) ran without an audit context and requireContext is true; ` +
        'wrap the work in runWithAuditContext({ actor, ... }, fn) or mount auditContextMiddleware. Nothing was written.',
    )
  }
}

/** Plugin options that cannot work (unknown model names, bad types), or capture set up differently from the code. */
export class AuditConfigurationError extends AuditTrailError {
  static unknownModels(unknown: readonly string[], known: readonly string[]): AuditConfigurationError {
    return new AuditConfigurationError(
      `audit-trail: unknown model name(s) in options: ${unknown.join(', ')}. Known models: ${known.join(', ')}.`,
    )
  }

  static catalogUnreadable(cause: unknown): AuditConfigurationError {
    const error = (cause ?? {}) as { code?: string; message?: string }
    const message = error.message ?? String(cause)
    let fix: string
    if (error.code && (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ECONNRESET)$/.test(error.code) || error.code.startsWith('08') || error.code.startsWith('28') || error.code === '3D000')) {
      fix = 'The database is unreachable or refused the login: check the connection string and that PostgreSQL is up.'
    } else if (error.code === '42P01' || error.code === '3F000' || error.code === '42883') {
      fix = 'sql/ is not applied to this database: run `audit-trail migrate --app-role <role>` (or applyMigrations) as the role that owns the log.'
    } else if (error.code === '42501') {
      fix = 'This role may not read the capture catalog: run `SELECT audit_trail.grant_app_role(\'<role>\')` as the owner.'
    } else {
      fix = 'Check that the database is reachable, that sql/ is applied (audit-trail migrate) and granted to this role (audit_trail.grant_app_role).'
    }
    return new AuditConfigurationError(`audit-trail: cannot read the capture catalog (${message}). ${fix}`, { cause })
  }

  static captureDrift(problems: readonly string[]): AuditConfigurationError {
    return new AuditConfigurationError(
      `audit-trail: database capture does not match the code, so writes would go unrecorded or recorded differently:\n` +
        problems.map((problem) => `  - ${problem}`).join('\n') +
        '\nRun the capture setup as the log owner (enablePrismaCapture / enableSequelizeCapture / enableMikroOrmCapture, ' +
        'or audit-trail capture --config FILE), or change the options to match. Nothing was written.',
    )
  }

  static missingStatementTag(orm: string, fix: string): AuditConfigurationError {
    return new AuditConfigurationError(
      `audit-trail: statements sent through this ${orm} client carry no audit context tag, so every write would be recorded ` +
        `as a database write without the app's actor. ${fix}`,
    )
  }
}

/** A value handed to the query API or `record()` that is not valid (the message names it). */
export class InvalidArgumentError extends AuditTrailError {}

/**
 * A filter the activity log page's viewer got wrong, with the field it belongs to: the page shows
 * the message next to that filter (HTTP 400). Internal to the page's router.
 */
export class PageFilterError extends InvalidArgumentError {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message)
  }
}

/** Applying `sql/` failed; `cause` holds the database error. */
export class MigrationError extends AuditTrailError {
  static sqlNotFound(from: string): MigrationError {
    return new MigrationError(
      `audit-trail: cannot find the sql/ migrations of @audit-trail/core (looked from ${from}); reinstall the package or set AUDIT_TRAIL_SQL_DIR.`,
    )
  }

  static editedMigration(name: string): MigrationError {
    return new MigrationError(
      `audit-trail: migration ${name} was changed after it was applied to this database. Numbered migrations are never edited: ` +
        'restore the file as released, and put the change in a new numbered file (or in functions/, for functions and triggers).',
    )
  }
}

/** A command line that cannot work (unknown flag, missing value); the CLI exits with code 2. */
export class UsageError extends AuditTrailError {}

/** Archival was refused by the database: it runs only as the role that owns the log. */
export class ArchivePermissionError extends AuditTrailError {}

/** `createCheckpoint` found the chain broken, so there is nothing trustworthy to checkpoint. */
export class ChainVerificationError extends AuditTrailError {
  /** What verifyChain found (a ChainVerification; typed structurally so errors.ts imports nothing). */
  constructor(readonly result: { readonly ok: boolean; readonly checked: number; readonly firstBadId?: string; readonly reason?: string }) {
    super(
      `audit-trail: the hash chain does not verify at entry ${result.firstBadId}: ${result.reason}. ` +
        'No checkpoint was created; investigate before taking a new one.',
    )
  }
}

/** The database could not be used for a CLI command or the query API; the message says what to do. */
export class AuditDatabaseError extends AuditTrailError {
  static unreachable(where: string, message: string, cause: unknown): AuditDatabaseError {
    return new AuditDatabaseError(`audit-trail: cannot connect to the database at ${where}: ${message}`, { cause })
  }

  static notMigrated(where: string, message: string, cause: unknown): AuditDatabaseError {
    return new AuditDatabaseError(`audit-trail: ${where} has no audit_trail.activity_log; run audit-trail migrate first (${message}).`, { cause })
  }

  static permissionDenied(where: string, message: string, cause: unknown): AuditDatabaseError {
    return new AuditDatabaseError(
      `audit-trail: permission denied on ${where}: ${message}; connect as a role granted with audit_trail.grant_app_role().`,
      { cause },
    )
  }

  static failed(where: string | null, message: string, cause: unknown): AuditDatabaseError {
    return new AuditDatabaseError(where ? `audit-trail: database error on ${where}: ${message}` : `audit-trail: ${message}`, { cause })
  }
}
