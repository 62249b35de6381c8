import { defineConfig } from 'vitest/config'
import base from './vitest.config.js'

// `npm run test:stress`: the long reliability runs (R2 crash recovery, R3 at 8 x 1,000, R4 at
// 10,000 requests), on the real server of DATABASE_URL only. Files run one at a time: the crash
// test stops and restarts the whole PostgreSQL cluster.
if (!process.env.DATABASE_URL) throw new Error('npm run test:stress needs DATABASE_URL (a real PostgreSQL server)')

export default defineConfig({
  resolve: base.resolve,
  test: {
    include: ['test/stress/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
})
