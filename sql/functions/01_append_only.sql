-- audit-trail functions/01: append-only protection and the application role's grants.
--
-- Installs: triggers that reject UPDATE, DELETE and TRUNCATE on audit_trail.activity_log for every
-- role (the owner and superusers included); audit_trail.record_event(event jsonb), the one way
-- an application writes a manual entry; and audit_trail.grant_app_role(role_name), which gives
-- an application role SELECT on the log and EXECUTE on record_event (plus SELECT on the archive
-- and the hash chain, and sealing, once 004/005 are installed) and nothing else. The
-- application role has no INSERT: entries come only from SECURITY DEFINER code of sql/ (the
-- capture triggers and record_event), and the server assigns every entry's id, created_at,
-- transaction_id and source. Re-applying this file moves roles granted INSERT by earlier
-- versions to that model.
-- Needs: the numbered files. Run as the owning role.
-- Repeatable: re-applied by every migrate (CREATE OR REPLACE), so it may change between releases.
--
-- Errors raised here use SQLSTATE 42501 (insufficient_privilege), the code PostgreSQL itself
-- uses for "not allowed", so applications can treat both the same way.

CREATE OR REPLACE FUNCTION audit_trail.reject_modification() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Archival (sql/005) is the one way out: audit_trail.archive_entries() names the table it
  -- deletes from in a transaction-local setting, and only the owning role passes the check.
  IF TG_OP = 'DELETE'
     AND current_setting('audit_trail.archiving', true) = format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME)
     AND pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION '% on %.% is not allowed: the activity log is append-only',
      TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = '42501',
          HINT = 'Entries can only be added. Old entries leave the table only through archival by the owning role.';
END
$$;

-- Statement-level, so an UPDATE or DELETE is refused even when it matches no row.
CREATE OR REPLACE TRIGGER activity_log_reject_update
  BEFORE UPDATE ON audit_trail.activity_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_trail.reject_modification();
CREATE OR REPLACE TRIGGER activity_log_reject_delete
  BEFORE DELETE ON audit_trail.activity_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_trail.reject_modification();
CREATE OR REPLACE TRIGGER activity_log_reject_truncate
  BEFORE TRUNCATE ON audit_trail.activity_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_trail.reject_modification();

-- ALWAYS: the triggers also fire under session_replication_role = replica, which would
-- otherwise silence them for a superuser.
ALTER TABLE audit_trail.activity_log ENABLE ALWAYS TRIGGER activity_log_reject_update;
ALTER TABLE audit_trail.activity_log ENABLE ALWAYS TRIGGER activity_log_reject_delete;
ALTER TABLE audit_trail.activity_log ENABLE ALWAYS TRIGGER activity_log_reject_truncate;

