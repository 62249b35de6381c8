/**
 * What the capture benchmarks (capture.ts, capture-breakdown.ts) share: the app context their
 * statements carry, the 10-column table they write, and the server process's CPU clock.
 */
import { readFileSync } from 'node:fs'
import { runWithAuditContext, withAuditContextSql } from '@audit-trail/core'

/** Rows of each benchmark table. */
export const BENCH_ROWS = 10_000

const context = { actor: { id: 'bench', name: 'Bench User' }, ipAddress: '10.0.0.1', requestId: 'bench' }

/** `sql` with the app's context tag, as the plugins send each statement. */
export const tagged = (sql: string): string => runWithAuditContext(context, () => withAuditContextSql(sql))

/** SQL creating `table`, 10 columns of the types capture encodes; `extraColumns` are appended to its column list. */
export function benchTableSql(table: string, extraColumns = ''): string {
  return `
    CREATE TABLE ${table} (
      id serial PRIMARY KEY, name text NOT NULL, price numeric(10, 2) NOT NULL, available boolean NOT NULL,
      sku bigint, quantity integer, attributes jsonb, note text, released_at timestamptz, updated_at timestamptz
      ${extraColumns})`
}

/** SQL inserting BENCH_ROWS rows into a table of benchTableSql (ids 1 to BENCH_ROWS in a fresh one). */
export function fillBenchTableSql(table: string): string {
  return `
    INSERT INTO ${table} (name, price, available, sku, quantity, attributes, note, released_at)
    SELECT 'Item ' || i, i % 100 + 0.5, true, 9007199254740993 + i, i % 17, jsonb_build_object('i', i, 'tags', jsonb_build_array('a', 'b')),
           repeat('x', 40), timestamptz '2024-01-15 14:30:00Z' + i * interval '1 minute'
    FROM generate_series(1, ${BENCH_ROWS}) AS i`
}

/**
 * The CPU time (ns) the server process `pid` has used, read from /proc/<pid>/schedstat: its
 * minimum over interleaved rounds is the steadiest measure on a shared machine. null when the
 * server does not run on this (Linux) machine.
 */
export function serverCpuClock(pid: number): (() => number) | null {
  const read = () => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0])
  try {
    read()
    return read
  } catch {
    return null
  }
}
