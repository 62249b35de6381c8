-- audit-trail functions/03: the hash chain (tamper evidence).
--
-- Installs: audit_trail.seal_chain(), which links committed entries into
-- audit_trail.activity_log_chain (003_hash_chain.sql), audit_trail.entry_canonical(jsonb) (the
-- hashed form of an entry), and the append-only triggers of the chain.
-- Needs: the numbered files, functions/01. Run as the role that owns the log.
-- Repeatable: re-applied by every migrate.
--
-- What a link is: hash(n) = sha256(hash(n-1) || entry_canonical(entry n)), hex, over the entries
-- in id order, starting from 64 zeros. entry_canonical is to_jsonb(entry) without its SQL NULL
-- columns (so a column added later as NULL does not change old hashes), created_at in UTC, as
-- jsonb text (sorted keys). `verifyChain` in @audit-trail/core recomputes it with node:crypto.
--
-- Why a sealer and not a link written by each insert. Entries come from many concurrent
-- transactions and ids are drawn before commit, so id order is not commit order. A chain
-- built by each INSERT (FOR UPDATE of the tail, max(id), timestamps) forks, or links to an
-- entry that later rolls back. Linking at commit time (a deferred constraint trigger under an
-- advisory lock) fixes the order but serialises every audited commit, lock held through the
-- WAL flush, and fails under REPEATABLE READ / SERIALIZABLE, whose snapshot cannot see a link
-- committed after it began. So writers do nothing extra (no trigger, no lock, no row), and
-- seal_chain(), run in its own READ COMMITTED transaction (by verify, by archive, or on a
-- schedule), links entries in id order up to a horizon below which no transaction can still
-- add one:
--   1. q = the last id drawn from the log's identity sequence (non-transactional; CACHE 1, so
--      ids are drawn in time order);
--   2. W = the transactions holding a RowExclusiveLock on the log, read from pg_locks after q.
--      An INSERT takes that lock before it draws ids and keeps it until its transaction ends,
--      so every transaction that drew an id <= q has either ended (committed entries are
--      visible to the next snapshot) or is in W;
--   3. once none of W holds a lock any more, every committed entry with id <= q is visible and
--      no transaction can add another: link them all.
-- Only writers of this log count (not other databases, not readers). If one of W stays open
-- (max_wait, default 2 s), (q, W) is kept in chain_state and a later call seals up to it.
-- Because links follow id order, an entry at or below the sealed tail without a link was added
-- out of band. The chain cannot fork: entry_id is the primary key and sealers serialise on an
-- advisory lock.

SELECT audit_trail.protect_append_only('audit_trail.activity_log_chain');

