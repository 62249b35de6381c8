import { AuditConfigurationError } from '../errors.js'
import type { AuditExecutor } from '../writer/executor.js'
import { parseTableName, quoteTableName, type TableName } from './table-name.js'

/** Options of `audit_trail.enable_capture` for one table (SQL names). */
export interface CaptureOptions {
  /** `resource_type` of the entries. Default: the table name. */
  resourceType?: string
  /** Column holding the human-readable name (`resource_name`). Default: none. */
  nameColumn?: string | null
  /** Columns never recorded, besides `updated_at` / `updatedAt`. Default: none. */
  ignore?: readonly string[]
  /** Columns stored as `"[REDACTED]"`, besides the name-based defaults. Default: none. */
  redact?: readonly string[]
  /** Toggle column; `false` for none. Default: `enabled`, `active`, `is_active`, `available`. */
  toggle?: string | false
}

/** Columns every capture ignores, whatever the options say. */
export const ALWAYS_IGNORED_COLUMNS: readonly string[] = ['updated_at', 'updatedAt']
/** Toggle columns when `toggle` is not given. */
export const DEFAULT_TOGGLE_COLUMN_NAMES: readonly string[] = ['enabled', 'active', 'is_active', 'available']
/** Names of the capture triggers `enable_capture` installs on a table. */
export const CAPTURE_TRIGGERS: readonly string[] = [
  'audit_trail_capture_insert',
  'audit_trail_capture_update',
  'audit_trail_capture_delete',
  'audit_trail_capture_truncate',
]

// The table reaches SQL as two bound identifiers, quoted by format('%I'): never as text to parse.
const TABLE_SQL = "format('%I.%I', coalesce($1::text, current_schema()), $2::text)::regclass"
const ENABLE_CAPTURE_SQL = `SELECT 1 AS done FROM audit_trail.enable_capture(${TABLE_SQL}, resource_type => $3, name_column => $4, ignore => $5, redact => $6, toggle => $7)`
const DISABLE_CAPTURE_SQL = `SELECT 1 AS done FROM audit_trail.disable_capture(${TABLE_SQL})`

/**
 * Enables capture on `table` (`'items'`, `'public.TagLists'`, `'public."Article"'` or
 * `{ schema, table }`; unquoted names are taken exactly, never lower-cased). Needs the role that
 * owns the log (it creates SECURITY DEFINER triggers). Idempotent: running it again replaces the
 * options.
 */
export async function enableCapture(executor: AuditExecutor, table: string | TableName, options: CaptureOptions = {}): Promise<void> {
  const name = parseTableName(table)
  await executor.query(ENABLE_CAPTURE_SQL, [
    name.schema ?? null,
    name.table,
    options.resourceType ?? null,
    options.nameColumn ?? null,
    options.ignore ?? null,
    options.redact ?? null,
    options.toggle === false ? '' : (options.toggle ?? null),
  ])
}

/** Turns capture off for `table` (named as for `enableCapture`). Idempotent. */
export async function disableCapture(executor: AuditExecutor, table: string | TableName): Promise<void> {
  const name = parseTableName(table)
  await executor.query(DISABLE_CAPTURE_SQL, [name.schema ?? null, name.table])
}

/** One captured table as the database has it (`audit_trail.capture_settings()`). */
export interface CaptureSettings {
  readonly schema: string
  readonly table: string
  readonly resourceType: string
  readonly nameColumn: string | null
  readonly ignore: readonly string[]
  readonly redact: readonly string[]
  readonly toggle: readonly string[]
  readonly keyColumns: readonly string[]
  /** Capture triggers present and enabled on the table. */
  readonly triggers: readonly string[]
}

/** Every captured table and its options, readable by the application role. */
export async function readCaptureSettings(executor: AuditExecutor): Promise<{ currentSchema: string; tables: CaptureSettings[] }> {
  const { rows } = await executor.query(
    `SELECT current_schema() AS current_schema, s.*
     FROM (SELECT 1) AS one LEFT JOIN audit_trail.capture_settings() AS s ON true`,
  )
  const currentSchema = String(rows[0]?.current_schema ?? 'public')
  const tables = rows
    .filter((row) => row.table_name !== null && row.table_name !== undefined)
    .map((row): CaptureSettings => ({
      schema: String(row.schema_name),
      table: String(row.table_name),
      resourceType: String(row.resource_type),
      nameColumn: (row.name_column as string | null) ?? null,
      ignore: textArray(row.ignore_columns),
      redact: textArray(row.redact_columns),
      toggle: textArray(row.toggle_columns),
      keyColumns: textArray(row.key_columns),
      triggers: textArray(row.triggers),
    }))
  return { currentSchema, tables }
}

