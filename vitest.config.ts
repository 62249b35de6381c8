import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources; test/build/ checks the built packages separately.
    alias: {
      '@audit-trail/core': src('./packages/core/src/index.ts'),
      '@audit-trail/prisma': src('./packages/prisma-extension/src/index.ts'),
      '@audit-trail/sequelize': src('./packages/sequelize-hooks/src/index.ts'),
      '@audit-trail/mikro-orm': src('./packages/mikro-orm/src/index.ts'),
    },
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
