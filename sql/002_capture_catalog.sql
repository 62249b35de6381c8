-- audit-trail 002: the capture catalog.
--
-- Installs: audit_trail.captured_tables, one row per table whose writes the capture triggers
-- record, with its options (resource type, name column, ignore/redact/toggle lists, value cap)
-- and its key. The functions and triggers of capture are in functions/02_capture.sql.
-- Needs: 001. Run as the role that owns the log. A numbered migration: applied once, never
-- edited after release (the runner refuses a changed file); later shapes come as new files.

CREATE TABLE IF NOT EXISTS audit_trail.captured_tables (
  -- The table's OID: survives renames of the table and its schema.
  table_oid        oid PRIMARY KEY,
  resource_type    text NOT NULL,
  name_column      text,
  ignore_columns   text[] NOT NULL,
  redact_columns   text[] NOT NULL,
  -- Columns whose lone change is recorded as enabled / disabled; empty for none.
  toggle_columns   text[] NOT NULL,
  max_value_bytes  integer NOT NULL DEFAULT 65536,
  enabled_at       timestamptz NOT NULL DEFAULT now()
);

-- The table's key as capture last saw it (primary key columns in key order, or every column of a
-- table without one). Refreshed, with the generated capture function, by enable_capture, by
-- audit_trail.refresh_capture(table), and automatically after ALTER TABLE when the event triggers
-- below could be installed (they need a superuser).
ALTER TABLE audit_trail.captured_tables ADD COLUMN IF NOT EXISTS key_columns text[] NOT NULL DEFAULT '{}';
-- Earlier versions cached column encodings here for a generic trigger; the generated functions
-- carry them in their code.
ALTER TABLE audit_trail.captured_tables DROP COLUMN IF EXISTS column_kinds;
ALTER TABLE audit_trail.captured_tables DROP COLUMN IF EXISTS json_columns;
-- The key when capture was (last) enabled: verify reports a table whose key has changed since.
ALTER TABLE audit_trail.captured_tables ADD COLUMN IF NOT EXISTS enabled_key_columns text[];
UPDATE audit_trail.captured_tables SET enabled_key_columns = key_columns WHERE enabled_key_columns IS NULL;

REVOKE ALL ON audit_trail.captured_tables FROM PUBLIC;
