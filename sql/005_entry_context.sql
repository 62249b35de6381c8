-- audit-trail 005: the context columns of a captured write, as one row type.
--
-- Installs: type audit_trail.entry_context, what audit_trail.entry_context() (functions/02)
-- returns: the columns of an entry that come from the writing statement's context. A type of its
-- own rather than the log's row type, so that nothing but the log's own indexes and triggers
-- depends on audit_trail.activity_log (sql/optional/partition_activity_log_by_month.sql replaces
-- the table).
-- Needs: 001. A numbered migration: applied once, never edited after release.

DO $$
BEGIN
  CREATE TYPE audit_trail.entry_context AS (
    log_name           text,
    actor_type         text,
    actor_id           text,
    actor_name         text,
    actor_email        text,
    impersonator_id    text,
    impersonator_name  text,
    ip_address         inet,
    user_agent         text,
    location_id        text,
    tenant_id          text,
    request_id         text,
    source             text,
    metadata           jsonb
  );
EXCEPTION WHEN duplicate_object THEN
  NULL;
END
$$;

COMMENT ON TYPE audit_trail.entry_context IS 'The context columns of the entries a captured statement writes (audit_trail.entry_context()).';
