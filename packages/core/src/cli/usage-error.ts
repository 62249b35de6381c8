import { AuditTrailError } from '../errors.js'

/** A command line that cannot work (unknown flag, missing value); the CLI exits with code 2. */
export class UsageError extends AuditTrailError {}
