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
-- Context: each statement carries the app's context as a trailing sqlcommenter tag,
--   UPDATE items SET ... /*audit_trail='<base64url of the context JSON>'*/
-- which the trigger reads from current_query() (audit_trail.statement_context()). The JSON holds
-- the entry's context columns (log_name, actor_type, actor_id, actor_name, ..., metadata). A
-- statement without a tag falls back to the transaction's
-- set_config('audit_trail.context', '<json>', true); without either, the entry is recorded as
-- actor_type 'database' with session_user as actor_name. A malformed tag or setting counts as
-- absent: it never fails the write.
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

-- Table shape, cached so the capture trigger reads no catalog: primary key columns in key order,
-- the encoding kind of each column that needs one, and the json/jsonb columns. Refreshed by
-- enable_capture, by audit_trail.refresh_capture(table), and automatically after ALTER TABLE
-- when the event trigger below could be installed (it needs a superuser).
ALTER TABLE audit_trail.captured_tables ADD COLUMN IF NOT EXISTS key_columns text[] NOT NULL DEFAULT '{}';
ALTER TABLE audit_trail.captured_tables ADD COLUMN IF NOT EXISTS column_kinds jsonb NOT NULL DEFAULT '{}';
ALTER TABLE audit_trail.captured_tables ADD COLUMN IF NOT EXISTS json_columns text[] NOT NULL DEFAULT '{}';
-- The key when capture was (last) enabled: verify reports a table whose key has changed since.
ALTER TABLE audit_trail.captured_tables ADD COLUMN IF NOT EXISTS enabled_key_columns text[];
UPDATE audit_trail.captured_tables SET enabled_key_columns = key_columns WHERE enabled_key_columns IS NULL;

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
    -- The primary key's columns in key order; a table without one is keyed by every column, in
    -- column order (a link table "_ArticleToTag"(A, B) gets resource_id ["1","2"]).
    key_columns = coalesce((
      SELECT array_agg(a.attname::text ORDER BY k.ord)
      FROM pg_index i
      CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = target AND i.indisprimary), (
      SELECT array_agg(a.attname::text ORDER BY a.attnum)
      FROM pg_attribute a
      WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped), '{}'),
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

-- A context JSON (from a tag or from set_config) checked strictly: an object with only the
-- known keys, text values (metadata: an object), actor_type 'user' or 'system', a valid IP
-- address. Returns it with `source` set, or NULL when anything is wrong: a malformed context is
-- treated as absent and never fails the write.
CREATE OR REPLACE FUNCTION audit_trail.checked_context(raw text, from_tag boolean) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ctx jsonb;
  key text;
  value jsonb;
BEGIN
  BEGIN
    ctx := raw::jsonb;
    IF jsonb_typeof(ctx) <> 'object' THEN RETURN NULL; END IF;
    FOR key, value IN SELECT * FROM jsonb_each(ctx) LOOP
      IF key = 'metadata' THEN
        IF jsonb_typeof(value) NOT IN ('object', 'null') THEN RETURN NULL; END IF;
      ELSIF key IN ('log_name', 'actor_type', 'actor_id', 'actor_name', 'actor_email', 'impersonator_id',
                    'impersonator_name', 'ip_address', 'user_agent', 'location_id', 'tenant_id', 'request_id', 'source') THEN
        IF jsonb_typeof(value) NOT IN ('string', 'null') THEN RETURN NULL; END IF;
      ELSE
        RETURN NULL;
      END IF;
    END LOOP;
    IF coalesce(ctx ->> 'actor_type', 'system') NOT IN ('user', 'system') THEN RETURN NULL; END IF;
    PERFORM (ctx ->> 'ip_address')::inet;
  EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
  END;
  RETURN ctx || jsonb_build_object('source', CASE
    WHEN from_tag THEN 'orm'
    WHEN ctx ->> 'source' IN ('orm', 'manual') THEN ctx ->> 'source'
    ELSE 'trigger' END);
END
$$;

