import type { AuditExecutor } from '../writer/executor.js'

/** Limits what one admin may read: every query, page and export is narrowed to these. */
export interface ActivityLogScope {
  /** Only entries of this tenant. Default: every tenant. */
  tenantId?: string
  /** Only entries of this log. Default: every log. */
  logName?: string
}

/** The values the page's filter lists offer. */
export interface FilterChoices {
  actors: Array<{ id: string; name: string }>
  /** Staff members who acted as someone else. */
  impersonators: Array<{ id: string; name: string }>
  /** true when the log holds writes made outside the app (actor_type `database`). */
  hasDatabaseActors: boolean
  actions: string[]
  resourceTypes: string[]
  locations: string[]
  /**
   * Approximate number of entries per value (actors by id, actions, resource types, locations),
   * from PostgreSQL's own statistics of the log (pg_stats, refreshed by ANALYZE/autovacuum): free
   * to read at any size, shown as "≈ n". Empty under a scope: the statistics cover every tenant.
   */
  counts: { actors: Record<string, number>; actions: Record<string, number>; resourceTypes: Record<string, number>; locations: Record<string, number> }
}

/** At most this many values per list: a filter list longer than that is unusable anyway. */
export const MAX_CHOICES = 500
/** Columns without an index of their own are read from this many newest entries. */
export const RECENT_WINDOW = 100_000
/**
 * A tenant with at most this many entries gets its lists from its own entries (found through
 * the tenant index) rather than by walking the whole log's actor and location indexes, which for
 * a small tenant visits mostly other tenants' entries. Measured at 3,000,000 entries: a tenant of
 * ~2,000 entries 2.2–3.3 s walking, 10–19 ms from its own; at 20,000 entries both ~0.35–0.4 s; at
 * 50,000 and more the walk wins (0.14 vs 0.26 s; 300,000: 0.34 vs 1.1 s).
 */
export const SMALL_SCOPE = 20_000

/**
 * The filter lists from the whole log, fast at any size:
 * - actor ids, resource types and locations: a loose index scan (a recursive CTE that jumps
 *   from one distinct value to the next with `min(col) WHERE col > previous`), one index probe
 *   per distinct value on the existing b-tree indexes (actor_id, id), (resource_type, ...),
 *   (location_id, id); each actor's name is the newest entry's, one more probe per actor;
 * - actions, impersonators and "Database": no index leads with them, so they are read from the
 *   newest RECENT_WINDOW entries (an index range scan on the primary key), bounded work; actions
 *   also from the statistics' most common values, which on a real log hold every action;
 * - counts: estimated from pg_stats like the planner does (most common values × rows; the rest
 *   share what is left), no scan at all.
 * Scoped to a tenant with at most SMALL_SCOPE entries, the lists come from that tenant's entries
 * instead (a count bounded by SMALL_SCOPE on the tenant index decides).
 */
