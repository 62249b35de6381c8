-- audit-trail functions/02: database-level capture.
--
-- Installs: audit_trail.enable_capture(table, ...) / audit_trail.disable_capture(table), the
-- catalog audit_trail.captured_tables (+ view audit_trail.capture_catalog), and the trigger
-- functions that record INSERT, UPDATE, DELETE and TRUNCATE on a captured table into
-- audit_trail.activity_log with the same `changes` JSON the ORM plugins write.
-- Needs: the numbered files, functions/01. Run as the role that owns the log: the trigger functions are SECURITY
-- DEFINER, so roles writing to a captured table need no privilege on the log itself.
-- Repeatable: re-applied by every migrate (CREATE OR REPLACE), so it may change between releases.
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

-- Redaction and the size cap, for one encoded value that may be over the cap: a value whose
-- payload (a string's UTF-8, the raw bytes, or the JSON text) is larger becomes a marker with
-- its size and SHA-256.
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

-- Re-reads the key of `target` into its captured_tables row and regenerates its capture function
-- (after columns were added, dropped, renamed or retyped, or the key changed).
CREATE OR REPLACE FUNCTION audit_trail.refresh_capture(target regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  cfg audit_trail.captured_tables;
BEGIN
  UPDATE audit_trail.captured_tables SET key_columns = audit_trail.table_key(target) WHERE table_oid = target
  RETURNING * INTO cfg;
  IF FOUND THEN
    PERFORM audit_trail.generate_capture_function(target, cfg);
  END IF;
END
$$;

-- The columns that identify a row of `target`: its primary key in key order; a table without one
-- is keyed by every column, in column order (a link table "_ArticleToTag"(A, B) gets ["1","2"]).
CREATE OR REPLACE FUNCTION audit_trail.table_key(target regclass) RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce((
      SELECT array_agg(a.attname::text ORDER BY k.ord)
      FROM pg_index i
      CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = target AND i.indisprimary), (
      SELECT array_agg(a.attname::text ORDER BY a.attnum)
      FROM pg_attribute a
      WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped), '{}')
$$;

-- A parsed context JSON (from a tag or from set_config) checked strictly: an object with only
-- the known keys, text values (metadata: an object), actor_type 'user' or 'system'. Returns it
-- with `source` set, or NULL when anything is wrong: a malformed context is treated as absent and
-- never fails the write. Plain SQL, inlined into its callers (STABLE like jsonb_build_object:
-- an IMMUTABLE declaration would stop the inlining); the parse and the IP address check are
-- theirs (they need an exception block).
CREATE OR REPLACE FUNCTION audit_trail.context_fields(ctx jsonb, from_tag boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN jsonb_typeof(ctx) IS DISTINCT FROM 'object' THEN NULL
    WHEN (ctx - ARRAY['log_name', 'actor_type', 'actor_id', 'actor_name', 'actor_email', 'impersonator_id', 'impersonator_name',
                      'ip_address', 'user_agent', 'location_id', 'tenant_id', 'request_id', 'source', 'metadata']) <> '{}'::jsonb
      OR jsonb_path_exists(ctx - 'metadata', '$.* ? (@.type() != "string" && @.type() != "null")')
      OR coalesce(jsonb_typeof(ctx -> 'metadata'), 'null') NOT IN ('object', 'null')
      OR coalesce(ctx ->> 'actor_type', 'system') NOT IN ('user', 'system') THEN NULL
    ELSE ctx || jsonb_build_object('source', CASE
      WHEN from_tag THEN 'orm'
      WHEN ctx ->> 'source' IN ('orm', 'manual') THEN ctx ->> 'source'
      ELSE 'trigger' END)
  END
$$;

-- A context JSON as text (from set_config) parsed and checked (context_fields), or NULL.
-- Not SECURITY DEFINER and no SET: these run on every captured write, inside the capture
-- function whose search_path is pinned (a SET here would cost a search_path switch per call).
CREATE OR REPLACE FUNCTION audit_trail.checked_context(raw text, from_tag boolean) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  ctx jsonb;
  ip inet;
BEGIN
  IF raw IS NULL THEN
    RETURN NULL;
  END IF;
  BEGIN
    ctx := raw::jsonb;
    ip := ctx ->> 'ip_address';
  EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
  END;
  RETURN audit_trail.context_fields(ctx, from_tag);
END
$$;

-- The audit context of the statement being run: its own tag, else the transaction's
-- set_config('audit_trail.context'), else NULL. The tag is read only from the very END of the
-- statement text (it must end with '*/), from its LAST comment, and its value must be base64url:
-- a quoted literal ends with a quote and a bound parameter is not in the text, so neither can
-- pass for a tag. split_part(..., -1) (a byte search) and string functions on that last comment
-- only: functions that count characters (right, length, translate) or a regular expression over
-- a long statement (an 80 KB createMany) cost more than the rest of the trigger.
CREATE OR REPLACE FUNCTION audit_trail.statement_context() RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  statement text := current_query();
  last_comment text := split_part(statement, '/*', -1);
  pair text;
  tag text;
  ctx jsonb;
  ip inet;
BEGIN
  -- last_comment is the whole statement when it holds no '/*'.
  IF octet_length(last_comment) < octet_length(statement) AND right(last_comment, 3) = '''*/' THEN
    -- k1='v1',audit_trail='<value>',k2='v2'  (sqlcommenter: values URL-encoded, so no bare ' or ,)
    FOREACH pair IN ARRAY string_to_array(left(last_comment, -2), ',') LOOP
      pair := btrim(pair);
      IF left(pair, 13) = 'audit_trail=''' AND right(pair, 1) = '''' AND octet_length(pair) > 14 THEN
        tag := substr(pair, 14, octet_length(pair) - 14);
        EXIT;
      END IF;
    END LOOP;
    -- base64url, unpadded (ASCII, so bytes are characters); the bytes may still not be UTF-8 or JSON.
    IF tag ~ '^[A-Za-z0-9_-]+$' AND octet_length(tag) % 4 <> 1 THEN
      BEGIN
        ctx := convert_from(decode(replace(replace(tag, '-', '+'), '_', '/') || repeat('=', (4 - octet_length(tag) % 4) % 4), 'base64'), 'UTF8')::jsonb;
        ip := ctx ->> 'ip_address';  -- an assignment, not PERFORM: a plain expression, not a query
      EXCEPTION WHEN OTHERS THEN
        ctx := NULL;
      END;
      ctx := audit_trail.context_fields(ctx, true);
      IF ctx IS NOT NULL THEN
        RETURN ctx;
      END IF;
    END IF;
  END IF;
  -- No context anywhere (raw SQL from a console, a job without context) costs no further call.
  IF coalesce(current_setting('audit_trail.context', true), '') = '' THEN
    RETURN NULL;
  END IF;
  RETURN audit_trail.setting_context();
END
$$;

-- The transaction's set_config('audit_trail.context', <json>, true), checked, or NULL.
CREATE OR REPLACE FUNCTION audit_trail.setting_context() RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT audit_trail.checked_context(nullif(current_setting('audit_trail.context', true), ''), false)
$$;

-- The context columns of the entries the running statement writes: the statement's context (statement_context()) with the defaults
-- (log_name 'backoffice', actor_type 'system'), or without one the database role: actor_type
-- 'database', session_user, the client's address and application_name. One call per captured
-- statement; the generated capture functions read its fields as plain parameters.
CREATE OR REPLACE FUNCTION audit_trail.entry_context() RETURNS audit_trail.entry_context
LANGUAGE plpgsql STABLE AS $$
DECLARE
  ctx jsonb := audit_trail.statement_context();
  entry audit_trail.entry_context;
BEGIN
  IF ctx IS NULL THEN
    entry.log_name := 'backoffice';
    entry.actor_type := 'database';
    entry.actor_name := session_user;
    entry.ip_address := inet_client_addr();
    entry.source := 'trigger';
    entry.metadata := jsonb_build_object('application_name', nullif(current_setting('application_name', true), ''));
  ELSE
    -- checked_context() let only the context keys through, each a string or null (metadata: an
    -- object), with a valid ip_address and source set.
    entry := jsonb_populate_record(NULL::audit_trail.entry_context, ctx);
    entry.log_name := coalesce(entry.log_name, 'backoffice');
    entry.actor_type := coalesce(entry.actor_type, 'system');
  END IF;
  RETURN entry;
END
$$;

-- A json/jsonb column's encoded value (not NULL): JSON null and objects shaped like a tag
-- ({"$x": ...}, one key starting with $) wrapped in {"$json": ...}; over the size cap, the marker
-- of finish_value. A function, not inlined SQL: the generated statement stays small (its size is
-- what a single-row write pays for), and only changed values are encoded.
CREATE OR REPLACE FUNCTION audit_trail.json_value(v jsonb, max_bytes integer) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  encoded jsonb := v;
  form text := v::text;
BEGIN
  IF form = 'null' THEN
    encoded := '{"$json": null}';
  ELSIF left(form, 3) = '{"$' THEN
    -- jsonb lists the shortest key first: only an object whose first key starts with $ can be
    -- shaped like a tag.
    IF (SELECT count(*) = 1 FROM jsonb_object_keys(v)) THEN
      encoded := jsonb_build_object('$json', v);
    END IF;
  END IF;
  IF octet_length(form) + 16 > max_bytes THEN
    RETURN audit_trail.finish_value(encoded, false, max_bytes);
  END IF;
  RETURN encoded;
END
$$;

-- The capture path is generated per table: at enable_capture and after every change of the
-- table's shape (refresh_capture), audit_trail.capture_table_<oid>() is written for exactly its
-- columns, key, name column and ignore/redact/toggle lists. A write then runs one INSERT ...
-- SELECT over the statement's transition table, with each column's comparison and encoding
-- inlined as plain expressions: no catalog read, no to_jsonb of whole rows, no dynamic SQL.

-- A column's {"old": ..., "new": ...} pair when either value is over the size cap: each value
-- through finish_value (only called then; see capture_pair_sql).
CREATE OR REPLACE FUNCTION audit_trail.capped_pair(old_value jsonb, new_value jsonb, max_bytes integer) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('old', audit_trail.finish_value(old_value, false, max_bytes),
                            'new', audit_trail.finish_value(new_value, false, max_bytes))
$$;

-- SQL text of one column's {"old": ..., "new": ...} pair, for the column references old_ref and
-- new_ref (either may be 'NULL': a created or a deleted row), encoded as the header says.
-- jsonb_build_object encodes a value itself exactly as to_jsonb does (SQL NULL as JSON null), so
-- only the types with a tagged form get an expression of their own: the statement stays small,
-- and its size is most of what a single-row write costs. A type whose values can be large gets a
-- size test first (an upper bound of the payload finish_value measures): only a pair with a value
-- over the cap goes through capped_pair.
CREATE OR REPLACE FUNCTION audit_trail.capture_pair_sql(old_ref text, new_ref text, type_oid oid, type_len smallint, redacted boolean, max_bytes integer)
RETURNS text LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  encode text;  -- format() pattern of the encoded value (%1$s: the reference; %2$s: it in UTC); NULL: the value itself
  size text;    -- format() pattern of the size bound; NULL: values are always small (or json_value caps them)
  ref text;
  plain_values text[] := '{}';
  json_values text[] := '{}';
  over_cap text[] := '{}';
BEGIN
  IF redacted THEN
    encode := 'CASE WHEN %1$s IS NOT NULL THEN ''"[REDACTED]"''::jsonb END';
  ELSIF type_oid = 'int8'::regtype THEN
    encode := 'CASE WHEN %1$s IS NOT NULL THEN jsonb_build_object(''$bigint'', %1$s::text) END';
  ELSIF type_oid = 'numeric'::regtype THEN
    encode := 'CASE WHEN %1$s IS NOT NULL THEN jsonb_build_object(''$decimal'', trim_scale(%1$s)::text) END';
    size := 'pg_column_size(%1$s) * 8 + 16';
  ELSIF type_oid IN ('timestamptz'::regtype, 'timestamp'::regtype) THEN
    -- UTC ISO-8601, milliseconds, or microseconds when the value has sub-millisecond precision.
    encode := 'CASE WHEN NOT isfinite(%1$s) THEN jsonb_build_object(''$date'', %1$s::text) WHEN %1$s IS NOT NULL THEN jsonb_build_object(''$date'', '
              'to_char(%2$s, CASE WHEN extract(microseconds FROM %1$s)::bigint %% 1000 = 0 THEN ''YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'' '
              'ELSE ''YYYY-MM-DD"T"HH24:MI:SS.US"Z"'' END)) END';
  ELSIF type_oid = 'bytea'::regtype THEN
    encode := 'CASE WHEN %1$s IS NOT NULL THEN jsonb_build_object(''$bytes'', translate(encode(%1$s, ''base64''), E''\n'', '''')) END';
    size := 'octet_length(%1$s)';
  ELSIF type_oid IN ('float4'::regtype, 'float8'::regtype) THEN
    encode := 'CASE WHEN %1$s IN (''NaN'', ''Infinity'', ''-Infinity'') THEN jsonb_build_object(''$number'', %1$s::text) ELSE to_jsonb(%1$s) END';
  ELSIF type_oid IN ('json'::regtype, 'jsonb'::regtype) THEN
    -- JSON null (vs SQL NULL), objects shaped like a tag and the size cap: json_value.
    encode := format('CASE WHEN %%1$s IS NOT NULL THEN audit_trail.json_value(%%1$s::jsonb, %s) END', max_bytes);
  ELSIF type_oid IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype) THEN
    size := 'octet_length(%1$s)';
  ELSIF type_len = -1 THEN
    size := 'octet_length(%1$s::text) * 4 + 16';
  END IF;
  FOREACH ref IN ARRAY ARRAY[old_ref, new_ref] LOOP
    IF ref = 'NULL' THEN
      plain_values := plain_values || 'NULL'::text;
      json_values := json_values || 'NULL::jsonb'::text;
    ELSE
      plain_values := plain_values || coalesce(format(encode, ref, CASE WHEN type_oid = 'timestamptz'::regtype THEN ref || ' AT TIME ZONE ''UTC''' ELSE ref END), ref);
      json_values := json_values || coalesce(format(encode, ref, CASE WHEN type_oid = 'timestamptz'::regtype THEN ref || ' AT TIME ZONE ''UTC''' ELSE ref END), format('to_jsonb(%s)', ref));
      IF size IS NOT NULL THEN
        over_cap := over_cap || format('%s > %s', format(size, ref), max_bytes);
      END IF;
    END IF;
  END LOOP;
  IF cardinality(over_cap) = 0 THEN
    RETURN format('jsonb_build_object(''old'', %s, ''new'', %s)', plain_values[1], plain_values[2]);
  END IF;
  RETURN format('CASE WHEN %s THEN audit_trail.capped_pair(%s, %s, %s) ELSE jsonb_build_object(''old'', %s, ''new'', %s) END',
                array_to_string(over_cap, ' OR '), json_values[1], json_values[2], max_bytes, plain_values[1], plain_values[2]);
END
$$;

-- SQL text that is true when a column's old and new values differ the way the log compares them:
-- by the type's own equality for built-in types where it matches the stored JSON, else by the
-- JSON (to_jsonb) form. SQL NULL and JSON null differ.
CREATE OR REPLACE FUNCTION audit_trail.capture_distinct_sql(col text, type_oid oid) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE
    WHEN type_oid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype, 'float4'::regtype, 'float8'::regtype,
                      'bool'::regtype, 'text'::regtype, 'varchar'::regtype, 'bpchar'::regtype, 'bytea'::regtype, 'date'::regtype,
                      'timestamp'::regtype, 'timestamptz'::regtype, 'time'::regtype, 'uuid'::regtype, 'jsonb'::regtype)
      THEN format('o.%1$I IS DISTINCT FROM n.%1$I', col)
    WHEN type_oid = 'json'::regtype THEN format('o.%1$I::jsonb IS DISTINCT FROM n.%1$I::jsonb', col)
    ELSE format('to_jsonb(o.%1$I) IS DISTINCT FROM to_jsonb(n.%1$I)', col)
  END
$$;

-- Writes audit_trail.capture_table_<oid>() for `target` with the options of `cfg` (its
-- captured_tables row, possibly not stored yet) and its current columns and key. The capture
-- triggers of the table point at it.
CREATE OR REPLACE FUNCTION audit_trail.generate_capture_function(target regclass, cfg audit_trail.captured_tables) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  col record;
  ref_new text;
  ref_old text;
  redacted boolean;
  distinct_sql text;
  recorded text[] := '{}';
  created_pairs text[] := '{}';
  deleted_pairs text[] := '{}';
  updated_parts text[] := '{}';
  field_parts text[] := '{}';
  distinct_parts text[] := '{}';
  toggle_parts text[] := '{}';
  key_new text;
  key_old text;
  name_new text;
  name_old text;
  created_changes text;
  deleted_changes text;
  context_columns text;
  context_values text;
  context_tail text;
  body text;
BEGIN
  FOR col IN
    SELECT a.attname::text AS name, a.atttypid AS type_oid, t.typlen AS type_len
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
    WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped AND NOT (a.attname::text = ANY (cfg.ignore_columns))
    ORDER BY a.attname COLLATE "C"
  LOOP
    recorded := recorded || col.name;
    ref_new := format('n.%I', col.name);
    ref_old := format('o.%I', col.name);
    redacted := col.name = ANY (cfg.redact_columns) OR col.name ~* '(password|passwd|secret|token|api_?key)';
    distinct_sql := audit_trail.capture_distinct_sql(col.name, col.type_oid);
    created_pairs := created_pairs || format('%L, %s', col.name,
      audit_trail.capture_pair_sql('NULL', ref_new, col.type_oid, col.type_len, redacted, cfg.max_value_bytes));
    deleted_pairs := deleted_pairs || format('%L, %s', col.name,
      audit_trail.capture_pair_sql(ref_old, 'NULL', col.type_oid, col.type_len, redacted, cfg.max_value_bytes));
    updated_parts := updated_parts || format('CASE WHEN %s THEN jsonb_build_object(%L, %s) ELSE ''{}''::jsonb END', distinct_sql, col.name,
      audit_trail.capture_pair_sql(ref_old, ref_new, col.type_oid, col.type_len, redacted, cfg.max_value_bytes));
    field_parts := field_parts || format('CASE WHEN %s THEN %L END', distinct_sql, col.name);
    distinct_parts := distinct_parts || distinct_sql;
    IF col.name = ANY (cfg.toggle_columns) AND col.type_oid = 'bool'::regtype THEN
      toggle_parts := toggle_parts || format('WHEN n.%1$I IS NOT NULL AND audit_trail_fields = ARRAY[%2$L] THEN CASE WHEN n.%1$I THEN ''enabled'' ELSE ''disabled'' END',
                                             col.name, col.name);
    END IF;
  END LOOP;

  -- resource_id: the key column as text (its JSON text form), a JSON array for several columns.
  SELECT CASE
      WHEN count(*) = 0 THEN 'NULL::text'
      WHEN count(*) = 1 THEN min(format(part, 'n'))
      ELSE '''['' || ' || string_agg(format('coalesce(to_json(%s)::text, ''null'')', format(part, 'n')), ' || '','' || ' ORDER BY ord) || ' || '']'''
    END,
    CASE
      WHEN count(*) = 0 THEN 'NULL::text'
      WHEN count(*) = 1 THEN min(format(part, 'o'))
      ELSE '''['' || ' || string_agg(format('coalesce(to_json(%s)::text, ''null'')', format(part, 'o')), ' || '','' || ' ORDER BY ord) || ' || '']'''
    END
    INTO key_new, key_old
  FROM (
    -- %s in part: the row alias; the column name is already quoted and escaped for format().
    SELECT k.ord, CASE WHEN a.atttypid IN ('text'::regtype, 'varchar'::regtype) THEN '%s.' || replace(quote_ident(k.name), '%', '%%')
                       WHEN a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) THEN '%s.' || replace(quote_ident(k.name), '%', '%%') || '::text'
                       ELSE '(to_jsonb(%s.' || replace(quote_ident(k.name), '%', '%%') || ') #>> ''{}'')' END AS part
    FROM unnest(audit_trail.table_key(target)) WITH ORDINALITY AS k(name, ord)
    JOIN pg_attribute a ON a.attrelid = target AND a.attname = k.name
  ) AS key_parts;
  IF cfg.name_column IS NOT NULL AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = target AND attname = cfg.name_column AND NOT attisdropped) THEN
    name_new := format('(to_jsonb(n.%I) #>> ''{}'')', cfg.name_column);
    name_old := format('(to_jsonb(o.%I) #>> ''{}'')', cfg.name_column);
  ELSE
    name_new := 'NULL::text';
    name_old := 'NULL::text';
  END IF;

  -- jsonb_build_object takes at most 100 arguments: 50 columns per call, concatenated.
  SELECT coalesce(string_agg(format('jsonb_build_object(%s)', pairs), ' || '), '''{}''::jsonb') INTO created_changes
  FROM (SELECT string_agg(pair, ', ' ORDER BY i) AS pairs FROM unnest(created_pairs) WITH ORDINALITY AS p(pair, i) GROUP BY (i - 1) / 50) AS chunks;
  SELECT coalesce(string_agg(format('jsonb_build_object(%s)', pairs), ' || '), '''{}''::jsonb') INTO deleted_changes
  FROM (SELECT string_agg(pair, ', ' ORDER BY i) AS pairs FROM unnest(deleted_pairs) WITH ORDINALITY AS p(pair, i) GROUP BY (i - 1) / 50) AS chunks;

  context_columns := 'log_name, actor_type, actor_id, actor_name, actor_email, impersonator_id, impersonator_name, '
                     'action, resource_type, resource_id, resource_name, changes, changed_fields, '
                     'ip_address, user_agent, location_id, tenant_id, request_id, source, metadata';
  context_tail := 'audit_trail_context.ip_address, audit_trail_context.user_agent, audit_trail_context.location_id, '
                  'audit_trail_context.tenant_id, audit_trail_context.request_id, audit_trail_context.source, audit_trail_context.metadata';
  context_values := 'audit_trail_context.log_name, audit_trail_context.actor_type, audit_trail_context.actor_id, '
                    'audit_trail_context.actor_name, audit_trail_context.actor_email, audit_trail_context.impersonator_id, '
                    'audit_trail_context.impersonator_name';

  -- The variable's name cannot be a column of the table: its columns appear only as n.x and o.x.
  body := format($body$
DECLARE
  audit_trail_context audit_trail.entry_context := audit_trail.entry_context();
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO audit_trail.activity_log (%1$s)
    SELECT %2$s, 'created', %3$L, %4$s, %5$s, %6$s, %7$L::text[],
           %15$s
    FROM audit_trail_new AS n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO audit_trail.activity_log (%1$s)
    SELECT %2$s, 'deleted', %3$L, %8$s, %9$s, %10$s, %7$L::text[],
           %15$s
    FROM audit_trail_old AS o;
  ELSIF (SELECT count(*) FROM audit_trail_new) = 1 THEN
    -- One row (most writes): the two images need no pairing. Starting the executor for the
    -- pairing plan (two window scans, a join, a sort) cost more than the rest of the statement.
    INSERT INTO audit_trail.activity_log (%1$s)
    SELECT %2$s, CASE %11$s ELSE 'updated' END, %3$L, %4$s, %5$s, audit_trail_changes, audit_trail_fields,
           %15$s
    FROM (
      SELECT n.*, %12$s AS audit_trail_changes, array_remove(ARRAY[%13$s]::text[], NULL) AS audit_trail_fields
      FROM audit_trail_old AS o, audit_trail_new AS n
      WHERE %14$s
    ) AS n;
  ELSE
    -- Old and new images paired by position: PostgreSQL appends both images of each row to the
    -- transition tables together, and a scan returns them in that order (a changed key pairs).
    INSERT INTO audit_trail.activity_log (%1$s)
    SELECT %2$s, CASE %11$s ELSE 'updated' END, %3$L, %4$s, %5$s, audit_trail_changes, audit_trail_fields,
           %15$s
    FROM (
      SELECT n.*, %12$s AS audit_trail_changes, array_remove(ARRAY[%13$s]::text[], NULL) AS audit_trail_fields
      FROM (SELECT row_number() OVER () AS audit_trail_position, t.* FROM audit_trail_old AS t) AS o
      JOIN (SELECT row_number() OVER () AS audit_trail_position, t.* FROM audit_trail_new AS t) AS n
        ON n.audit_trail_position = o.audit_trail_position
      WHERE %14$s
    ) AS n
    ORDER BY n.audit_trail_position;
  END IF;
  RETURN NULL;
END
$body$,
    context_columns,
    context_values,
    cfg.resource_type,
    key_new,
    name_new,
    created_changes,
    recorded::text,
    key_old,
    name_old,
    deleted_changes,
    CASE WHEN cardinality(toggle_parts) = 0 THEN 'WHEN false THEN NULL' ELSE array_to_string(toggle_parts, ' ') END,
    CASE WHEN cardinality(updated_parts) = 0 THEN '''{}''::jsonb' ELSE array_to_string(updated_parts, ' || ') END,
    CASE WHEN cardinality(field_parts) = 0 THEN 'NULL' ELSE array_to_string(field_parts, ', ') END,
    CASE WHEN cardinality(distinct_parts) = 0 THEN 'false' ELSE array_to_string(distinct_parts, ' OR ') END,
    context_tail);

  -- SECURITY DEFINER: roles writing to the table need no privilege on the log. jit = off: the
  -- INSERT of a large statement would otherwise pay JIT compilation (~200 ms per 10,000 rows);
  -- plan_cache_mode: its custom plans cost more to make than they save.
  EXECUTE format('CREATE OR REPLACE FUNCTION audit_trail.%I() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER '
                 'SET search_path = pg_catalog, pg_temp SET jit = off SET plan_cache_mode = force_generic_plan AS %L',
                 'capture_table_' || target::oid, body);
  EXECUTE format('REVOKE ALL ON FUNCTION audit_trail.%I() FROM PUBLIC', 'capture_table_' || target::oid);
END
$$;

-- The generated function of `target`, or NULL when it has none.
CREATE OR REPLACE FUNCTION audit_trail.capture_function(target oid) RETURNS regprocedure
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT to_regprocedure(format('audit_trail.%I()', 'capture_table_' || target))
$$;

-- (Re)creates the capture triggers of one table, on its generated function: one per event, since a
-- trigger with transition tables can fire for one event only; TRUNCATE has no rows and gets one
-- entry.
CREATE OR REPLACE FUNCTION audit_trail.install_capture_triggers(target regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  fn text := format('audit_trail.%I()', 'capture_table_' || target::oid);
BEGIN
  -- The per-row trigger of earlier versions of this file.
  IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = target AND tgname = 'audit_trail_capture') THEN
    EXECUTE format('DROP TRIGGER audit_trail_capture ON %s', target);
  END IF;
  EXECUTE format('CREATE OR REPLACE TRIGGER audit_trail_capture_insert AFTER INSERT ON %s
                  REFERENCING NEW TABLE AS audit_trail_new FOR EACH STATEMENT EXECUTE FUNCTION %s', target, fn);
  EXECUTE format('CREATE OR REPLACE TRIGGER audit_trail_capture_update AFTER UPDATE ON %s
                  REFERENCING OLD TABLE AS audit_trail_old NEW TABLE AS audit_trail_new FOR EACH STATEMENT EXECUTE FUNCTION %s', target, fn);
  EXECUTE format('CREATE OR REPLACE TRIGGER audit_trail_capture_delete AFTER DELETE ON %s
                  REFERENCING OLD TABLE AS audit_trail_old FOR EACH STATEMENT EXECUTE FUNCTION %s', target, fn);
  EXECUTE format('CREATE OR REPLACE TRIGGER audit_trail_capture_truncate AFTER TRUNCATE ON %s
                  FOR EACH STATEMENT EXECUTE FUNCTION audit_trail.capture_truncate()', target);
END
$$;

-- Sets capture of `target` up with the options of `cfg`: its function, its triggers, its catalog
-- row. The row is taken out while the triggers are (re)created and put back after, so the DDL
-- event triggers, which look only at captured tables, do not report the setup as a capture change.
CREATE OR REPLACE FUNCTION audit_trail.install_capture(target regclass, cfg audit_trail.captured_tables) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  cfg.table_oid := target;
  cfg.key_columns := audit_trail.table_key(target);
  DELETE FROM audit_trail.captured_tables WHERE table_oid = target;
  PERFORM audit_trail.generate_capture_function(target, cfg);
  PERFORM audit_trail.install_capture_triggers(target);
  INSERT INTO audit_trail.captured_tables SELECT (cfg).*;
END
$$;

-- TRUNCATE: one entry for the statement (the rows are not enumerated).
CREATE OR REPLACE FUNCTION audit_trail.capture_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  entry audit_trail.entry_context := audit_trail.entry_context();
  table_resource_type text;
BEGIN
  SELECT resource_type INTO table_resource_type FROM audit_trail.captured_tables WHERE table_oid = TG_RELID;
  IF FOUND THEN
    INSERT INTO audit_trail.activity_log (
      log_name, actor_type, actor_id, actor_name, actor_email, impersonator_id, impersonator_name,
      action, resource_type, description, ip_address, user_agent, location_id, tenant_id, request_id, source, metadata)
    VALUES (
      entry.log_name, entry.actor_type, entry.actor_id, entry.actor_name, entry.actor_email, entry.impersonator_id,
      entry.impersonator_name, 'truncated', table_resource_type, format('TRUNCATE %I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME),
      entry.ip_address, entry.user_agent, entry.location_id, entry.tenant_id, entry.request_id, entry.source, entry.metadata);
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
  cfg audit_trail.captured_tables;
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

  SELECT * INTO cfg FROM audit_trail.captured_tables WHERE table_oid = target;
  IF NOT FOUND
     OR (cfg.resource_type, cfg.name_column, cfg.ignore_columns, cfg.redact_columns, cfg.toggle_columns)
        IS DISTINCT FROM (coalesce(resource_type, (SELECT relname::text FROM pg_class WHERE oid = target)), name_column,
                          ARRAY['updated_at', 'updatedAt'] || coalesce(ignore, '{}'), coalesce(redact, '{}'), toggles) THEN
    cfg.enabled_at := now();
  END IF;
  cfg.resource_type := coalesce(resource_type, (SELECT relname::text FROM pg_class WHERE oid = target));
  cfg.name_column := name_column;
  cfg.ignore_columns := ARRAY['updated_at', 'updatedAt'] || coalesce(ignore, '{}');
  cfg.redact_columns := coalesce(redact, '{}');
  cfg.toggle_columns := toggles;
  cfg.max_value_bytes := coalesce(cfg.max_value_bytes, 65536);
  -- Enabling (again) accepts the table's current key as the one verify compares with.
  cfg.enabled_key_columns := audit_trail.table_key(target);
  PERFORM audit_trail.install_capture(target, cfg);
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
  EXECUTE format('DROP FUNCTION IF EXISTS audit_trail.%I()', 'capture_table_' || target::oid);
END
$$;

REVOKE ALL ON FUNCTION audit_trail.enable_capture(regclass, text, text, text[], text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_trail.disable_capture(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_trail.refresh_capture(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_trail.install_capture_triggers(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_trail.install_capture(regclass, audit_trail.captured_tables) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_trail.generate_capture_function(regclass, audit_trail.captured_tables) FROM PUBLIC;

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
                 AND tg.tgfoid IN (audit_trail.capture_function(t.table_oid), 'audit_trail.capture_truncate()'::regprocedure)
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
                          AND tg.tgfoid IN (audit_trail.capture_function(target), 'audit_trail.capture_truncate()'::regprocedure))
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
        EXECUTE format('DROP FUNCTION IF EXISTS audit_trail.%I()', 'capture_table_' || target);
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

-- Every captured table gets its function generated by this version of the file; a table whose
-- triggers still use an earlier version's functions (the generic statement-level or row-level
-- trigger) gets new triggers. Then the generic functions go.
DO $$
DECLARE
  cfg audit_trail.captured_tables;
BEGIN
  FOR cfg IN SELECT c.* FROM audit_trail.captured_tables c JOIN pg_class t ON t.oid = c.table_oid LOOP
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = cfg.table_oid AND tgname = 'audit_trail_capture')
       OR NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = cfg.table_oid AND tgname = 'audit_trail_capture_update'
                        AND tgfoid = audit_trail.capture_function(cfg.table_oid)) THEN
      PERFORM audit_trail.install_capture(cfg.table_oid::regclass, cfg);
    ELSE
      PERFORM audit_trail.generate_capture_function(cfg.table_oid::regclass, cfg);
    END IF;
  END LOOP;
END
$$;
DROP FUNCTION IF EXISTS audit_trail.capture_row();
DROP FUNCTION IF EXISTS audit_trail.json_null_columns(text[], jsonb, anyelement);
DROP FUNCTION IF EXISTS audit_trail.capture_statement();
DROP FUNCTION IF EXISTS audit_trail.capture_value(text, jsonb, boolean, boolean, integer);
DROP FUNCTION IF EXISTS audit_trail.encode_value(text, jsonb);
DROP FUNCTION IF EXISTS audit_trail.capture_value_sql(text, oid, smallint, boolean, integer);
