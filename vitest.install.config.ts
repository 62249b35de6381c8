import { defineConfig } from 'vitest/config'

// The installation test (npm run test:install, a step of .ci/run): packs the packages, installs
// the tarballs into a scratch app outside the repository and runs it on the real PostgreSQL
// server (DATABASE_URL). Not part of `npm test`: it installs from the npm registry.
export default defineConfig({
  test: {
    include: ['test/install/**/*.spec.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
})
