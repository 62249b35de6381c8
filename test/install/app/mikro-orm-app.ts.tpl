// An Express + MikroORM 7 app using @audit-trail/mikro-orm as its README says.
import { defineEntity, p } from '@mikro-orm/core'
import { MikroORM } from '@mikro-orm/postgresql'
import type { Options } from '@mikro-orm/postgresql'
import { applyMigrations } from '@audit-trail/core'
import { checkMikroOrmCapture, enableMikroOrmCapture, withAuditTrail } from '@audit-trail/mikro-orm'
import { auditOptions, createApp, env, listen } from './shared.ts'

const Article = defineEntity({
  name: 'Article',
  properties: {
    id: p.integer().primary().autoincrement(),
    title: p.text(),
  },
})

const config = (clientUrl: string): Options => ({ clientUrl, entities: [Article], ensureDatabase: false })

if (process.argv[2] === 'deploy') {
  // Deploy time, as the log owner: the tables (schema generator), sql/ with the app role's grant, then capture.
  const ownerUrl = env('OWNER_URL')
  const appRole = env('APP_ROLE')
  const owner = await MikroORM.init(config(ownerUrl))
  await owner.schema.create()
  await owner.em.getConnection().execute(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${appRole}`)
  await owner.em.getConnection().execute(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${appRole}`)
  await applyMigrations(ownerUrl, { appRole })
  console.log(JSON.stringify(await enableMikroOrmCapture(owner, auditOptions)))
  await owner.close(true)
} else {
  const orm = await MikroORM.init(withAuditTrail(config(env('APP_URL')), auditOptions))
  await checkMikroOrmCapture(orm, auditOptions)
  listen(
    createApp({
      create: async (title) => {
        const em = orm.em.fork()
        const article = em.create(Article, { title })
        await em.flush()
        return article.id
      },
      rename: async (id, title) => {
        const em = orm.em.fork()
        const article = await em.findOneOrFail(Article, id)
        article.title = title
        await em.flush()
      },
      remove: async (id) => {
        const em = orm.em.fork()
        em.remove(await em.findOneOrFail(Article, id))
        await em.flush()
      },
    }),
  )
}
