/** Per-model settings of an ORM plugin. Keys of `models` are the ORM's model or entity names. */
export interface ModelAuditOptions {
  /** `resource_type` of the model's entries. Default: the table name. */
  resourceType?: string
  /** `resource_name`: the column or field holding a human-readable name. Default: none. */
  name?: string
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
  /** Reject writing statements made outside `runWithAuditContext` (model writes and raw SQL), before anything is written. Default: false. */
  requireContext?: boolean
  /** `log_name` of the entries when the context sets none. Default: `'backoffice'`. */
  logName?: string
}
