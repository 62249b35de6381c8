// An Express + Prisma 7 app using @audit-trail/prisma as its README says.
import { readFileSync } from 'node:fs'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { applyMigrations } from '@audit-trail/core'
import { auditTrail, auditTrailComments, auditTrailReady, enablePrismaCapture } from '@audit-trail/prisma'
import { PrismaClient } from './generated/prisma/client.ts'
import { auditOptions, createApp, env, listen } from './shared.ts'

if (process.argv[2] === 'deploy') {
  // Deploy time, as the log owner: the app's tables (checked-in SQL), sql/ with the app role's
  // grant, then capture for the models.
  const ownerUrl = env('OWNER_URL')
  const appRole = env('APP_ROLE')
  const client = new pg.Client({ connectionString: ownerUrl })
  await client.connect()
  await client.query(readFileSync(new URL('./prisma/schema.sql', import.meta.url), 'utf8'))
  await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${appRole}`)
  await client.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${appRole}`)
  await client.end()
  await applyMigrations(ownerUrl, { appRole })
  const owner = new PrismaClient({ adapter: new PrismaPg({ connectionString: ownerUrl }) })
  console.log(JSON.stringify(await enablePrismaCapture(owner, auditOptions)))
  await owner.$disconnect()
} else {
  const prisma = new PrismaClient({
    adapter: new PrismaPg({ connectionString: env('APP_URL') }),
    comments: [auditTrailComments()],
  }).$extends(auditTrail(auditOptions))
  await auditTrailReady(prisma)
  listen(
    createApp({
      create: async (title) => (await prisma.article.create({ data: { title } })).id,
      rename: async (id, title) => {
        await prisma.article.update({ where: { id }, data: { title } })
      },
      remove: async (id) => {
        await prisma.article.delete({ where: { id } })
      },
    }),
  )
}
