-- audit-trail 004: the archive table.
--
-- Installs: audit_trail.activity_log_archive (the same columns as the log) and its indexes.
-- What moves entries there, and how the chain verifies across both tables: the header of
-- functions/04_archive.sql.
-- Needs: 001. Run as the role that owns the log. A numbered migration: applied once, never
-- edited after release.

CREATE TABLE IF NOT EXISTS audit_trail.activity_log_archive (
  LIKE audit_trail.activity_log INCLUDING CONSTRAINTS INCLUDING COMMENTS,
  PRIMARY KEY (id)
);

COMMENT ON TABLE audit_trail.activity_log_archive IS
  'Archived activity log entries (same columns as activity_log), moved by audit_trail.archive_entries(). Append-only.';

-- history() and date ranges with includeArchived; the archive is read rarely and never updated.
CREATE INDEX IF NOT EXISTS activity_log_archive_resource_idx
  ON audit_trail.activity_log_archive (resource_type, resource_id, id);
CREATE INDEX IF NOT EXISTS activity_log_archive_created_at_brin
  ON audit_trail.activity_log_archive USING brin (created_at) WITH (pages_per_range = 32);

REVOKE ALL ON audit_trail.activity_log_archive FROM PUBLIC;
