-- audit-trail optional: range-partition the activity log and its archive by month.
--
-- Not applied by `audit-trail migrate`: a DBA runs it once, when the log grows large
-- (tens of millions of entries), after the numbered migrations:
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f sql/optional/partition_activity_log_by_month.sql
-- and then schedules, e.g. monthly (pg_cron or any scheduler):
--   SELECT audit_trail.create_monthly_partitions('audit_trail.activity_log', 3);
--
-- Installs: audit_trail.create_monthly_partitions(table, months_ahead) (one partition per UTC
-- month, named <table>_YYYY_MM, plus <table>_default so an insert never fails),
-- audit_trail.archive_month_partitions(cutoff, tail_id) (used by archive_entries from 005), and
-- converts audit_trail.activity_log and audit_trail.activity_log_archive into partitioned
-- tables with the same columns, indexes (same names), grants, triggers and ids.
-- Needs: 001 to 005. Run as the role that owns the log. The conversion copies every row under
-- an ACCESS EXCLUSIVE lock (writers wait; plan a maintenance window: about a minute per few
-- million entries). Idempotent: on an already partitioned log it only (re)creates functions
-- and partitions. The numbered migrations keep working on the partitioned tables.
--
-- What changes: the primary key becomes (id, created_at) (a partitioned table's unique keys
-- must contain the partition key; ids stay unique, drawn from one identity sequence). Entries
-- and their hash chain links are unchanged, so the chain verifies as before. Append-only
-- holds: the statement triggers stay on the parent and every partition gets its own (a
-- DELETE or TRUNCATE aimed at a partition directly is refused too). archive_entries() then
-- detaches whole months older than the cutoff and attaches them to the archive (no row is
-- deleted or copied), and moves only rows of the default partition row by row. A month with
-- entries newer than the cutoff stays until all of it is older: archival granularity is a month.

CREATE OR REPLACE FUNCTION audit_trail.create_monthly_partitions(
  target regclass, months_ahead integer DEFAULT 3, first_month date DEFAULT NULL
) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  base text := (SELECT relname FROM pg_class WHERE oid = target);
  month date;
  last_month date := (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => months_ahead))::date;
  lower_bound timestamptz;
  upper_bound timestamptz;
  partition_name text;
  default_name text := base || '_default';
  created integer := 0;
  misplaced boolean;