/** A table the code wants captured, with the options it wants. */
export interface CaptureTarget {
  /** The ORM's model or entity name (for messages); link tables: the name `models` knows them by. */
  readonly model: string
  /** Schema and exact table name. */
  readonly name: TableName
  /** The capture options in column names, as `enableCapture` takes them. */
  readonly options: CaptureOptions
}

/** Enables capture for every target, in order, in one transaction when `executor` is a pool client in one. Returns the quoted table names. */
export async function enableCaptureTargets(executor: AuditExecutor, targets: readonly CaptureTarget[]): Promise<string[]> {
  for (const target of targets) await enableCapture(executor, target.name, target.options)
  return targets.map((target) => quoteTableName(target.name))
}

/**
 * Fails with `AuditConfigurationError` unless every target is captured, with all its triggers
 * enabled and the same options as the code gives. The message names each table and option that
 * differs, and says how to fix it. Reads one row set through `executor`.
 */
export async function checkCaptureTargets(executor: AuditExecutor, targets: readonly CaptureTarget[]): Promise<void> {
  if (targets.length === 0) return
  let catalog: Awaited<ReturnType<typeof readCaptureSettings>>
  try {
    catalog = await readCaptureSettings(executor)
  } catch (error) {
    throw AuditConfigurationError.catalogUnreadable(error)
  }
  const byName = new Map(catalog.tables.map((settings) => [`${settings.schema}.${settings.table}`, settings]))
  const problems: string[] = []
  for (const target of targets) {
    const schema = target.name.schema ?? catalog.currentSchema
    const label = `${target.model} (${quoteTableName({ schema, table: target.name.table })})`
    const settings = byName.get(`${schema}.${target.name.table}`)
    if (!settings) {
      problems.push(`${label}: capture is not enabled`)
      continue
    }
    const missing = CAPTURE_TRIGGERS.filter((trigger) => !settings.triggers.includes(trigger))
    if (missing.length > 0) problems.push(`${label}: trigger(s) ${missing.join(', ')} missing or disabled`)
    for (const drift of optionDrift(target.options, settings)) problems.push(`${label}: ${drift}`)
  }
  if (problems.length > 0) throw AuditConfigurationError.captureDrift(problems)
}

function optionDrift(wanted: CaptureOptions, actual: CaptureSettings): string[] {
  const drift: string[] = []
  const show = (value: unknown) => JSON.stringify(value)
  const resourceType = wanted.resourceType ?? actual.table
  if (resourceType !== actual.resourceType) {
    drift.push(`resourceType is ${show(actual.resourceType)} in the database, ${show(resourceType)} in the code`)
  }
  const nameColumn = wanted.nameColumn ?? null
  if (nameColumn !== actual.nameColumn) drift.push(`nameColumn is ${show(actual.nameColumn)} in the database, ${show(nameColumn)} in the code`)
  const compare = (option: string, code: readonly string[], database: readonly string[]) => {
    if (!sameSet(code, database)) drift.push(`${option} is ${show(sorted(database))} in the database, ${show(sorted(code))} in the code`)
  }
  compare('ignore', [...ALWAYS_IGNORED_COLUMNS, ...(wanted.ignore ?? [])], actual.ignore)
  compare('redact', wanted.redact ?? [], actual.redact)
  const toggle = wanted.toggle === false ? [] : wanted.toggle === undefined ? DEFAULT_TOGGLE_COLUMN_NAMES : [wanted.toggle]
  compare('toggle', toggle, actual.toggle)
  return drift
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a)
  const right = new Set(b)
  return left.size === right.size && [...left].every((value) => right.has(value))
}

function sorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort()
}

function textArray(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : []
}
