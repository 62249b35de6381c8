import { defineConfig } from 'prisma/config'

// Only `prisma generate` runs on this schema (offline: PRISMA_SCHEMA_ENGINE_BINARY=/bin/true);
// the tables come from schema.sql, which is what `prisma migrate` would create for it.
export default defineConfig({
  schema: './schema.prisma',
})
