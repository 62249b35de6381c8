import type { BehaviourDriver } from '../behaviour/driver.js'
import { ORM_DRIVERS } from '../support/orm-drivers.js'

/** Every write path of the project: each ORM plugin carrying its context to the capture triggers. */
export const ALL_WRITE_PATHS: readonly BehaviourDriver[] = ORM_DRIVERS

/** A small seeded PRNG (mulberry32): the same seed replays the same run. */
export function seededRandom(seed: number): { next(): number; int(n: number): number; pick<T>(list: readonly T[]): T; chance(p: number): boolean } {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)]!,
    chance: (p) => next() < p,
  }
}

/** The seed of this run: AUDIT_TRAIL_SEED to replay one, else a fresh one. */
export function runSeed(): number {
  const fromEnv = process.env.AUDIT_TRAIL_SEED
  return fromEnv ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31)
}

/** Runs `fn`; a failure is rethrown with the seed that replays it in front of its message. */
export async function withSeed<T>(seed: number, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    const message = `seed ${seed} (replay: AUDIT_TRAIL_SEED=${seed}): ${error instanceof Error ? error.message : String(error)}`
    console.error(message)
    if (error instanceof Error) {
      error.message = message
      throw error
    }
    throw new Error(message)
  }
}
