import { defineConfig } from 'prisma/config'

// Only `prisma generate` runs on this schema; the tables come from business-schema.sql.
export default defineConfig({
  schema: './schema.prisma',
})
