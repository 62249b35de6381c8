-- audit-trail functions/05: what `verify` checks besides the hash chain.
--
-- Installs: audit_trail.protection_findings(), one row per problem with the log's protection
-- (table_name schema-qualified):
-- an append-only trigger of the log, the archive or the chain that is missing or not ENABLE
-- ALWAYS, and a captured table whose capture triggers are missing or disabled, or whose primary
-- key is no longer the one capture was enabled with (enable_capture again to accept a new key). No rows: intact. Readable by every role (it
-- shows no data); `audit-trail verify` and `log.verify()` report each row.
-- Needs: the numbered files, functions/01-04. Repeatable: re-applied by every migrate.

CREATE OR REPLACE FUNCTION audit_trail.protection_findings()
RETURNS TABLE (table_name text, problem text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT format('audit_trail.%I', protected.tbl), format('append-only trigger %s is missing or not ENABLE ALWAYS', protected.trg)
  FROM (SELECT tbl, format('%s_reject_%s', tbl, op) AS trg
        FROM unnest(ARRAY['activity_log', 'activity_log_archive', 'activity_log_chain']) AS tbl,
             unnest(ARRAY['update', 'delete', 'truncate']) AS op) AS protected
  WHERE to_regclass(format('audit_trail.%I', protected.tbl)) IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM pg_trigger t
                    WHERE t.tgrelid = to_regclass(format('audit_trail.%I', protected.tbl))
                      AND t.tgname = protected.trg AND t.tgenabled = 'A')
  UNION ALL
  SELECT coalesce(format('%I.%I', n.nspname, t.relname), c.resource_type), p.problem
  FROM audit_trail.captured_tables c
  LEFT JOIN pg_class t ON t.oid = c.table_oid
  LEFT JOIN pg_namespace n ON n.oid = t.relnamespace
  CROSS JOIN LATERAL (
    SELECT concat_ws('; ',
      audit_trail.capture_problem(c.table_oid),
      CASE WHEN EXISTS (SELECT 1 FROM pg_class WHERE oid = c.table_oid) AND c.enabled_key_columns IS DISTINCT FROM coalesce((
             SELECT array_agg(a.attname::text ORDER BY k.ord)
             FROM pg_index i
             CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE i.indrelid = c.table_oid AND i.indisprimary), (
             SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
             WHERE a.attrelid = c.table_oid AND a.attnum > 0 AND NOT a.attisdropped), '{}')
        THEN format('primary key is no longer (%s), as when capture was enabled', array_to_string(c.enabled_key_columns, ', '))
      END) AS problem
  ) AS p
  WHERE p.problem <> ''
  ORDER BY 1, 2
$$;

COMMENT ON FUNCTION audit_trail.protection_findings() IS
  'Problems with the log''s protection (append-only triggers, capture triggers, captured keys); no rows when intact.';
