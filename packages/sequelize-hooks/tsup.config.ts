import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  // No source maps: they would point to src/, which the package does not ship; dist/ is readable as is.
  sourcemap: false,
  clean: true,
  target: 'node20',
  // Core (a peer dependency, so an app has one copy) and the ORM (a peer dependency) stay imports.
  external: [/^@audit-trail\//, /^@prisma\//, /^@mikro-orm\//, 'sequelize'],
})
