-- audit-trail 003: database-level capture.
--
-- Installs: audit_trail.enable_capture(table, ...) / audit_trail.disable_capture(table), the
-- catalog audit_trail.captured_tables (+ view audit_trail.capture_catalog), and the trigger
-- functions that record INSERT, UPDATE, DELETE and TRUNCATE on a captured table into
-- audit_trail.activity_log with the same `changes` JSON the ORM plugins write.
-- Needs: 001, 002. Run as the role that owns the log: the trigger functions are SECURITY
-- DEFINER, so roles writing to a captured table need no privilege on the log itself.
-- Idempotent.
--
-- Context hand-off: an ORM plugin writing to a captured table first runs, in the same
-- transaction, SELECT set_config('audit_trail.context', '<json>', true); the JSON holds the
-- entry's context columns (actor_type, actor_id, actor_name, ..., metadata, source). Without it
-- the entry is recorded as actor_type 'database' with session_user as actor_name.
--
-- Value encoding (kept identical to @audit-trail/core's encodeValue):
--   bigint → {"$bigint": "<text>"}, numeric → {"$decimal": trim_scale text},
--   timestamptz / timestamp → {"$date": "YYYY-MM-DDTHH:MI:SS.mmmZ"} (UTC; microseconds when
--   not whole milliseconds), bytea → {"$bytes": base64}, float NaN/±Infinity → {"$number": ...},
--   JSON null in json/jsonb → {"$json": null}, JSON objects shaped like a tag → {"$json": {...}},
--   everything else as to_jsonb gives it.

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

REVOKE ALL ON audit_trail.captured_tables FROM PUBLIC;

CREATE OR REPLACE VIEW audit_trail.capture_catalog AS
  SELECT c.table_oid::regclass AS table_name, c.resource_type, c.name_column, c.ignore_columns,
         c.redact_columns, c.toggle_columns, c.max_value_bytes, c.enabled_at
  FROM audit_trail.captured_tables c
  WHERE EXISTS (SELECT 1 FROM pg_class WHERE oid = c.table_oid);

COMMENT ON VIEW audit_trail.capture_catalog IS 'Tables whose writes are recorded by audit-trail capture triggers, and their options.';

-- UTC ISO-8601 with milliseconds, or microseconds when the value has sub-millisecond precision
-- (JavaScript's Date cannot carry those, so values written through an ORM always have ms).
CREATE OR REPLACE FUNCTION audit_trail.format_utc(ts timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT to_char(ts AT TIME ZONE 'UTC',
    CASE WHEN extract(microseconds FROM ts)::bigint % 1000 = 0
      THEN 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"' END)
$$;

-- One column value, as @audit-trail/core encodes it. `v` is to_jsonb() of the value.
CREATE OR REPLACE FUNCTION audit_trail.encode_value(type_oid oid, v jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN v IS NULL OR jsonb_typeof(v) = 'null' THEN 'null'::jsonb
    WHEN type_oid = 20 THEN jsonb_build_object('$bigint', v #>> '{}')
    WHEN type_oid = 1700 THEN
      jsonb_build_object('$decimal', CASE WHEN jsonb_typeof(v) = 'number' THEN trim_scale((v #>> '{}')::numeric)::text ELSE v #>> '{}' END)
    WHEN type_oid IN (1184, 1114) THEN
      CASE WHEN v #>> '{}' IN ('infinity', '-infinity') THEN jsonb_build_object('$date', v #>> '{}')
      ELSE jsonb_build_object('$date', audit_trail.format_utc(
        CASE WHEN type_oid = 1184 THEN (v #>> '{}')::timestamptz ELSE ((v #>> '{}')::timestamp AT TIME ZONE 'UTC') END))
      END
    WHEN type_oid = 17 THEN
      jsonb_build_object('$bytes', translate(encode(decode(substr(v #>> '{}', 3), 'hex'), 'base64'), E'\n', ''))
    WHEN type_oid IN (700, 701) AND jsonb_typeof(v) = 'string' THEN jsonb_build_object('$number', v #>> '{}')
    WHEN type_oid IN (114, 3802) AND jsonb_typeof(v) = 'object'
         AND (SELECT count(*) = 1 AND bool_and(k LIKE '$%') FROM jsonb_object_keys(v) k)
      THEN jsonb_build_object('$json', v)
    ELSE v
  END
$$;

-- A row (to_jsonb of it) with every value encoded, typed by the table's columns.
-- json/jsonb columns holding a JSON null are told apart from SQL NULL by `null_json_columns`.
CREATE OR REPLACE FUNCTION audit_trail.encode_row(rel oid, r jsonb, null_json_columns text[]) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_object_agg(e.key,
           CASE WHEN e.key = ANY (null_json_columns) THEN '{"$json": null}'::jsonb
                ELSE audit_trail.encode_value(a.atttypid, e.value) END), '{}'::jsonb)
  FROM jsonb_each(r) e
  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = rel AND a.attname = e.key AND NOT a.attisdropped
$$;

-- Columns of type json/jsonb whose value in `rec` is a JSON null (to_jsonb shows SQL NULL and
-- JSON null alike, so each such column is looked at directly; only null-looking ones).
CREATE OR REPLACE FUNCTION audit_trail.json_null_columns(rel oid, r jsonb, rec anyelement) RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
  col text;
  is_sql_null boolean;
  found_columns text[] := '{}';
BEGIN
  FOR col IN
    SELECT a.attname FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid IN (114, 3802)
      AND jsonb_typeof(r -> a.attname::text) = 'null'
  LOOP
    EXECUTE format('SELECT ($1).%I IS NULL', col) INTO is_sql_null USING rec;
    IF NOT is_sql_null THEN found_columns := found_columns || col; END IF;
  END LOOP;
  RETURN found_columns;
END
$$;

-- Redaction and the size cap, applied to one encoded value.
CREATE OR REPLACE FUNCTION audit_trail.finish_value(v jsonb, redacted boolean, max_bytes integer) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  payload bytea;
BEGIN
  IF v IS NULL OR jsonb_typeof(v) = 'null' THEN RETURN 'null'::jsonb; END IF;
  IF redacted THEN RETURN '"[REDACTED]"'::jsonb; END IF;
  IF jsonb_typeof(v) = 'string' THEN
    IF length(v #>> '{}') * 4 <= max_bytes THEN RETURN v; END IF;
    payload := convert_to(v #>> '{}', 'UTF8');
  ELSIF jsonb_typeof(v) = 'object' AND v ? '$bytes' THEN
    IF length(v ->> '$bytes') * 3 / 4 <= max_bytes THEN RETURN v; END IF;
    payload := decode(v ->> '$bytes', 'base64');
  ELSIF jsonb_typeof(v) IN ('object', 'array') THEN
    IF pg_column_size(v) <= max_bytes / 4 THEN RETURN v; END IF;
    payload := convert_to(v::text, 'UTF8');
  ELSE
    RETURN v;
  END IF;
  IF octet_length(payload) <= max_bytes THEN RETURN v; END IF;
  RETURN jsonb_build_object('$truncated',
    jsonb_build_object('bytes', octet_length(payload), 'sha256', encode(sha256(payload), 'hex')));
END
$$;

-- resource_id: the primary key as text; composite keys as a JSON array of text, no spaces.
CREATE OR REPLACE FUNCTION audit_trail.resource_id(rel oid, r jsonb) RETURNS text
LANGUAGE sql STABLE AS $$
  WITH key AS (
    SELECT k.ord, a.attname::text AS name
    FROM pg_catalog.pg_index i
    CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE i.indrelid = rel AND i.indisprimary
  )
  SELECT CASE WHEN count(*) = 1 THEN max(r ->> name)
              ELSE '[' || string_agg(coalesce(to_json(r ->> name)::text, 'null'), ',' ORDER BY ord) || ']' END
  FROM key
$$;

-- The row trigger: one entry per inserted, updated or deleted row.
CREATE OR REPLACE FUNCTION audit_trail.capture_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  cfg audit_trail.captured_tables;
  ctx jsonb;
  old_raw jsonb;
  new_raw jsonb;
  old_row jsonb;
  new_row jsonb;
  change_set jsonb;
  fields text[];
  entry_action text;
  lone_value jsonb;
BEGIN
  SELECT * INTO cfg FROM audit_trail.captured_tables WHERE table_oid = TG_RELID;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    old_raw := to_jsonb(OLD);
    old_row := audit_trail.encode_row(TG_RELID, old_raw, audit_trail.json_null_columns(TG_RELID, old_raw, OLD));
  END IF;
  IF TG_OP <> 'DELETE' THEN
    new_raw := to_jsonb(NEW);
    new_row := audit_trail.encode_row(TG_RELID, new_raw, audit_trail.json_null_columns(TG_RELID, new_raw, NEW));
  END IF;

  SELECT coalesce(jsonb_object_agg(c.key, jsonb_build_object(
           'old', audit_trail.finish_value(c.old_value, c.redacted, cfg.max_value_bytes),
           'new', audit_trail.finish_value(c.new_value, c.redacted, cfg.max_value_bytes))), '{}'::jsonb),
         coalesce(array_agg(c.key ORDER BY c.key COLLATE "C"), '{}')
    INTO change_set, fields
  FROM (
    SELECT k.key, old_row -> k.key AS old_value, new_row -> k.key AS new_value,
           (k.key = ANY (cfg.redact_columns) OR k.key ~* '(password|passwd|secret|token|api_?key)') AS redacted
    FROM jsonb_object_keys(coalesce(new_row, old_row)) AS k(key)
    WHERE NOT (k.key = ANY (cfg.ignore_columns))
      AND (TG_OP <> 'UPDATE' OR (old_row -> k.key) IS DISTINCT FROM (new_row -> k.key))
  ) c;

  IF TG_OP = 'INSERT' THEN
    entry_action := 'created';
  ELSIF TG_OP = 'DELETE' THEN
    entry_action := 'deleted';
  ELSE
    IF cardinality(fields) = 0 THEN
      RETURN NULL;
    END IF;
    entry_action := 'updated';
    IF cardinality(fields) = 1 AND fields[1] = ANY (cfg.toggle_columns) THEN
      lone_value := new_raw -> fields[1];
      IF jsonb_typeof(lone_value) = 'boolean' THEN
        entry_action := CASE WHEN lone_value = 'true'::jsonb THEN 'enabled' ELSE 'disabled' END;
      END IF;
    END IF;
  END IF;

  ctx := nullif(current_setting('audit_trail.context', true), '')::jsonb;
  PERFORM audit_trail.insert_captured_entry(ctx, entry_action, cfg.resource_type,
    audit_trail.resource_id(TG_RELID, coalesce(new_raw, old_raw)),
    CASE WHEN cfg.name_column IS NOT NULL THEN coalesce(new_raw, old_raw) ->> cfg.name_column END,
    change_set, fields, NULL);
  RETURN NULL;
END
$$;

-- Writes one captured entry with the handed-off context, or as the database role without one.
CREATE OR REPLACE FUNCTION audit_trail.insert_captured_entry(
  ctx jsonb, entry_action text, entry_resource_type text, entry_resource_id text, entry_resource_name text,
  entry_changes jsonb, entry_fields text[], entry_description text
) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  INSERT INTO audit_trail.activity_log (
    log_name, actor_type, actor_id, actor_name, actor_email, impersonator_id, impersonator_name,
    action, resource_type, resource_id, resource_name, changes, changed_fields, description,
    ip_address, user_agent, location_id, tenant_id, request_id, source, metadata)
  SELECT
    coalesce(ctx ->> 'log_name', 'backoffice'),
    CASE WHEN ctx IS NULL THEN 'database' ELSE coalesce(ctx ->> 'actor_type', 'system') END,
    ctx ->> 'actor_id',
    CASE WHEN ctx IS NULL THEN session_user::text ELSE ctx ->> 'actor_name' END,
    ctx ->> 'actor_email', ctx ->> 'impersonator_id', ctx ->> 'impersonator_name',
    entry_action, entry_resource_type, entry_resource_id, entry_resource_name, entry_changes, entry_fields,
    entry_description,
    CASE WHEN ctx IS NULL THEN inet_client_addr() ELSE (ctx ->> 'ip_address')::inet END,
    ctx ->> 'user_agent', ctx ->> 'location_id', ctx ->> 'tenant_id', ctx ->> 'request_id',
    CASE WHEN ctx ->> 'source' IN ('orm', 'manual') THEN ctx ->> 'source' ELSE 'trigger' END,
    CASE WHEN ctx IS NULL THEN jsonb_build_object('application_name', nullif(current_setting('application_name', true), ''))
         ELSE ctx -> 'metadata' END
$$;

-- TRUNCATE: one entry for the statement (the rows are not enumerated).
CREATE OR REPLACE FUNCTION audit_trail.capture_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  cfg audit_trail.captured_tables;
BEGIN
  SELECT * INTO cfg FROM audit_trail.captured_tables WHERE table_oid = TG_RELID;
  IF FOUND THEN
    PERFORM audit_trail.insert_captured_entry(
      nullif(current_setting('audit_trail.context', true), '')::jsonb, 'truncated', cfg.resource_type, NULL, NULL,
      NULL, NULL, format('TRUNCATE %I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME));
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION audit_trail.enable_capture(
  target regclass,
  resource_type text DEFAULT NULL,
  name_column text DEFAULT NULL,
  ignore text[] DEFAULT NULL,
  redact text[] DEFAULT NULL,
  toggle text DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  table_columns text[];
  missing text[];
  toggles text[];
BEGIN
  IF target IS NULL THEN
    RAISE EXCEPTION 'audit_trail.enable_capture: table is null' USING ERRCODE = '22004';
  END IF;
  IF (SELECT relkind FROM pg_class WHERE oid = target) NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'audit_trail.enable_capture: % is not a table', target USING ERRCODE = '42809';
  END IF;
  IF target::oid IN (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'audit_trail') THEN
    RAISE EXCEPTION 'audit_trail.enable_capture: % belongs to audit-trail itself', target USING ERRCODE = '42809';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = target AND indisprimary) THEN
    RAISE EXCEPTION 'audit_trail.enable_capture: table % has no primary key', target
      USING ERRCODE = '42P10',
            HINT = 'Capture identifies each row by its primary key (resource_id). Add one, e.g. ALTER TABLE ... ADD PRIMARY KEY (id).';
  END IF;
  SELECT array_agg(attname::text) INTO table_columns FROM pg_attribute
    WHERE attrelid = target AND attnum > 0 AND NOT attisdropped;
  SELECT array_agg(c) INTO missing
    FROM unnest(coalesce(ignore, '{}') || coalesce(redact, '{}') || coalesce(ARRAY[name_column], '{}')
                || CASE WHEN coalesce(toggle, '') = '' THEN '{}'::text[] ELSE ARRAY[toggle] END) AS c
    WHERE c IS NOT NULL AND NOT (c = ANY (table_columns));
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'audit_trail.enable_capture: % has no column(s) %', target, array_to_string(missing, ', ')
      USING ERRCODE = '42703';
  END IF;
  toggles := CASE
    WHEN toggle IS NULL THEN ARRAY['enabled', 'active', 'is_active', 'available']
    WHEN toggle = '' THEN '{}'::text[]
    ELSE ARRAY[toggle] END;

  INSERT INTO audit_trail.captured_tables AS t
    (table_oid, resource_type, name_column, ignore_columns, redact_columns, toggle_columns)
  VALUES (
    target,
    coalesce(resource_type, (SELECT relname::text FROM pg_class WHERE oid = target)),
    name_column,
    ARRAY['updated_at', 'updatedAt'] || coalesce(ignore, '{}'),
    coalesce(redact, '{}'),
    toggles)
  ON CONFLICT (table_oid) DO UPDATE SET
    resource_type = EXCLUDED.resource_type, name_column = EXCLUDED.name_column,
    ignore_columns = EXCLUDED.ignore_columns, redact_columns = EXCLUDED.redact_columns,
    toggle_columns = EXCLUDED.toggle_columns
  WHERE (t.resource_type, t.name_column, t.ignore_columns, t.redact_columns, t.toggle_columns)
    IS DISTINCT FROM (EXCLUDED.resource_type, EXCLUDED.name_column, EXCLUDED.ignore_columns,
                      EXCLUDED.redact_columns, EXCLUDED.toggle_columns);

  EXECUTE format('CREATE OR REPLACE TRIGGER audit_trail_capture AFTER INSERT OR UPDATE OR DELETE ON %s
                  FOR EACH ROW EXECUTE FUNCTION audit_trail.capture_row()', target);
  EXECUTE format('CREATE OR REPLACE TRIGGER audit_trail_capture_truncate AFTER TRUNCATE ON %s
                  FOR EACH STATEMENT EXECUTE FUNCTION audit_trail.capture_truncate()', target);
END
$$;

CREATE OR REPLACE FUNCTION audit_trail.disable_capture(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DROP TRIGGER IF EXISTS audit_trail_capture ON %s', target);
  EXECUTE format('DROP TRIGGER IF EXISTS audit_trail_capture_truncate ON %s', target);
  DELETE FROM audit_trail.captured_tables WHERE table_oid = target;
END
$$;

REVOKE ALL ON FUNCTION audit_trail.enable_capture(regclass, text, text, text[], text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_trail.disable_capture(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_trail.insert_captured_entry(jsonb, text, text, text, text, jsonb, text[], text) FROM PUBLIC;

-- Plugins read the catalog to know which tables the database already records.
CREATE OR REPLACE FUNCTION audit_trail.captured_table_names() RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT n.nspname || '.' || c.relname
  FROM audit_trail.captured_tables t
  JOIN pg_class c ON c.oid = t.table_oid
  JOIN pg_namespace n ON n.oid = c.relnamespace
$$;