-- The audit context of the statement being run: its own tag, else the transaction's
-- set_config('audit_trail.context'), else NULL. The tag is read only from the very END of the
-- statement text (it must end with '*/), from its LAST comment, and its value must be base64url:
-- a quoted literal ends with a quote and a bound parameter is not in the text, so neither can
-- pass for a tag. split_part(..., -1) and plain string functions only: a regular expression over
-- a long statement (an 80 KB createMany) costs far more than the rest of the trigger.
CREATE OR REPLACE FUNCTION audit_trail.statement_context() RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  statement text := current_query();
  pair text;
  tag text;
  ctx jsonb;
  setting text;
BEGIN
  IF right(statement, 3) = '''*/' THEN
    -- k1='v1',audit_trail='<value>',k2='v2'  (sqlcommenter: values URL-encoded, so no bare ' or ,)
    FOREACH pair IN ARRAY string_to_array(left(split_part(statement, '/*', -1), -2), ',') LOOP
      pair := btrim(pair);
      IF left(pair, 13) = 'audit_trail=''' AND right(pair, 1) = '''' AND length(pair) > 14 THEN
        tag := substr(pair, 14, length(pair) - 14);
        EXIT;
      END IF;
    END LOOP;
    IF tag IS NOT NULL AND tag ~ '^[A-Za-z0-9_-]+$' AND length(tag) % 4 <> 1 THEN
      BEGIN
        ctx := audit_trail.checked_context(
          convert_from(decode(translate(tag, '-_', '+/') || repeat('=', (4 - length(tag) % 4) % 4), 'base64'), 'UTF8'), true);
      EXCEPTION WHEN OTHERS THEN
        ctx := NULL;
      END;
      IF ctx IS NOT NULL THEN RETURN ctx; END IF;
    END IF;
  END IF;
  setting := nullif(current_setting('audit_trail.context', true), '');
  IF setting IS NOT NULL THEN RETURN audit_trail.checked_context(setting, false); END IF;
  RETURN NULL;
END
$$;

-- One column value, finished: JSON null in a json/jsonb column (to_jsonb shows it as null, like
-- SQL NULL; the trigger finds those apart) → {"$json": null}, SQL NULL → null, redaction, then
-- the encoding and the size cap. A SQL function, so the planner inlines it into the trigger's
-- INSERT: plain values and the common tags (bigint, decimal, finite float) take no function call;
-- dates, bytes, tag-like JSON and large values go through encode_value / finish_value.
CREATE OR REPLACE FUNCTION audit_trail.capture_value(kind text, v jsonb, json_null boolean, redacted boolean, max_bytes integer)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN json_null THEN CASE WHEN redacted THEN '"[REDACTED]"'::jsonb ELSE '{"$json": null}'::jsonb END
    WHEN v IS NULL OR v = 'null'::jsonb THEN 'null'::jsonb
    WHEN redacted THEN '"[REDACTED]"'::jsonb
    WHEN pg_column_size(v) * 4 > max_bytes THEN audit_trail.finish_value(audit_trail.encode_value(kind, v), false, max_bytes)
    WHEN kind IS NULL THEN v
    WHEN kind = 'bigint' THEN jsonb_build_object('$bigint', v #>> '{}')
    WHEN kind = 'decimal' AND jsonb_typeof(v) = 'number' THEN jsonb_build_object('$decimal', trim_scale((v #>> '{}')::numeric)::text)
    WHEN kind = 'float' AND jsonb_typeof(v) = 'number' THEN v
    WHEN kind = 'json' AND jsonb_typeof(v) <> 'object' THEN v
    ELSE audit_trail.encode_value(kind, v)
  END
$$;

-- The capture trigger: statement-level with transition tables, so a statement touching 10,000
-- rows runs one INSERT ... SELECT instead of 10,000 trigger calls. One entry per inserted,
-- updated (with a real change) or deleted row, in row order. Old and new rows of an UPDATE are
-- paired by position: PostgreSQL appends both images of each row to the transition tables
-- together, and a scan returns them in that order (so a changed primary key pairs correctly).
-- plan_cache_mode: the INSERT's custom plans cost more to make (each call) than they save.
CREATE OR REPLACE FUNCTION audit_trail.capture_statement() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  cfg audit_trail.captured_tables;
  ctx jsonb;
  entry_action text;
  old_rows jsonb[];
  new_rows jsonb[];
  old_marks jsonb[];
  new_marks jsonb[];
  mark_sql text;
  redact_all text[];
  json_nulls boolean;
BEGIN
  SELECT * INTO cfg FROM audit_trail.captured_tables WHERE table_oid = TG_RELID;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  -- t.*, not t: a column named t would win over the whole row.
  IF TG_OP = 'INSERT' THEN
    entry_action := 'created';
    SELECT array_agg(to_jsonb(t.*)) INTO new_rows FROM audit_trail_new t;
  ELSIF TG_OP = 'DELETE' THEN
    entry_action := 'deleted';
    SELECT array_agg(to_jsonb(t.*)) INTO old_rows FROM audit_trail_old t;
  ELSE
    entry_action := 'updated';
    SELECT (SELECT array_agg(to_jsonb(t.*)) FROM audit_trail_old t), (SELECT array_agg(to_jsonb(t.*)) FROM audit_trail_new t)
      INTO old_rows, new_rows;
  END IF;
  IF old_rows IS NULL AND new_rows IS NULL THEN
    RETURN NULL;
  END IF;

  -- In one statement: the redacted columns (the catalog's and every column whose name looks
  -- secret), and whether a recorded json/jsonb value reads null: JSON null and SQL NULL look the
  -- same in to_jsonb, so then one dynamic query per transition table tells them apart (rows in
  -- the same order as above). An update whose old and new both read null needs it too: SQL NULL
  -- → JSON null is a change.
  SELECT
    cfg.redact_columns || ARRAY(
      SELECT k FROM jsonb_object_keys(coalesce(new_rows[1], old_rows[1])) AS k
      WHERE k ~* '(password|passwd|secret|token|api_?key)'),
    cfg.json_columns <> '{}' AND EXISTS (
      SELECT 1
      FROM unnest(old_rows, new_rows) AS u(old_raw, new_raw), unnest(cfg.json_columns) AS c
      WHERE u.old_raw -> c = 'null'::jsonb OR u.new_raw -> c = 'null'::jsonb)
    INTO redact_all, json_nulls;
  IF json_nulls THEN
    SELECT string_agg(format('CASE WHEN t.%1$I IS NOT NULL AND t.%1$I::jsonb = ''null''::jsonb THEN %2$L::jsonb ELSE ''{}''::jsonb END',
                             c, jsonb_build_object(c, true)), ' || ')
      INTO mark_sql
    FROM unnest(cfg.json_columns) AS c;
    IF old_rows IS NOT NULL THEN
      EXECUTE 'SELECT array_agg(' || mark_sql || ') FROM audit_trail_old t' INTO old_marks;
    END IF;
    IF new_rows IS NOT NULL THEN
      EXECUTE 'SELECT array_agg(' || mark_sql || ') FROM audit_trail_new t' INTO new_marks;
    END IF;
  END IF;
  ctx := audit_trail.statement_context();

  INSERT INTO audit_trail.activity_log (
    log_name, actor_type, actor_id, actor_name, actor_email, impersonator_id, impersonator_name,
    action, resource_type, resource_id, resource_name, changes, changed_fields,
    ip_address, user_agent, location_id, tenant_id, request_id, source, metadata)
  SELECT
    coalesce(ctx ->> 'log_name', 'backoffice'),
    CASE WHEN ctx IS NULL THEN 'database' ELSE coalesce(ctx ->> 'actor_type', 'system') END,
    ctx ->> 'actor_id',
    CASE WHEN ctx IS NULL THEN session_user::text ELSE ctx ->> 'actor_name' END,
    ctx ->> 'actor_email', ctx ->> 'impersonator_id', ctx ->> 'impersonator_name',
    CASE
      WHEN entry_action = 'updated' AND cardinality(d.columns) = 1 AND d.columns[1] = ANY (cfg.toggle_columns)
           AND jsonb_typeof(r.new_raw -> d.columns[1]) = 'boolean'
        THEN CASE WHEN r.new_raw -> d.columns[1] = 'true'::jsonb THEN 'enabled' ELSE 'disabled' END
      ELSE entry_action
    END,
    cfg.resource_type,
    CASE
      WHEN cardinality(cfg.key_columns) = 1 THEN r.row_raw ->> cfg.key_columns[1]
      WHEN cardinality(cfg.key_columns) > 1 THEN (
        SELECT '[' || string_agg(coalesce(to_json(r.row_raw ->> key.k)::text, 'null'), ',' ORDER BY key.ord) || ']'
        FROM unnest(cfg.key_columns) WITH ORDINALITY AS key(k, ord))
    END,
    CASE WHEN cfg.name_column IS NOT NULL THEN r.row_raw ->> cfg.name_column END,
    coalesce(d.changes, '{}'::jsonb), coalesce(d.columns, '{}'::text[]),
    CASE WHEN ctx IS NULL THEN inet_client_addr() ELSE (ctx ->> 'ip_address')::inet END,
    ctx ->> 'user_agent', ctx ->> 'location_id', ctx ->> 'tenant_id', ctx ->> 'request_id',
    coalesce(ctx ->> 'source', 'trigger'),
    CASE WHEN ctx IS NULL THEN jsonb_build_object('application_name', nullif(current_setting('application_name', true), ''))
         ELSE ctx -> 'metadata' END
  FROM (
    SELECT u.old_raw, u.new_raw, coalesce(u.new_raw, u.old_raw) AS row_raw, u.old_marks, u.new_marks
    FROM unnest(old_rows, new_rows, old_marks, new_marks) AS u(old_raw, new_raw, old_marks, new_marks)
  ) AS r
  CROSS JOIN LATERAL (
    -- Changed columns compare the raw values (jsonb equality already treats 12.50 and 12.5 as
    -- equal), and, for json columns, SQL NULL vs JSON null.
    SELECT
      array_agg(k ORDER BY k COLLATE "C") AS columns,
      jsonb_object_agg(k, jsonb_build_object(
        'old', audit_trail.capture_value(cfg.column_kinds ->> k, r.old_raw -> k, coalesce(r.old_marks ? k, false),
                                         k = ANY (redact_all), cfg.max_value_bytes),
        'new', audit_trail.capture_value(cfg.column_kinds ->> k, r.new_raw -> k, coalesce(r.new_marks ? k, false),
                                         k = ANY (redact_all), cfg.max_value_bytes))) AS changes
    FROM jsonb_object_keys(r.row_raw) AS k
    WHERE NOT (k = ANY (cfg.ignore_columns))
      AND (entry_action <> 'updated' OR (r.old_raw -> k) IS DISTINCT FROM (r.new_raw -> k)
           OR coalesce(r.old_marks ? k, false) <> coalesce(r.new_marks ? k, false))
  ) AS d
  -- Row order without a sort: the nested loop follows unnest's order.
  WHERE entry_action <> 'updated' OR d.columns IS NOT NULL;
  RETURN NULL;
END
$$;

-- (Re)creates the capture triggers of one table: one per event, since a trigger with transition
-- tables can fire for one event only; TRUNCATE has no rows and gets one entry.
CREATE OR REPLACE FUNCTION audit_trail.install_capture_triggers(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- The per-row trigger of earlier versions of this file.
  IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = target AND tgname = 'audit_trail_capture') THEN
    EXECUTE format('DROP TRIGGER audit_trail_capture ON %s', target);
  END IF;
  EXECUTE format('CREATE OR REPLACE TRIGGER audit_trail_capture_insert AFTER INSERT ON %s
                  REFERENCING NEW TABLE AS audit_trail_new
                  FOR EACH STATEMENT EXECUTE FUNCTION audit_trail.capture_statement()', target);
  EXECUTE format('CREATE OR REPLACE TRIGGER audit_trail_capture_update AFTER UPDATE ON %s
                  REFERENCING OLD TABLE AS audit_trail_old NEW TABLE AS audit_trail_new
                  FOR EACH STATEMENT EXECUTE FUNCTION audit_trail.capture_statement()', target);
  EXECUTE format('CREATE OR REPLACE TRIGGER audit_trail_capture_delete AFTER DELETE ON %s
                  REFERENCING OLD TABLE AS audit_trail_old
                  FOR EACH STATEMENT EXECUTE FUNCTION audit_trail.capture_statement()', target);
  EXECUTE format('CREATE OR REPLACE TRIGGER audit_trail_capture_truncate AFTER TRUNCATE ON %s
                  FOR EACH STATEMENT EXECUTE FUNCTION audit_trail.capture_truncate()', target);
END
$$;

-- TRUNCATE: one entry for the statement (the rows are not enumerated).
CREATE OR REPLACE FUNCTION audit_trail.capture_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  cfg audit_trail.captured_tables;
  ctx jsonb := audit_trail.statement_context();
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
      coalesce(ctx ->> 'source', 'trigger'),
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

  -- Triggers first, catalog row second: the DDL event trigger looks only at tables in the
  -- catalog, so setting capture up is not itself reported as a capture change.
  PERFORM audit_trail.install_capture_triggers(target);
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
                      EXCLUDED.redact_columns, EXCLUDED.toggle_columns)
  ;
  PERFORM audit_trail.refresh_capture(target);
  UPDATE audit_trail.captured_tables SET enabled_key_columns = key_columns WHERE table_oid = target;
END
$$;

CREATE OR REPLACE FUNCTION audit_trail.disable_capture(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- One entry, then the catalog row goes before the triggers (so their drops are not reported again).
  PERFORM audit_trail.record_capture_change(target, 'SELECT audit_trail.disable_capture', target::text, 'capture disabled');
  DELETE FROM audit_trail.captured_tables WHERE table_oid = target;
  EXECUTE format('DROP TRIGGER IF EXISTS audit_trail_capture ON %s', target);
  EXECUTE format('DROP TRIGGER IF EXISTS audit_trail_capture_insert ON %s', target);
  EXECUTE format('DROP TRIGGER IF EXISTS audit_trail_capture_update ON %s', target);
  EXECUTE format('DROP TRIGGER IF EXISTS audit_trail_capture_delete ON %s', target);
  EXECUTE format('DROP TRIGGER IF EXISTS audit_trail_capture_truncate ON %s', target);
END
$$;

REVOKE ALL ON FUNCTION audit_trail.enable_capture(regclass, text, text, text[], text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_trail.disable_capture(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_trail.refresh_capture(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_trail.install_capture_triggers(regclass) FROM PUBLIC;

-- Plugins read the catalog to know which tables the database already records.
CREATE OR REPLACE FUNCTION audit_trail.captured_table_names() RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT n.nspname || '.' || c.relname
  FROM audit_trail.captured_tables t
  JOIN pg_class c ON c.oid = t.table_oid
  JOIN pg_namespace n ON n.oid = c.relnamespace
$$;

-- Every captured table with its options and its capture triggers that exist and are enabled:
-- what the plugins' startup check compares with the code. Readable by any role (no data).
CREATE OR REPLACE FUNCTION audit_trail.capture_settings()
RETURNS TABLE (schema_name text, table_name text, resource_type text, name_column text, ignore_columns text[],
               redact_columns text[], toggle_columns text[], key_columns text[], triggers text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT n.nspname::text, c.relname::text, t.resource_type, t.name_column, t.ignore_columns, t.redact_columns,
         t.toggle_columns, t.key_columns,
         ARRAY(SELECT tg.tgname::text FROM pg_trigger tg
               WHERE tg.tgrelid = t.table_oid AND tg.tgenabled <> 'D'
                 AND tg.tgfoid IN ('audit_trail.capture_statement()'::regprocedure, 'audit_trail.capture_truncate()'::regprocedure)
               ORDER BY 1)
  FROM audit_trail.captured_tables t
  JOIN pg_class c ON c.oid = t.table_oid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  ORDER BY 1, 2
$$;

-- Why capture of a table may have stopped: a missing or disabled capture trigger, or a primary
-- key that no longer matches the one cached (key_columns). NULL when capture is intact.
CREATE OR REPLACE FUNCTION audit_trail.capture_problem(target oid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE
    WHEN NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = target) THEN 'the table was dropped'
    WHEN missing.names <> '{}' THEN 'capture trigger(s) ' || array_to_string(missing.names, ', ') || ' missing or disabled'
    END
  FROM (
    SELECT ARRAY(
      SELECT expected FROM unnest(ARRAY['audit_trail_capture_delete', 'audit_trail_capture_insert',
                                        'audit_trail_capture_truncate', 'audit_trail_capture_update']) AS expected
      WHERE NOT EXISTS (SELECT 1 FROM pg_trigger tg
                        WHERE tg.tgrelid = target AND tg.tgname = expected AND tg.tgenabled <> 'D'
                          AND tg.tgfoid IN ('audit_trail.capture_statement()'::regprocedure, 'audit_trail.capture_truncate()'::regprocedure))
      ORDER BY 1) AS names
  ) AS missing
$$;

-- One capture_changed entry: DDL that stopped or changed capture of a captured table.
CREATE OR REPLACE FUNCTION audit_trail.record_capture_change(target oid, command_tag text, object_identity text, problem text)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  INSERT INTO audit_trail.activity_log (actor_type, actor_name, action, resource_type, resource_name, description,
                                        ip_address, source, metadata)
  SELECT 'database', session_user::text, 'capture_changed', t.resource_type, object_identity, problem,
         inet_client_addr(), 'trigger',
         jsonb_build_object('command_tag', command_tag, 'object_identity', object_identity, 'session_user', session_user::text,
                            'problem', problem,
                            'application_name', nullif(current_setting('application_name', true), ''))
  FROM audit_trail.captured_tables t WHERE t.table_oid = target
$$;

-- DDL on a captured table (ALTER TABLE, ALTER/CREATE TRIGGER, CREATE/DROP INDEX): re-read its
-- shape, and record a capture_changed entry when a capture trigger is now missing or disabled or
-- the primary key changed. SECURITY DEFINER with a pinned search_path, so any role's DDL works;
-- it touches only captured tables, and DDL on any other table costs one catalog lookup and can
-- never fail because of it (errors become warnings).
CREATE OR REPLACE FUNCTION audit_trail.capture_ddl_end() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  changed record;
  old_key text[];
  new_key text[];
  problem text;
BEGIN
  FOR changed IN
    SELECT DISTINCT ON (t.table_oid) t.table_oid, c.command_tag, c.object_identity
    FROM pg_event_trigger_ddl_commands() AS c
    JOIN audit_trail.captured_tables t
      ON t.table_oid = CASE WHEN c.classid = 'pg_trigger'::regclass THEN (SELECT tgrelid FROM pg_trigger WHERE oid = c.objid)
                            WHEN c.classid = 'pg_class'::regclass THEN coalesce((SELECT indrelid FROM pg_index WHERE indexrelid = c.objid), c.objid)
                       END
  LOOP
    BEGIN
      SELECT key_columns INTO old_key FROM audit_trail.captured_tables WHERE table_oid = changed.table_oid;
      PERFORM audit_trail.refresh_capture(changed.table_oid::regclass);
      SELECT key_columns INTO new_key FROM audit_trail.captured_tables WHERE table_oid = changed.table_oid;
      problem := audit_trail.capture_problem(changed.table_oid);
      IF old_key IS DISTINCT FROM new_key THEN
        problem := concat_ws('; ', problem, format('primary key changed from (%s) to (%s)', array_to_string(old_key, ', '), array_to_string(new_key, ', ')));
      END IF;
      IF problem IS NOT NULL THEN
        PERFORM audit_trail.record_capture_change(changed.table_oid, changed.command_tag, changed.object_identity, problem);
      END IF;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'audit-trail: could not check capture after % on %: %', changed.command_tag, changed.object_identity, SQLERRM;
    END;
  END LOOP;
END
$$;

-- DROP of a captured table or of one of its capture triggers: a capture_changed entry. A dropped
-- table also leaves the catalog. (A dropped primary key is an ALTER TABLE: capture_ddl_end.)
CREATE OR REPLACE FUNCTION audit_trail.capture_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  dropped record;
  target oid;
BEGIN
  FOR dropped IN SELECT * FROM pg_event_trigger_dropped_objects() WHERE object_type IN ('table', 'trigger') LOOP
    BEGIN
      IF dropped.object_type = 'table' THEN
        target := dropped.objid;
      ELSE
        -- address_names of a trigger: {schema, table, trigger}
        target := to_regclass(format('%I.%I', dropped.address_names[1], dropped.address_names[2]));
      END IF;
      CONTINUE WHEN target IS NULL OR NOT EXISTS (SELECT 1 FROM audit_trail.captured_tables WHERE table_oid = target);
      IF dropped.object_type = 'trigger' AND dropped.address_names[3] NOT IN (
           'audit_trail_capture_delete', 'audit_trail_capture_insert', 'audit_trail_capture_truncate', 'audit_trail_capture_update') THEN
        CONTINUE;
      END IF;
      PERFORM audit_trail.record_capture_change(target, tg_tag, dropped.object_identity, CASE dropped.object_type
        WHEN 'table' THEN 'the captured table was dropped'
        ELSE format('capture trigger %s was dropped', dropped.address_names[3]) END);
      IF dropped.object_type = 'table' THEN
        DELETE FROM audit_trail.captured_tables WHERE table_oid = target;
      END IF;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'audit-trail: could not record % of %: %', tg_tag, dropped.object_identity, SQLERRM;
    END;
  END LOOP;
END
$$;

REVOKE ALL ON FUNCTION audit_trail.capture_problem(oid) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_trail.record_capture_change(oid, text, text, text) FROM PUBLIC;

-- Event triggers need a superuser. Without one, run audit_trail.refresh_capture('<table>')
-- after changing the columns of a captured table (until then new columns are recorded with
-- to_jsonb's default form and a renamed key column gives a null resource_id; nothing fails),
-- and rely on verify (and the plugins' startup check) to report capture that was switched off.
DO $$
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    -- Earlier versions: a caller-rights event trigger that made every other role's DDL fail.
    DROP EVENT TRIGGER IF EXISTS audit_trail_refresh_capture;
    DROP FUNCTION IF EXISTS audit_trail.refresh_capture_after_ddl();
    DROP EVENT TRIGGER IF EXISTS audit_trail_capture_ddl_end;
    DROP EVENT TRIGGER IF EXISTS audit_trail_capture_sql_drop;
    CREATE EVENT TRIGGER audit_trail_capture_ddl_end ON ddl_command_end
      WHEN TAG IN ('ALTER TABLE', 'ALTER TRIGGER', 'CREATE TRIGGER', 'CREATE INDEX', 'DROP INDEX', 'ALTER INDEX')
      EXECUTE FUNCTION audit_trail.capture_ddl_end();
    CREATE EVENT TRIGGER audit_trail_capture_sql_drop ON sql_drop
      EXECUTE FUNCTION audit_trail.capture_sql_drop();
  END IF;
END
$$;

-- Tables captured by an earlier version of this file (one row-level trigger) move to the
-- statement-level triggers; then the row-level functions go.
DO $$
DECLARE
  captured oid;
BEGIN
  FOR captured IN
    SELECT c.table_oid FROM audit_trail.captured_tables c
    WHERE EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = c.table_oid AND tgname = 'audit_trail_capture')
  LOOP
    PERFORM audit_trail.install_capture_triggers(captured::regclass);
  END LOOP;
END
$$;
DROP FUNCTION IF EXISTS audit_trail.capture_row();
DROP FUNCTION IF EXISTS audit_trail.json_null_columns(text[], jsonb, anyelement);
