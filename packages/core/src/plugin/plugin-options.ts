import type { ValueKind } from '../diff/encode-value.js'

/** Per-model settings of an ORM plugin. Keys of `models` are the ORM's model or entity names. */
export interface ModelAuditOptions {
  /** `resource_type` of the model's entries. Default: the table name. */
  resourceType?: string
  /** `resource_name`: a column or field name, or a function of the row (keyed by both). Default: none. */
  name?: string | ((row: Readonly<Record<string, unknown>>) => string | null | undefined)
  /** Extra columns or fields stored as `"[REDACTED]"`. Default: none (the name-based defaults always apply). */
  redact?: string[]
  /** Extra columns or fields never recorded. Default: none (`updated_at` is always ignored). */
  ignore?: string[]
  /** Boolean column whose lone change is recorded as enabled/disabled; false for none. Default: `enabled`, `active`, `is_active`, `available`. */
  toggle?: string | false
  /** false: the model is not audited. Default: true. */
  audit?: boolean
}

/** Options every ORM plugin takes. */
export interface AuditPluginOptions {
  /** Per-model settings, keyed by model or entity name. Default: every model audited with defaults. */
  models?: Record<string, ModelAuditOptions>
  /** Models not audited. Default: none. */
  exclude?: string[]
  /** Reject writes made outside `runWithAuditContext`, before anything is written. Default: false. */
  requireContext?: boolean
  /** `log_name` of the entries when the context sets none. Default: `'backoffice'`. */
  logName?: string
  /** Size cap of one recorded value in bytes; larger values become a size + SHA-256 marker. Default: 65536. */
  maxValueBytes?: number
}

/** How an adapter describes one of its models to core. */
export interface ModelDescriptor {
  /** The ORM's model or entity name (the key in `options.models`). */
  name: string
  /** Table name as in the database, without schema. */
  table: string
  /** Primary key columns, in key order. */
  primaryKey: readonly string[]
  /** Every column, with the ORM field name when it differs and the kind for ORM-stringified values. */
  columns: ReadonlyArray<{ column: string; field?: string; kind?: ValueKind }>
}
