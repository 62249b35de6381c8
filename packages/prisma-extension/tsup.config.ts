import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Core and the ORM stay imports: core is a dependency, the ORM a peer dependency.
  external: [/^@audit-trail\//, /^@prisma\//, /^@mikro-orm\//, 'sequelize'],
})
