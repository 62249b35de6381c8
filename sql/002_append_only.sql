-- audit-trail 002: append-only protection and the application role's grants.
--
-- Installs: triggers that reject UPDATE, DELETE and TRUNCATE on audit_trail.activity_log for every
-- role (the owner and superusers included), and audit_trail.grant_app_role(role_name), which
-- gives an application role INSERT and SELECT on the log (plus SELECT on the archive and the
-- hash chain, and sealing, once 004/005 are installed) and nothing else.
-- Needs: 001_activity_log.sql. Run as the owning role.
-- Idempotent.
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

-- Nobody gets anything on the log by default; grant_app_role hands out exactly INSERT + SELECT.
REVOKE ALL ON audit_trail.activity_log FROM PUBLIC;
REVOKE ALL ON audit_trail.schema_migrations FROM PUBLIC;

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
  EXECUTE format('GRANT SELECT, INSERT ON audit_trail.activity_log TO %I', role_name);
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
  'Gives an application role INSERT and SELECT on audit_trail.activity_log, and nothing else.';
