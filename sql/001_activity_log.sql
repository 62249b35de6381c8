-- audit-trail 001: the activity log table and its indexes.
--
-- Installs: schema audit_trail, table audit_trail.activity_log (one row per event), the indexes
-- behind the query API, and audit_trail.schema_migrations (which files were applied, when).
-- Needs: PostgreSQL 14 or newer, run as the role that will own the log (not the app's role).
-- Idempotent: every statement is IF NOT EXISTS / OR REPLACE; applying it twice changes nothing.

CREATE SCHEMA IF NOT EXISTS audit_trail;

COMMENT ON SCHEMA audit_trail IS 'audit-trail: append-only activity log (see sql/ in @audit-trail/core)';

CREATE TABLE IF NOT EXISTS audit_trail.schema_migrations (
  name        text PRIMARY KEY,
  checksum    text NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS audit_trail.activity_log (
  -- GENERATED ALWAYS: ids are the order of insertion; nobody picks their own.
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- now(): the start of the writing transaction, so one request's entries share a timestamp.
  created_at         timestamptz NOT NULL DEFAULT now(),
  log_name           text NOT NULL DEFAULT 'backoffice',
  actor_type         text NOT NULL,
  actor_id           text,
  actor_name         text,
  actor_email        text,
  impersonator_id    text,
  impersonator_name  text,
  action             text NOT NULL,
  resource_type      text,
  resource_id        text,
  resource_name      text,
  changes            jsonb,
  changed_fields     text[],
  description        text,
  ip_address         inet,
  user_agent         text,
  location_id        text,
  tenant_id          text,
  request_id         text,
  -- txid_current() groups every entry written by one transaction (one request, one job run).
  transaction_id     bigint DEFAULT txid_current(),
  source             text NOT NULL,
  metadata           jsonb,
  CONSTRAINT activity_log_actor_type_check CHECK (actor_type IN ('user', 'system', 'database')),
  CONSTRAINT activity_log_source_check CHECK (source IN ('orm', 'trigger', 'manual')),
  -- Lowercase verbs, optionally namespaced: created, login_failed, invoice.voided.
  CONSTRAINT activity_log_action_check CHECK (action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$'),
  CONSTRAINT activity_log_changes_check CHECK (changes IS NULL OR jsonb_typeof(changes) = 'object')
);

COMMENT ON TABLE audit_trail.activity_log IS
  'Append-only activity log: who changed what, when, from where. UPDATE, DELETE and TRUNCATE are rejected by triggers.';
COMMENT ON COLUMN audit_trail.activity_log.changes IS
  '{"<db column>": {"old": v, "new": v}}; values encoded as documented in the @audit-trail/core README';
COMMENT ON COLUMN audit_trail.activity_log.resource_id IS
  'Primary key as text; composite keys as a JSON array of strings in key order';

-- history(resourceType, resourceId): one record's entries in id order.
CREATE INDEX IF NOT EXISTS activity_log_resource_idx
  ON audit_trail.activity_log (resource_type, resource_id, id);

-- list({ actorId }): one actor's entries, keyset-paginated by id.
CREATE INDEX IF NOT EXISTS activity_log_actor_idx
  ON audit_trail.activity_log (actor_id, id);

-- list({ from, to }): BRIN rather than b-tree. Rows are only ever appended, so created_at follows
-- the physical order of the table; a BRIN index is a few pages even at 10^8 rows, costs almost
-- nothing per insert, and narrows a date range to the block ranges that hold it. The rows come
-- back through the id order of the query anyway, which a b-tree on created_at would not give.
CREATE INDEX IF NOT EXISTS activity_log_created_at_brin
  ON audit_trail.activity_log USING brin (created_at) WITH (pages_per_range = 32);

-- list({ field: 'email' }): "who changed column X" as changed_fields @> ARRAY['email'].
CREATE INDEX IF NOT EXISTS activity_log_changed_fields_gin
  ON audit_trail.activity_log USING gin (changed_fields);

-- list({ locationId }) and list({ tenantId }); partial, since most installs set only one of them.
CREATE INDEX IF NOT EXISTS activity_log_location_idx
  ON audit_trail.activity_log (location_id, id) WHERE location_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS activity_log_tenant_idx
  ON audit_trail.activity_log (tenant_id, id) WHERE tenant_id IS NOT NULL;

-- list({ requestId }): everything one request did.
CREATE INDEX IF NOT EXISTS activity_log_request_idx
  ON audit_trail.activity_log (request_id) WHERE request_id IS NOT NULL;
