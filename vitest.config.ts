import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources; test/build/ checks the built packages separately.
    // Exact matches: a bare '@audit-trail/core' key would also take '@audit-trail/core/plugin'.
    alias: [
      { find: /^@audit-trail\/core$/, replacement: src('./packages/core/src/index.ts') },
      { find: /^@audit-trail\/core\/plugin$/, replacement: src('./packages/core/src/plugin.ts') },
      { find: /^@audit-trail\/prisma$/, replacement: src('./packages/prisma-extension/src/index.ts') },
      { find: /^@audit-trail\/sequelize$/, replacement: src('./packages/sequelize-hooks/src/index.ts') },
      { find: /^@audit-trail\/mikro-orm$/, replacement: src('./packages/mikro-orm/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/stress/**', 'test/install/**'], // the long runs: npm run test:stress (vitest.stress.config.ts)
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration files each create their own database; two workers match the CI machine's cores.
    maxWorkers: 2,
  },
})
