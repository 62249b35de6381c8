/** Small helpers shared by the benchmark scripts: timing, percentiles and a results table. */

export interface Sample {
  config: string
  workload: string
  ms: number[]
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index]!
}

export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - start) / 1e6
}

/**
 * Runs every config's `fn` once per round, in rotating order, so that all configs see the same
 * machine state (interleaved, side by side). Warm-up rounds are not recorded.
 */
export async function interleave(args: {
  workload: string
  configs: Record<string, (round: number) => Promise<unknown>>
  rounds: number
  warmup: number
}): Promise<Sample[]> {
  const names = Object.keys(args.configs)
  const samples = new Map(names.map((name) => [name, [] as number[]]))
  for (let round = 0; round < args.warmup + args.rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length]!
      const ms = await timeMs(() => args.configs[name]!(round))
      if (round >= args.warmup) samples.get(name)!.push(ms)
    }
  }
  return names.map((config) => ({ config, workload: args.workload, ms: samples.get(config)! }))
}

/**
 * Markdown table: median, p95 and the ratio of each median to its baseline config's median.
 * `baseline` names one config for all rows, or maps each config to its own (e.g. the same ORM
 * unaudited).
 */
export function resultsTable(samples: readonly Sample[], baseline: string | ((config: string) => string)): string {
  const baselineOf = typeof baseline === 'string' ? () => baseline : baseline
  const lines = ['| workload | config | n | median ms | p95 ms | × unaudited |', '|---|---|---|---|---|---|']
  for (const workload of [...new Set(samples.map((s) => s.workload))]) {
    const rows = samples.filter((s) => s.workload === workload)
    for (const row of rows) {
      const base = rows.find((s) => s.config === baselineOf(row.config))
      const median = percentile(row.ms, 50)
      const ratio = base && base !== row ? (median / percentile(base.ms, 50)).toFixed(2) : '1.00'
      lines.push(
        `| ${workload} | ${row.config} | ${row.ms.length} | ${median.toFixed(3)} | ${percentile(row.ms, 95).toFixed(3)} | ${base ? ratio : 'n/a'} |`,
      )
    }
  }
  return lines.join('\n')
}
