import type { AuditExecutor } from '../writer/executor.js'

/**
 * Qualified names (`schema.table`) of the tables with database capture enabled. Plugins read
 * it once so that a captured table is recorded by its trigger only, never twice. Works for the
 * application role (the function is SECURITY DEFINER over the catalog).
 */
export async function loadCapturedTables(executor: AuditExecutor): Promise<Set<string>> {
  const { rows } = await executor.query('SELECT name FROM audit_trail.captured_table_names() AS name')
  return new Set(rows.map((row) => String(row.name)))
}

/** Options of `audit_trail.enable_capture` for one table (SQL names). */
export interface CaptureOptions {
  /** `resource_type` of the entries. Default: the table name. */
  resourceType?: string
  /** Column holding the human-readable name (`resource_name`). Default: none. */
  nameColumn?: string
  /** Columns never recorded, besides `updated_at` / `updatedAt`. Default: none. */
  ignore?: string[]
  /** Columns stored as `"[REDACTED]"`, besides the name-based defaults. Default: none. */
  redact?: string[]
  /** Toggle column; `false` for none. Default: `enabled`, `active`, `is_active`, `available`. */
  toggle?: string | false
}

/** Bound parameters for `enable_capture`; the table name is a regclass text, never interpolated. */
export const ENABLE_CAPTURE_SQL =
  'SELECT audit_trail.enable_capture($1::regclass, resource_type => $2, name_column => $3, ignore => $4, redact => $5, toggle => $6)'

/**
 * Enables capture on `table` (e.g. `'public.items'`). Needs the role that owns the log (it
 * creates SECURITY DEFINER triggers). Idempotent: running it again updates the options.
 */
export async function enableCapture(executor: AuditExecutor, table: string, options: CaptureOptions = {}): Promise<void> {
  await executor.query(ENABLE_CAPTURE_SQL, [
    table,
    options.resourceType ?? null,
    options.nameColumn ?? null,
    options.ignore ?? null,
    options.redact ?? null,
    options.toggle === false ? '' : (options.toggle ?? null),
  ])
}

/** Turns capture off for `table`. Idempotent. */
export async function disableCapture(executor: AuditExecutor, table: string): Promise<void> {
  await executor.query('SELECT audit_trail.disable_capture($1::regclass)', [table])
}
