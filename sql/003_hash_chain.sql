-- audit-trail 003: the hash chain's tables.
--
-- Installs: audit_trail.activity_log_chain (one link per entry: entry id + SHA-256 hash) and
-- audit_trail.chain_state (the sealer's pending horizon). What a link is, and why a sealer
-- rather than a link written by each insert: the header of functions/03_hash_chain.sql.
-- Needs: 001. Run as the role that owns the log. A numbered migration: applied once, never
-- edited after release.

CREATE TABLE IF NOT EXISTS audit_trail.activity_log_chain (
  -- The linked entry (in activity_log or activity_log_archive); links are in entry id order.
  entry_id   bigint PRIMARY KEY,
  -- sha256(previous link's hash || entry_canonical(entry)), hex.
  hash       text NOT NULL,
  sealed_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT activity_log_chain_hash_check CHECK (hash ~ '^[0-9a-f]{64}$')
);

COMMENT ON TABLE audit_trail.activity_log_chain IS
  'Hash chain over activity_log entries in id order, written only by audit_trail.seal_chain(). Append-only.';

-- One row: the newest horizon that could not be sealed yet because transactions older than
-- it were still running. Losing or editing it only delays sealing.
CREATE TABLE IF NOT EXISTS audit_trail.chain_state (
  singleton      boolean PRIMARY KEY DEFAULT true,
  candidate_id     bigint,
  -- pg_locks.virtualtransaction of the log's writers that were running when candidate_id was read.
  candidate_waits  text[],
  CONSTRAINT chain_state_singleton_check CHECK (singleton)
);

INSERT INTO audit_trail.chain_state DEFAULT VALUES ON CONFLICT DO NOTHING;

REVOKE ALL ON audit_trail.activity_log_chain FROM PUBLIC;
REVOKE ALL ON audit_trail.chain_state FROM PUBLIC;
