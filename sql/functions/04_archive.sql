-- audit-trail functions/04: archival of old entries.
--
-- Installs: the append-only triggers of audit_trail.activity_log_archive (004_archive.sql) and
-- audit_trail.archive_entries(older_than_days), which moves sealed entries older than that
-- from the log to the archive in one transaction and records an `archived` entry.
-- Needs: the numbered files, functions/01 and 03. Run as the role that owns the log. Only that role (or a superuser)
-- can archive: EXECUTE is revoked from PUBLIC and the function checks the caller again, and the
-- append-only trigger lets a DELETE through only inside it (see reject_modification in 002).
-- Repeatable: re-applied by every migrate.
--
-- The hash chain (004) is not touched: links stay in activity_log_chain and verify reads the
-- entries from both tables, so the chain verifies across them. Only sealed entries move, so
-- the sealer never has to look in the archive. On a log partitioned by month
-- (sql/optional/partition_activity_log_by_month.sql) whole months are detached from the log and
-- attached to the archive instead of being deleted row by row.

SELECT audit_trail.protect_append_only('audit_trail.activity_log_archive');

-- SECURITY INVOKER on purpose: the DELETE runs with the caller's own rights, so even a
-- mistaken GRANT EXECUTE gives an application role nothing (it has no DELETE privilege and
-- fails the owner check below and in the trigger).
CREATE OR REPLACE FUNCTION audit_trail.archive_entries(older_than_days integer) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  log_owner oid := (SELECT relowner FROM pg_class WHERE oid = 'audit_trail.activity_log'::regclass);
  cutoff timestamptz;
  tail_id bigint;
  source_table regclass := 'audit_trail.activity_log'::regclass;
  summary jsonb := '{"count": 0}';
  moved jsonb;
  total bigint;
BEGIN
  IF NOT pg_has_role(current_user, log_owner, 'USAGE') THEN
    RAISE EXCEPTION 'audit_trail.archive_entries: only the role owning audit_trail.activity_log can archive (current role: %)', current_user
      USING ERRCODE = '42501', HINT = 'Run archival as the owning role, not as the application role.';
  END IF;
  IF older_than_days IS NULL OR older_than_days < 0 THEN
    RAISE EXCEPTION 'audit_trail.archive_entries: older_than_days must be an integer >= 0, got %', coalesce(older_than_days::text, 'NULL')
      USING ERRCODE = '22023';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('audit_trail.archive_entries'));
  cutoff := now() - make_interval(days => older_than_days);

  -- Only sealed entries leave the log: seal first, then move nothing above the chain's tail.
  PERFORM audit_trail.seal_chain();
  tail_id := coalesce((SELECT max(entry_id) FROM audit_trail.activity_log_chain), 0);

  IF (SELECT relkind FROM pg_class WHERE oid = 'audit_trail.activity_log'::regclass) = 'p' THEN
    summary := audit_trail.archive_month_partitions(cutoff, tail_id);
    source_table := to_regclass('audit_trail.activity_log_default');
  END IF;

  IF source_table IS NOT NULL THEN
    PERFORM set_config('audit_trail.archiving', source_table::text, true);
    EXECUTE format(
      'WITH moved AS (DELETE FROM %s e WHERE e.created_at < $1 AND e.id <= $2 RETURNING e.*),
            kept AS (INSERT INTO audit_trail.activity_log_archive SELECT * FROM moved RETURNING id, created_at)
       SELECT jsonb_build_object(''count'', count(*), ''first_id'', min(id), ''last_id'', max(id),
                                 ''from'', min(created_at), ''to'', max(created_at))
       FROM kept', source_table)
      INTO moved USING cutoff, tail_id;
    PERFORM set_config('audit_trail.archiving', '', true);
    summary := audit_trail.merge_archive_summary(summary, moved);
  END IF;

  total := (summary ->> 'count')::bigint;
  IF total > 0 THEN
    INSERT INTO audit_trail.activity_log (actor_type, actor_name, action, resource_type, description, source, metadata)
    VALUES (
      'database', session_user, 'archived', 'activity_log',
      format('Archived %s entries (ids %s to %s) older than %s days', total, summary ->> 'first_id', summary ->> 'last_id', older_than_days),
      'manual',
      jsonb_build_object(
        'count', total,
        'first_id', summary ->> 'first_id',
        'last_id', summary ->> 'last_id',
        'from', audit_trail.format_utc((summary ->> 'from')::timestamptz),
        'to', audit_trail.format_utc((summary ->> 'to')::timestamptz),
        'older_than_days', older_than_days,
        'cutoff', audit_trail.format_utc(cutoff)));
  END IF;
  RETURN total;
END
$$;

-- Two {count, first_id, last_id, from, to} summaries of moved entries, as one.
CREATE OR REPLACE FUNCTION audit_trail.merge_archive_summary(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN coalesce((b ->> 'count')::bigint, 0) = 0 THEN a
    WHEN coalesce((a ->> 'count')::bigint, 0) = 0 THEN b
    ELSE jsonb_build_object(
      'count', (a ->> 'count')::bigint + (b ->> 'count')::bigint,
      'first_id', least((a ->> 'first_id')::bigint, (b ->> 'first_id')::bigint),
      'last_id', greatest((a ->> 'last_id')::bigint, (b ->> 'last_id')::bigint),
      'from', least((a ->> 'from')::timestamptz, (b ->> 'from')::timestamptz),
      'to', greatest((a ->> 'to')::timestamptz, (b ->> 'to')::timestamptz))
  END
$$;

REVOKE ALL ON FUNCTION audit_trail.archive_entries(integer) FROM PUBLIC;

COMMENT ON FUNCTION audit_trail.archive_entries(integer) IS
  'Moves sealed entries older than N days to audit_trail.activity_log_archive and records an archived entry; returns how many. Owner only.';