-- The triggers above (UPDATE, DELETE, TRUNCATE rejected for every role, ALWAYS) for another table.
CREATE OR REPLACE FUNCTION audit_trail.protect_append_only(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  base text := (SELECT relname FROM pg_class WHERE oid = target);
  op text;
BEGIN
  FOREACH op IN ARRAY ARRAY['update', 'delete', 'truncate'] LOOP
    EXECUTE format('CREATE OR REPLACE TRIGGER %I BEFORE %s ON %s FOR EACH STATEMENT EXECUTE FUNCTION audit_trail.reject_modification()',
                   base || '_reject_' || op, upper(op), target);
    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', target, base || '_reject_' || op);
  END LOOP;
END
$$;

REVOKE ALL ON FUNCTION audit_trail.protect_append_only(regclass) FROM PUBLIC;

-- Nobody gets anything on the log by default; grant_app_role hands out SELECT and record_event.
REVOKE ALL ON audit_trail.activity_log FROM PUBLIC;
REVOKE ALL ON audit_trail.schema_migrations FROM PUBLIC;

-- A manual event (login, logout, login_failed, exported, ...), written with the owner's rights.
-- `event` holds the entry's columns by name; the server assigns id, created_at, transaction_id
-- and source ('manual') and computes changed_fields from changes. Keys naming those columns, or
-- no column at all, are refused (22023), and so is actor_type 'database': that one is reserved
-- for writes the capture triggers see from outside the app. Returns the new entry's id.
CREATE OR REPLACE FUNCTION audit_trail.record_event(event jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  key text;
  value jsonb;
  new_id bigint;
BEGIN
  IF event IS NULL OR jsonb_typeof(event) <> 'object' THEN
    RAISE EXCEPTION 'audit_trail.record_event: event must be a JSON object' USING ERRCODE = '22023';
  END IF;
  FOR key, value IN SELECT * FROM jsonb_each(event) LOOP
    IF key IN ('id', 'created_at', 'transaction_id', 'source', 'changed_fields') THEN
      RAISE EXCEPTION 'audit_trail.record_event: "%" is assigned by the server and cannot be given', key
        USING ERRCODE = '22023';
    ELSIF key IN ('changes', 'metadata') THEN
      IF jsonb_typeof(value) NOT IN ('object', 'null') THEN
        RAISE EXCEPTION 'audit_trail.record_event: "%" must be a JSON object', key USING ERRCODE = '22023';
      END IF;
    ELSIF key IN ('log_name', 'actor_type', 'actor_id', 'actor_name', 'actor_email', 'impersonator_id', 'impersonator_name',
                  'action', 'resource_type', 'resource_id', 'resource_name', 'description', 'ip_address', 'user_agent',
                  'location_id', 'tenant_id', 'request_id') THEN
      IF jsonb_typeof(value) NOT IN ('string', 'null') THEN
        RAISE EXCEPTION 'audit_trail.record_event: "%" must be a string', key USING ERRCODE = '22023';
      END IF;
    ELSE
      RAISE EXCEPTION 'audit_trail.record_event: unknown key "%"', key USING ERRCODE = '22023';
    END IF;
  END LOOP;
  IF coalesce(event ->> 'actor_type', 'system') NOT IN ('user', 'system') THEN
    RAISE EXCEPTION 'audit_trail.record_event: actor_type must be user or system, not %', event ->> 'actor_type'
      USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM jsonb_each(coalesce(nullif(event -> 'changes', 'null'::jsonb), '{}'::jsonb)) AS c(k, v)
             WHERE jsonb_typeof(c.v) <> 'object' OR EXISTS (SELECT 1 FROM jsonb_object_keys(c.v) AS o(k) WHERE o.k NOT IN ('old', 'new'))) THEN
    RAISE EXCEPTION 'audit_trail.record_event: changes must be {"<column>": {"old": v, "new": v}}' USING ERRCODE = '22023';
  END IF;
  INSERT INTO audit_trail.activity_log (
    log_name, actor_type, actor_id, actor_name, actor_email, impersonator_id, impersonator_name,
    action, resource_type, resource_id, resource_name, changes, changed_fields, description,
    ip_address, user_agent, location_id, tenant_id, request_id, source, metadata)
  VALUES (
    coalesce(event ->> 'log_name', 'backoffice'), coalesce(event ->> 'actor_type', 'system'),
    event ->> 'actor_id', event ->> 'actor_name', event ->> 'actor_email', event ->> 'impersonator_id', event ->> 'impersonator_name',
    event ->> 'action', event ->> 'resource_type', event ->> 'resource_id', event ->> 'resource_name',
    nullif(event -> 'changes', 'null'::jsonb),
    (SELECT array_agg(k ORDER BY k COLLATE "C") FROM jsonb_object_keys(nullif(event -> 'changes', 'null'::jsonb)) AS k),
    event ->> 'description', (event ->> 'ip_address')::inet, event ->> 'user_agent', event ->> 'location_id',
    event ->> 'tenant_id', event ->> 'request_id', 'manual', nullif(event -> 'metadata', 'null'::jsonb))
  RETURNING id INTO new_id;
  RETURN new_id;
END
$$;

REVOKE ALL ON FUNCTION audit_trail.record_event(jsonb) FROM PUBLIC;

CREATE OR REPLACE FUNCTION audit_trail.grant_app_role(role_name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  owner_name text;
BEGIN
  IF role_name IS NULL OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
    RAISE EXCEPTION 'audit_trail.grant_app_role: role "%" does not exist', role_name
      USING ERRCODE = '42704', HINT = 'Create the role first, e.g. CREATE ROLE app LOGIN.';
  END IF;
  SELECT tableowner INTO owner_name FROM pg_tables
    WHERE schemaname = 'audit_trail' AND tablename = 'activity_log';
  IF owner_name = role_name THEN
    RAISE EXCEPTION 'audit_trail.grant_app_role: role "%" owns the activity log', role_name
      USING ERRCODE = '42501',
            HINT = 'The application must connect as a role that does not own audit_trail.activity_log.';
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA audit_trail TO %I', role_name);
  EXECUTE format('REVOKE ALL ON audit_trail.activity_log FROM %I', role_name);
  EXECUTE format('GRANT SELECT ON audit_trail.activity_log TO %I', role_name);
  EXECUTE format('GRANT EXECUTE ON FUNCTION audit_trail.record_event(jsonb) TO %I', role_name);
  -- Reading the archive and verifying the chain (sql/004, sql/005), when installed.
  IF to_regclass('audit_trail.activity_log_archive') IS NOT NULL THEN
    EXECUTE format('GRANT SELECT ON audit_trail.activity_log_archive TO %I', role_name);
  END IF;
  IF to_regclass('audit_trail.activity_log_chain') IS NOT NULL THEN
    EXECUTE format('GRANT SELECT ON audit_trail.activity_log_chain TO %I', role_name);
    EXECUTE format('GRANT EXECUTE ON FUNCTION audit_trail.seal_chain(interval) TO %I', role_name);
  END IF;
END
$$;

REVOKE ALL ON FUNCTION audit_trail.grant_app_role(text) FROM PUBLIC;

COMMENT ON FUNCTION audit_trail.grant_app_role(text) IS
  'Gives an application role SELECT on audit_trail.activity_log and EXECUTE on record_event, and nothing else.';

-- Upgrade: roles granted INSERT on the log by earlier versions of this file lose it and get
-- record_event instead (the owner keeps its rights).
DO $$
DECLARE
  grantee regrole;
BEGIN
  FOR grantee IN
    SELECT DISTINCT a.grantee::regrole
    FROM pg_class c, aclexplode(c.relacl) AS a
    WHERE c.oid = 'audit_trail.activity_log'::regclass AND a.privilege_type = 'INSERT'
      AND a.grantee <> c.relowner AND a.grantee <> 0
  LOOP
    EXECUTE format('REVOKE INSERT ON audit_trail.activity_log FROM %s', grantee);
    EXECUTE format('GRANT EXECUTE ON FUNCTION audit_trail.record_event(jsonb) TO %s', grantee);
  END LOOP;
END
$$;
