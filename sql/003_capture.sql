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

-- Table shape, cached so the row trigger reads no catalog: primary key columns in key order,
-- the encoding kind of each column that needs one, and the json/jsonb columns. Refreshed by
-- enable_capture, by audit_trail.refresh_capture(table), and automatically after ALTER TABLE
-- when the event trigger below could be installed (it needs a superuser).
ALTER TABLE audit_trail.captured_tables ADD COLUMN IF NOT EXISTS key_columns text[] NOT NULL DEFAULT '{}';
ALTER TABLE audit_trail.captured_tables ADD COLUMN IF NOT EXISTS column_kinds jsonb NOT NULL DEFAULT '{}';
ALTER TABLE audit_trail.captured_tables ADD COLUMN IF NOT EXISTS json_columns text[] NOT NULL DEFAULT '{}';

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
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  RETURN to_char(ts AT TIME ZONE 'UTC',
    CASE WHEN extract(microseconds FROM ts)::bigint % 1000 = 0
      THEN 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"' END);
END
$$;

-- One column value, as @audit-trail/core encodes it. `v` is to_jsonb() of the value and `kind`
-- the column's entry in captured_tables.column_kinds. PL/pgSQL rather than SQL: plpgsql keeps
-- its plans for the session, a non-inlined SQL function re-plans on every call from a trigger.
CREATE OR REPLACE FUNCTION audit_trail.encode_value(kind text, v jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
  text_value text;
BEGIN
  IF kind IS NULL OR v IS NULL OR jsonb_typeof(v) = 'null' THEN RETURN v; END IF;
  text_value := v #>> '{}';
  CASE kind
    WHEN 'bigint' THEN RETURN jsonb_build_object('$bigint', text_value);
    WHEN 'decimal' THEN
      RETURN jsonb_build_object('$decimal',
        CASE WHEN jsonb_typeof(v) = 'number' THEN trim_scale(text_value::numeric)::text ELSE text_value END);
    WHEN 'timestamptz', 'timestamp' THEN
      IF text_value IN ('infinity', '-infinity') THEN RETURN jsonb_build_object('$date', text_value); END IF;
      RETURN jsonb_build_object('$date', audit_trail.format_utc(
        CASE WHEN kind = 'timestamptz' THEN text_value::timestamptz ELSE text_value::timestamp AT TIME ZONE 'UTC' END));
    WHEN 'bytes' THEN
      RETURN jsonb_build_object('$bytes', translate(encode(decode(substr(text_value, 3), 'hex'), 'base64'), E'\n', ''));
    WHEN 'float' THEN
      IF jsonb_typeof(v) = 'string' THEN RETURN jsonb_build_object('$number', text_value); END IF;
      RETURN v;
    WHEN 'json' THEN
      IF jsonb_typeof(v) = 'object' AND (SELECT count(*) = 1 AND bool_and(k LIKE '$%') FROM jsonb_object_keys(v) k) THEN
        RETURN jsonb_build_object('$json', v);
      END IF;
      RETURN v;
    ELSE
      RETURN v;
  END CASE;
END
$$;

-- Redaction and the size cap, for one encoded value. Small values leave at the first test.
CREATE OR REPLACE FUNCTION audit_trail.finish_value(v jsonb, redacted boolean, max_bytes integer) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  payload bytea;
BEGIN
  IF v IS NULL OR jsonb_typeof(v) = 'null' THEN RETURN v; END IF;
  IF redacted THEN RETURN '"[REDACTED]"'::jsonb; END IF;
  IF pg_column_size(v) * 4 <= max_bytes THEN RETURN v; END IF;
  IF jsonb_typeof(v) = 'string' THEN
    payload := convert_to(v #>> '{}', 'UTF8');
  ELSIF jsonb_typeof(v) = 'object' AND v ? '$bytes' THEN
    payload := decode(v ->> '$bytes', 'base64');
  ELSIF jsonb_typeof(v) IN ('object', 'array') THEN
    payload := convert_to(v::text, 'UTF8');
  ELSE
    RETURN v;
  END IF;
  IF octet_length(payload) <= max_bytes THEN RETURN v; END IF;
  RETURN jsonb_build_object('$truncated',
    jsonb_build_object('bytes', octet_length(payload), 'sha256', encode(sha256(payload), 'hex')));
END
$$;

-- Reads the shape of `target` into its captured_tables row.
CREATE OR REPLACE FUNCTION audit_trail.refresh_capture(target regclass) RETURNS void
LANGUAGE sql AS $$
  UPDATE audit_trail.captured_tables SET
    key_columns = coalesce((
      SELECT array_agg(a.attname::text ORDER BY k.ord)
      FROM pg_index i
      CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = target AND i.indisprimary), '{}'),
    column_kinds = coalesce((
      SELECT jsonb_object_agg(a.attname, CASE
               WHEN a.atttypid = 'int8'::regtype THEN 'bigint'
               WHEN a.atttypid = 'numeric'::regtype THEN 'decimal'
               WHEN a.atttypid = 'timestamptz'::regtype THEN 'timestamptz'
               WHEN a.atttypid = 'timestamp'::regtype THEN 'timestamp'
               WHEN a.atttypid = 'bytea'::regtype THEN 'bytes'
               WHEN a.atttypid IN ('float4'::regtype, 'float8'::regtype) THEN 'float'
               ELSE 'json' END)
      FROM pg_attribute a
      WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped
        AND a.atttypid IN ('int8'::regtype, 'numeric'::regtype, 'timestamptz'::regtype, 'timestamp'::regtype,
                           'bytea'::regtype, 'float4'::regtype, 'float8'::regtype, 'json'::regtype, 'jsonb'::regtype)), '{}'),
    json_columns = coalesce((
      SELECT array_agg(a.attname::text ORDER BY a.attnum)
      FROM pg_attribute a
      WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped
        AND a.atttypid IN ('json'::regtype, 'jsonb'::regtype)), '{}')
  WHERE table_oid = target
$$;

-- json/jsonb columns of `rec` holding a JSON null (only looked at when to_jsonb shows null).
CREATE OR REPLACE FUNCTION audit_trail.json_null_columns(json_columns text[], r jsonb, rec anyelement) RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
  col text;
  is_sql_null boolean;
  found_columns text[] := '{}';
BEGIN
  FOREACH col IN ARRAY json_columns LOOP
    IF jsonb_typeof(r -> col) = 'null' THEN
      EXECUTE format('SELECT ($1).%I IS NULL', col) INTO is_sql_null USING rec;
      IF NOT is_sql_null THEN found_columns := found_columns || col; END IF;
    END IF;
  END LOOP;
  RETURN found_columns;
END
$$;

-- The row trigger: one entry per inserted, updated or deleted row. Kept lean: one lookup of
-- the table's cached shape, one pass over the changed columns, one INSERT.
CREATE OR REPLACE FUNCTION audit_trail.capture_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  cfg audit_trail.captured_tables;
  ctx jsonb;
  old_raw jsonb;
  new_raw jsonb;
  row_raw jsonb;
  columns text[];
  change_set jsonb := '{}';
  col text;
  kind text;
  old_value jsonb;
  new_value jsonb;
  redacted boolean;
  old_json_nulls text[] := '{}';
  new_json_nulls text[] := '{}';
  recorded_json text[];
  entry_action text;
  lone_value jsonb;
  entry_resource_id text;
BEGIN
  SELECT * INTO cfg FROM audit_trail.captured_tables WHERE table_oid = TG_RELID;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN old_raw := to_jsonb(OLD); END IF;
  IF TG_OP <> 'DELETE' THEN new_raw := to_jsonb(NEW); END IF;
  row_raw := coalesce(new_raw, old_raw);

  -- Changed columns compare the raw values: jsonb equality already treats 12.50 and 12.5 as equal.
  SELECT coalesce(array_agg(k ORDER BY k COLLATE "C"), '{}') INTO columns
  FROM jsonb_object_keys(row_raw) AS k
  WHERE NOT (k = ANY (cfg.ignore_columns))
    AND (TG_OP <> 'UPDATE' OR (old_raw -> k) IS DISTINCT FROM (new_raw -> k));

  IF TG_OP = 'INSERT' THEN
    entry_action := 'created';
  ELSIF TG_OP = 'DELETE' THEN
    entry_action := 'deleted';
  ELSE
    IF cardinality(columns) = 0 THEN
      RETURN NULL;
    END IF;
    entry_action := 'updated';
    IF cardinality(columns) = 1 AND columns[1] = ANY (cfg.toggle_columns) THEN
      lone_value := new_raw -> columns[1];
      IF jsonb_typeof(lone_value) = 'boolean' THEN
        entry_action := CASE WHEN lone_value = 'true'::jsonb THEN 'enabled' ELSE 'disabled' END;
      END IF;
    END IF;
  END IF;

  -- Only the recorded json columns matter, and json_null_columns runs dynamic SQL for each
  -- null one: an update that leaves a null json column alone (most bulk updates) skips it.
  IF cfg.json_columns && columns THEN
    recorded_json := ARRAY(SELECT unnest(cfg.json_columns) INTERSECT SELECT unnest(columns));
    IF old_raw IS NOT NULL THEN old_json_nulls := audit_trail.json_null_columns(recorded_json, old_raw, OLD); END IF;
    IF new_raw IS NOT NULL THEN new_json_nulls := audit_trail.json_null_columns(recorded_json, new_raw, NEW); END IF;
  END IF;

  -- One pass over the recorded columns; plain values (text, int, boolean) take no function call.
  FOREACH col IN ARRAY columns LOOP
    kind := cfg.column_kinds ->> col;
    old_value := old_raw -> col;
    new_value := new_raw -> col;
    IF kind IS NOT NULL THEN
      old_value := CASE WHEN col = ANY (old_json_nulls) THEN '{"$json": null}'::jsonb ELSE audit_trail.encode_value(kind, old_value) END;
      new_value := CASE WHEN col = ANY (new_json_nulls) THEN '{"$json": null}'::jsonb ELSE audit_trail.encode_value(kind, new_value) END;
    END IF;
    redacted := col = ANY (cfg.redact_columns) OR col ~* '(password|passwd|secret|token|api_?key)';
    IF redacted OR pg_column_size(old_value) * 4 > cfg.max_value_bytes THEN
      old_value := audit_trail.finish_value(old_value, redacted, cfg.max_value_bytes);
    END IF;
    IF redacted OR pg_column_size(new_value) * 4 > cfg.max_value_bytes THEN
      new_value := audit_trail.finish_value(new_value, redacted, cfg.max_value_bytes);
    END IF;
    change_set := change_set || jsonb_build_object(col, jsonb_build_object(
      'old', coalesce(old_value, 'null'::jsonb), 'new', coalesce(new_value, 'null'::jsonb)));
  END LOOP;

  IF cardinality(cfg.key_columns) = 1 THEN
    entry_resource_id := row_raw ->> cfg.key_columns[1];
  ELSIF cardinality(cfg.key_columns) > 1 THEN
    SELECT '[' || string_agg(coalesce(to_json(row_raw ->> k)::text, 'null'), ',' ORDER BY ord) || ']'
      INTO entry_resource_id
    FROM unnest(cfg.key_columns) WITH ORDINALITY AS key(k, ord);
  END IF;

  ctx := nullif(current_setting('audit_trail.context', true), '')::jsonb;
  INSERT INTO audit_trail.activity_log (
    log_name, actor_type, actor_id, actor_name, actor_email, impersonator_id, impersonator_name,
    action, resource_type, resource_id, resource_name, changes, changed_fields,
    ip_address, user_agent, location_id, tenant_id, request_id, source, metadata)
  VALUES (
    coalesce(ctx ->> 'log_name', 'backoffice'),
    CASE WHEN ctx IS NULL THEN 'database' ELSE coalesce(ctx ->> 'actor_type', 'system') END,
    ctx ->> 'actor_id',
    CASE WHEN ctx IS NULL THEN session_user::text ELSE ctx ->> 'actor_name' END,
    ctx ->> 'actor_email', ctx ->> 'impersonator_id', ctx ->> 'impersonator_name',
    entry_action, cfg.resource_type, entry_resource_id,
    CASE WHEN cfg.name_column IS NOT NULL THEN row_raw ->> cfg.name_column END,
    change_set, columns,
    CASE WHEN ctx IS NULL THEN inet_client_addr() ELSE (ctx ->> 'ip_address')::inet END,
    ctx ->> 'user_agent', ctx ->> 'location_id', ctx ->> 'tenant_id', ctx ->> 'request_id',
    CASE WHEN ctx ->> 'source' IN ('orm', 'manual') THEN ctx ->> 'source' ELSE 'trigger' END,
    CASE WHEN ctx IS NULL THEN jsonb_build_object('application_name', nullif(current_setting('application_name', true), ''))
         ELSE ctx -> 'metadata' END);
  RETURN NULL;
END
$$;

-- TRUNCATE: one entry for the statement (the rows are not enumerated).
CREATE OR REPLACE FUNCTION audit_trail.capture_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  cfg audit_trail.captured_tables;
  ctx jsonb := nullif(current_setting('audit_trail.context', true), '')::jsonb;
BEGIN
  SELECT * INTO cfg FROM audit_trail.captured_tables WHERE table_oid = TG_RELID;
  IF FOUND THEN
    INSERT INTO audit_trail.activity_log (
      log_name, actor_type, actor_id, actor_name, actor_email, impersonator_id, impersonator_name,
      action, resource_type, description, ip_address, user_agent, location_id, tenant_id, request_id, source, metadata)
    VALUES (
      coalesce(ctx ->> 'log_name', 'backoffice'),
      CASE WHEN ctx IS NULL THEN 'database' ELSE coalesce(ctx ->> 'actor_type', 'system') END,
      ctx ->> 'actor_id',
      CASE WHEN ctx IS NULL THEN session_user::text ELSE ctx ->> 'actor_name' END,
      ctx ->> 'actor_email', ctx ->> 'impersonator_id', ctx ->> 'impersonator_name',
      'truncated', cfg.resource_type, format('TRUNCATE %I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME),
      CASE WHEN ctx IS NULL THEN inet_client_addr() ELSE (ctx ->> 'ip_address')::inet END,
      ctx ->> 'user_agent', ctx ->> 'location_id', ctx ->> 'tenant_id', ctx ->> 'request_id',
      CASE WHEN ctx ->> 'source' IN ('orm', 'manual') THEN ctx ->> 'source' ELSE 'trigger' END,
      CASE WHEN ctx IS NULL THEN jsonb_build_object('application_name', nullif(current_setting('application_name', true), ''))
           ELSE ctx -> 'metadata' END);
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
  IF (SELECT relnamespace FROM pg_class WHERE oid = target) = 'audit_trail'::regnamespace THEN
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
  PERFORM audit_trail.refresh_capture(target);

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
REVOKE ALL ON FUNCTION audit_trail.refresh_capture(regclass) FROM PUBLIC;

-- Plugins read the catalog to know which tables the database already records.
CREATE OR REPLACE FUNCTION audit_trail.captured_table_names() RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT n.nspname || '.' || c.relname
  FROM audit_trail.captured_tables t
  JOIN pg_class c ON c.oid = t.table_oid
  JOIN pg_namespace n ON n.oid = c.relnamespace
$$;

-- After ALTER TABLE on a captured table, re-read its shape (new, dropped, renamed columns).
CREATE OR REPLACE FUNCTION audit_trail.refresh_capture_after_ddl() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  changed oid;
BEGIN
  FOR changed IN
    SELECT DISTINCT objid FROM pg_event_trigger_ddl_commands()
    WHERE classid = 'pg_class'::regclass AND objid IN (SELECT table_oid FROM audit_trail.captured_tables)
  LOOP
    PERFORM audit_trail.refresh_capture(changed::regclass);
  END LOOP;
END
$$;

-- Event triggers need a superuser. Without one, run audit_trail.refresh_capture('<table>')
-- after changing the columns of a captured table (until then new columns are recorded with
-- to_jsonb's default form and a renamed key column gives a null resource_id; nothing fails).
DO $$
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    DROP EVENT TRIGGER IF EXISTS audit_trail_refresh_capture;
    CREATE EVENT TRIGGER audit_trail_refresh_capture ON ddl_command_end
      WHEN TAG IN ('ALTER TABLE', 'CREATE INDEX', 'DROP INDEX')
      EXECUTE FUNCTION audit_trail.refresh_capture_after_ddl();
  END IF;
END
$$;