CREATE OR REPLACE FUNCTION audit_trail.entry_canonical(entry jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT jsonb_object_agg(key, CASE
           WHEN key = 'created_at' THEN to_jsonb(to_char((value #>> '{}')::timestamptz AT TIME ZONE 'UTC',
                                                         'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
           ELSE value END)::text
  FROM jsonb_each(entry)
  WHERE jsonb_typeof(value) <> 'null'
$$;

COMMENT ON FUNCTION audit_trail.entry_canonical(jsonb) IS
  'The text an entry''s chain hash covers: to_jsonb(entry) without SQL NULL columns, created_at in UTC.';

-- Transactions (other than this one) that may be inserting into the log right now.
CREATE OR REPLACE FUNCTION audit_trail.chain_log_writers() RETURNS text[]
LANGUAGE sql VOLATILE AS $$
  SELECT coalesce(array_agg(DISTINCT l.virtualtransaction), '{}')
  FROM pg_locks l
  WHERE l.locktype = 'relation' AND l.mode = 'RowExclusiveLock'
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND l.relation = 'audit_trail.activity_log'::regclass
    AND l.pid IS DISTINCT FROM pg_backend_pid()
$$;

-- True once none of `writers` is running: their committed entries are visible to a new snapshot.
CREATE OR REPLACE FUNCTION audit_trail.chain_writers_finished(writers text[]) RETURNS boolean
LANGUAGE sql VOLATILE AS $$
  SELECT cardinality(writers) = 0 OR NOT EXISTS (SELECT 1 FROM pg_locks WHERE virtualtransaction = ANY (writers))
$$;

CREATE OR REPLACE FUNCTION audit_trail.seal_chain(max_wait interval DEFAULT interval '2 seconds') RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  id_sequence regclass;
  drawn bigint;
  writers text[];
  horizon bigint;
  state audit_trail.chain_state;
  ready boolean := false;
  deadline timestamptz;
  tail_id bigint;
  link_hash text;
  entry record;
  ids bigint[] := '{}';
  hashes text[] := '{}';
  sealed bigint := 0;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'audit_trail.seal_chain() must run at READ COMMITTED, not %', current_setting('transaction_isolation')
      USING ERRCODE = '0A000',
            HINT = 'Call it in its own transaction: each step needs a fresh snapshot. verifyChain() does.';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('audit_trail.seal_chain'));

  id_sequence := pg_get_serial_sequence('audit_trail.activity_log', 'id')::regclass;
  -- With a per-session id cache, ids are no longer drawn in time order and the horizon argument fails.
  IF (SELECT seqcache FROM pg_sequence WHERE seqrelid = id_sequence) <> 1 THEN
    RAISE EXCEPTION 'audit_trail.seal_chain(): % must have CACHE 1', id_sequence
      USING ERRCODE = '55000', HINT = format('ALTER SEQUENCE %s CACHE 1', id_sequence);
  END IF;

  SELECT * INTO state FROM audit_trail.chain_state;
  SELECT c.entry_id, c.hash INTO tail_id, link_hash FROM audit_trail.activity_log_chain c ORDER BY c.entry_id DESC LIMIT 1;
  tail_id := coalesce(tail_id, 0);
  link_hash := coalesce(link_hash, repeat('0', 64));
  horizon := tail_id;

  IF state.candidate_id IS NOT NULL AND audit_trail.chain_writers_finished(state.candidate_waits) THEN
    horizon := greatest(horizon, state.candidate_id);
    state.candidate_id := NULL;
    state.candidate_waits := NULL;
  END IF;

  drawn := coalesce(pg_sequence_last_value(id_sequence), 0);
  writers := audit_trail.chain_log_writers();
  deadline := clock_timestamp() + max_wait;
  LOOP
    ready := audit_trail.chain_writers_finished(writers);
    EXIT WHEN ready OR clock_timestamp() >= deadline;
    PERFORM pg_sleep(0.002);
  END LOOP;
  IF ready THEN
    horizon := greatest(horizon, drawn);
    state.candidate_id := NULL;
    state.candidate_waits := NULL;
  ELSIF state.candidate_id IS NULL AND drawn > horizon THEN
    state.candidate_id := drawn;
    state.candidate_waits := writers;
  END IF;
  UPDATE audit_trail.chain_state SET candidate_id = state.candidate_id, candidate_waits = state.candidate_waits
    WHERE (candidate_id, candidate_waits) IS DISTINCT FROM (state.candidate_id, state.candidate_waits);

  FOR entry IN
    SELECT e.id, audit_trail.entry_canonical(to_jsonb(e)) AS canonical
    FROM audit_trail.activity_log e
    WHERE e.id > tail_id AND e.id <= horizon
    ORDER BY e.id
  LOOP
    link_hash := encode(sha256(convert_to(link_hash || entry.canonical, 'UTF8')), 'hex');
    ids := ids || entry.id;
    hashes := hashes || link_hash;
    IF cardinality(ids) >= 10000 THEN
      INSERT INTO audit_trail.activity_log_chain (entry_id, hash) SELECT * FROM unnest(ids, hashes);
      sealed := sealed + cardinality(ids);
      ids := '{}';
      hashes := '{}';
    END IF;
  END LOOP;
  INSERT INTO audit_trail.activity_log_chain (entry_id, hash) SELECT * FROM unnest(ids, hashes);
  RETURN sealed + cardinality(ids);
END
$$;

REVOKE ALL ON FUNCTION audit_trail.seal_chain(interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_trail.chain_log_writers() FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_trail.chain_writers_finished(text[]) FROM PUBLIC;

COMMENT ON FUNCTION audit_trail.seal_chain(interval) IS
  'Links committed entries into audit_trail.activity_log_chain up to a safe horizon; returns how many. Run in its own READ COMMITTED transaction.';