export async function filterChoices(
  executor: AuditExecutor,
  scope: ActivityLogScope = {},
  { smallScope = SMALL_SCOPE }: { smallScope?: number } = {},
): Promise<FilterChoices> {
  const params: unknown[] = []
  const scoped: string[] = []
  if (scope.tenantId !== undefined) {
    params.push(scope.tenantId)
    scoped.push(`tenant_id = $${params.length}`)
  }
  if (scope.logName !== undefined) {
    params.push(scope.logName)
    scoped.push(`log_name = $${params.length}`)
  }
  const and = scoped.map((clause) => ` AND ${clause}`).join('')
  // A small tenant: its own entries, read once through the tenant index, hold every value.
  const small =
    scope.tenantId !== undefined &&
    Number(
      (await executor.query(`SELECT count(*) AS n FROM (SELECT 1 FROM audit_trail.activity_log WHERE TRUE${and} LIMIT ${smallScope + 1}) AS s`, params))
        .rows[0]?.n,
    ) <= smallScope
  const distinct = (column: string): string =>
    small
      ? `SELECT DISTINCT ${column} AS v FROM audit_trail.activity_log WHERE ${column} IS NOT NULL${and} ORDER BY 1 LIMIT ${MAX_CHOICES}`
      : `WITH RECURSIVE walk(v) AS (
       SELECT min(${column}) FROM audit_trail.activity_log WHERE ${column} IS NOT NULL${and}
       UNION ALL
       SELECT (SELECT min(${column}) FROM audit_trail.activity_log WHERE ${column} > walk.v${and}) FROM walk WHERE walk.v IS NOT NULL
     ) SELECT v FROM walk WHERE v IS NOT NULL LIMIT ${MAX_CHOICES}`
  const [actors, types, locations, recent] = await Promise.all([
    executor.query(
      small
        ? `SELECT DISTINCT ON (actor_id) actor_id AS id, coalesce(actor_name, actor_email, actor_id) AS name FROM audit_trail.activity_log
           WHERE actor_id IS NOT NULL${and} ORDER BY actor_id, activity_log.id DESC LIMIT ${MAX_CHOICES}`
        : `SELECT ids.v AS id, coalesce(latest.actor_name, latest.actor_email, ids.v) AS name FROM (${distinct('actor_id')}) AS ids
           CROSS JOIN LATERAL (SELECT actor_name, actor_email FROM audit_trail.activity_log
                               WHERE actor_id = ids.v${and} ORDER BY id DESC LIMIT 1) AS latest`,
      params,
    ),
    executor.query(distinct('resource_type'), params),
    executor.query(distinct('location_id'), params),
    executor.query(
      `SELECT array(SELECT DISTINCT action FROM recent ORDER BY 1 LIMIT ${MAX_CHOICES}) AS actions,
              array(SELECT DISTINCT ON (impersonator_id) json_build_array(impersonator_id, coalesce(impersonator_name, impersonator_id))::text
                    FROM recent WHERE impersonator_id IS NOT NULL ORDER BY impersonator_id, id DESC LIMIT ${MAX_CHOICES}) AS impersonators,
              EXISTS (SELECT 1 FROM recent WHERE actor_type = 'database') AS has_database
         FROM (SELECT 1) AS one`.replace(/^/, `WITH recent AS MATERIALIZED (SELECT id, action, actor_type, impersonator_id, impersonator_name FROM audit_trail.activity_log WHERE TRUE${and} ORDER BY id DESC LIMIT ${RECENT_WINDOW}) `),
      params,
    ),
  ])
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name)
  const row = recent.rows[0] as { actions: string[]; impersonators: string[]; has_database: boolean }
  const counts = scoped.length > 0 ? emptyCounts() : await estimatedCounts(executor)
  const actions = [...new Set([...row.actions, ...Object.keys(counts.actions)])].sort().slice(0, MAX_CHOICES)
  return {
    actors: actors.rows.map((r) => ({ id: String(r.id), name: String(r.name) })).sort(byName),
    impersonators: row.impersonators
      .map((text) => JSON.parse(text) as [string, string])
      .map(([id, name]) => ({ id, name }))
      .sort(byName),
    hasDatabaseActors: row.has_database,
    actions,
    resourceTypes: types.rows.map((r) => String(r.v)),
    locations: locations.rows.map((r) => String(r.v)),
    counts,
  }
}

/** No counts (a scoped view, or statistics not readable yet). */
export function emptyCounts(): FilterChoices['counts'] {
  return { actors: {}, actions: {}, resourceTypes: {}, locations: {} }
}

// Per column: the most common values with their frequencies, the share of NULLs, the number of
// distinct values, and the table's row count, as the planner uses them. Unreadable or never
// analyzed: no counts (the lists still come from the log itself).
const STATS_SQL = `
SELECT s.attname AS column, array_to_json(s.most_common_vals::text::text[]) AS vals, s.most_common_freqs AS freqs, s.null_frac, s.n_distinct,
       greatest(c.reltuples, 0) AS rows
FROM pg_stats s JOIN pg_class c ON c.oid = 'audit_trail.activity_log'::regclass
WHERE s.schemaname = 'audit_trail' AND s.tablename = 'activity_log' AND s.attname IN ('actor_id', 'action', 'resource_type', 'location_id')`

async function estimatedCounts(executor: AuditExecutor): Promise<FilterChoices['counts']> {
  const counts = emptyCounts()
  let rows: Array<Record<string, unknown>>
  try {
    rows = (await executor.query(STATS_SQL)).rows
  } catch {
    return counts
  }
  const target: Record<string, Record<string, number>> = {
    actor_id: counts.actors,
    action: counts.actions,
    resource_type: counts.resourceTypes,
    location_id: counts.locations,
  }
  for (const row of rows) {
    const into = target[String(row.column)]
    const total = Number(row.rows)
    if (!into || !(total > 0) || !Array.isArray(row.vals)) continue
    const values = (row.vals as unknown[]).map(String)
    const freqs = (row.freqs as number[] | null) ?? []
    values.forEach((value, i) => {
      const n = Math.round((freqs[i] ?? 0) * total)
      if (n > 0) into[value] = n
    })
  }
  return counts
}
