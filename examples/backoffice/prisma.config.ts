import { defineConfig } from 'prisma/config'

// Only `prisma generate` runs on this schema; the demo creates the tables from schema.sql.
export default defineConfig({
  schema: './schema.prisma',
})
