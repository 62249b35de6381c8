import { defineConfig } from 'prisma/config'

// Only `prisma generate` runs on this schema; the tables come from prisma/schema.sql.
export default defineConfig({
  schema: 'prisma/schema.prisma',
})