BEGIN
  month := coalesce(date_trunc('month', first_month)::date, date_trunc('month', now() AT TIME ZONE 'UTC')::date);
  last_month := greatest(last_month, month);
  WHILE month <= last_month LOOP
    partition_name := base || '_' || to_char(month, 'YYYY_MM');
    lower_bound := month::timestamp AT TIME ZONE 'UTC';
    upper_bound := (month + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    IF to_regclass(format('audit_trail.%I', partition_name)) IS NULL THEN
      IF to_regclass(format('audit_trail.%I', default_name)) IS NOT NULL THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM audit_trail.%I WHERE created_at >= $1 AND created_at < $2)', default_name)
          INTO misplaced USING lower_bound, upper_bound;
        IF misplaced THEN
          RAISE EXCEPTION 'audit_trail.create_monthly_partitions: % already holds entries of %; the partition % cannot be created',
              default_name, to_char(month, 'YYYY-MM'), partition_name
            USING ERRCODE = '55000',
                  HINT = 'Create partitions ahead of time (schedule this function). Entries in the default partition stay there and are archived row by row.';
        END IF;
      END IF;
      EXECUTE format('CREATE TABLE audit_trail.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                     partition_name, target, lower_bound, upper_bound);
      PERFORM audit_trail.protect_append_only(format('audit_trail.%I', partition_name)::regclass);
      created := created + 1;
    END IF;
    month := (month + interval '1 month')::date;
  END LOOP;
  IF to_regclass(format('audit_trail.%I', default_name)) IS NULL THEN
    EXECUTE format('CREATE TABLE audit_trail.%I PARTITION OF %s DEFAULT', default_name, target);
    PERFORM audit_trail.protect_append_only(format('audit_trail.%I', default_name)::regclass);
    created := created + 1;
  END IF;
  RETURN created;
END
$$;

REVOKE ALL ON FUNCTION audit_trail.create_monthly_partitions(regclass, integer, date) FROM PUBLIC;

-- Replaces `target` (a plain table) by a table partitioned by month on created_at holding the
-- same rows, ids, indexes (same names), grants, comments and append-only triggers.
CREATE OR REPLACE FUNCTION audit_trail.convert_to_monthly_partitions(target regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  base text := (SELECT relname FROM pg_class WHERE oid = target);
  old_table regclass;
  id_sequence regclass := pg_get_serial_sequence(target::text, 'id')::regclass;
  next_id bigint;
  first_month date;
  index_row record;
  grant_row record;
  index_defs text[] := '{}';
  def text;
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = target) = 'p' THEN
    RETURN;
  END IF;
  EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', target);
  IF id_sequence IS NOT NULL THEN
    next_id := coalesce(pg_sequence_last_value(id_sequence), 0) + 1;
  END IF;

  -- Free the names: the new table and its indexes take them, the old ones get a suffix.
  FOR index_row IN
    SELECT i.indexrelid::regclass AS index_oid, c.relname AS index_name, i.indisprimary AS is_primary,
           pg_get_indexdef(i.indexrelid) AS def
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE i.indrelid = target
  LOOP
    IF NOT index_row.is_primary THEN
      index_defs := index_defs || replace(index_row.def, format(' ON %s ', target), format(' ON audit_trail.%I ', base));
    END IF;
    EXECUTE format('ALTER INDEX %s RENAME TO %I', index_row.index_oid, left(index_row.index_name, 48) || '_unpartitioned');
  END LOOP;
  EXECUTE format('ALTER TABLE %s RENAME TO %I', target, base || '_unpartitioned');
  old_table := format('audit_trail.%I', base || '_unpartitioned')::regclass;

  EXECUTE format('CREATE TABLE audit_trail.%I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMMENTS %s) PARTITION BY RANGE (created_at)',
                 base, old_table, CASE WHEN id_sequence IS NOT NULL THEN 'INCLUDING IDENTITY' ELSE '' END);
  EXECUTE format('COMMENT ON TABLE audit_trail.%I IS %L', base, obj_description(old_table, 'pg_class'));
  EXECUTE format('ALTER TABLE audit_trail.%I ADD CONSTRAINT %I PRIMARY KEY (id, created_at)', base, base || '_pkey');
  FOREACH def IN ARRAY index_defs LOOP
    EXECUTE def;
  END LOOP;

  EXECUTE format('SELECT date_trunc(''month'', min(created_at) AT TIME ZONE ''UTC'')::date FROM %s', old_table) INTO first_month;
  PERFORM audit_trail.create_monthly_partitions(format('audit_trail.%I', base)::regclass, 3, first_month);
  EXECUTE format('INSERT INTO audit_trail.%I %s SELECT * FROM %s ORDER BY id', base,
                 CASE WHEN id_sequence IS NOT NULL THEN 'OVERRIDING SYSTEM VALUE' ELSE '' END, old_table);
  IF id_sequence IS NOT NULL THEN
    EXECUTE format('ALTER TABLE audit_trail.%I ALTER COLUMN id RESTART WITH %s', base, next_id);
  END IF;

  FOR grant_row IN
    SELECT a.grantee::regrole AS grantee, a.privilege_type
    FROM pg_class c, aclexplode(c.relacl) a
    WHERE c.oid = old_table AND a.grantee <> c.relowner AND a.grantee <> 0
  LOOP
    EXECUTE format('GRANT %s ON audit_trail.%I TO %s', grant_row.privilege_type, base, grant_row.grantee);
  END LOOP;
  PERFORM audit_trail.protect_append_only(format('audit_trail.%I', base)::regclass);
  EXECUTE format('DROP TABLE %s', old_table);
END
$$;

REVOKE ALL ON FUNCTION audit_trail.convert_to_monthly_partitions(regclass) FROM PUBLIC;

-- Called by audit_trail.archive_entries() (005) on a partitioned log: detaches every month
-- partition that lies wholly before `cutoff` and is wholly sealed (ids <= tail_id), and
-- attaches it to the archive. When the archive already holds entries of that month (archived
-- row by row before partitioning), the month's rows are copied into it instead.
CREATE OR REPLACE FUNCTION audit_trail.archive_month_partitions(cutoff timestamptz, tail_id bigint) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  month_partition record;
  lower_bound timestamptz;
  upper_bound timestamptz;
  moved jsonb;
  summary jsonb := '{"count": 0}';
BEGIN
  FOR month_partition IN
    SELECT c.oid::regclass AS oid, to_date(substring(c.relname FROM '_(\d{4}_\d{2})$'), 'YYYY_MM') AS month
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'audit_trail.activity_log'::regclass AND c.relname ~ '^activity_log_\d{4}_\d{2}$'
    ORDER BY 2
  LOOP
    lower_bound := month_partition.month::timestamp AT TIME ZONE 'UTC';
    upper_bound := (month_partition.month + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    CONTINUE WHEN upper_bound > cutoff;
    EXECUTE format(
      'SELECT jsonb_build_object(''count'', count(*), ''first_id'', min(id), ''last_id'', max(id), ''from'', min(created_at), ''to'', max(created_at)) FROM %s',
      month_partition.oid) INTO moved;
    CONTINUE WHEN coalesce((moved ->> 'last_id')::bigint, 0) > tail_id;
    EXECUTE format('ALTER TABLE audit_trail.activity_log DETACH PARTITION %s', month_partition.oid);
    BEGIN
      EXECUTE format('ALTER TABLE audit_trail.activity_log_archive ATTACH PARTITION %s FOR VALUES FROM (%L) TO (%L)',
                     month_partition.oid, lower_bound, upper_bound);
    EXCEPTION WHEN invalid_object_definition OR check_violation OR wrong_object_type THEN
      EXECUTE format('INSERT INTO audit_trail.activity_log_archive SELECT * FROM %s', month_partition.oid);
      EXECUTE format('DROP TABLE %s', month_partition.oid);
    END;
    summary := audit_trail.merge_archive_summary(summary, moved);
  END LOOP;
  RETURN summary;
END
$$;

REVOKE ALL ON FUNCTION audit_trail.archive_month_partitions(timestamptz, bigint) FROM PUBLIC;

SELECT audit_trail.convert_to_monthly_partitions('audit_trail.activity_log');
SELECT audit_trail.convert_to_monthly_partitions('audit_trail.activity_log_archive');

SELECT audit_trail.create_monthly_partitions('audit_trail.activity_log', 3);
SELECT audit_trail.create_monthly_partitions('audit_trail.activity_log_archive', 0);
