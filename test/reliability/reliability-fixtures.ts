import { readFileSync } from 'node:fs'
import type { AuditPluginOptions } from '@audit-trail/core'
import type { BehaviourDriver } from '../behaviour/driver.js'
import { mikroOrm7Driver as mikroOrmDriver } from '../mikro-orm/mikro-orm-7.js'
import { prismaDriver } from '../prisma/prisma-driver.js'
import { sequelizeDriver } from '../sequelize/sequelize-driver.js'
import type { TestDatabase } from '../support/test-database.js'

/**
 * Every write path of the project: each ORM plugin carrying its context to the capture triggers
 * (the one recording engine).
 */
export const ORM_DRIVERS: readonly BehaviourDriver[] = [prismaDriver, sequelizeDriver, mikroOrmDriver]
export const ALL_WRITE_PATHS: readonly BehaviourDriver[] = ORM_DRIVERS

/** The behaviour suite's plugin options: resource types and name columns. */
export const SUITE_OPTIONS: AuditPluginOptions = {
  models: {
    Client: { resourceType: 'client', name: 'name' },
    Item: { resourceType: 'item', name: 'name' },
    Setting: { resourceType: 'setting', name: 'key' },
    Coupon: { resourceType: 'coupon', name: 'code' },
    Article: { resourceType: 'article', name: 'title' },
    Tag: { resourceType: 'tag', name: 'name' },
  },
}

/** Creates the behaviour suite's business tables in `db`. */
export async function createBusinessSchema(db: TestDatabase): Promise<void> {
  await db.query(readFileSync(new URL('../behaviour/business-schema.sql', import.meta.url), 'utf8'))
}

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
