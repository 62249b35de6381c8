// An Express + Sequelize 6 app using @audit-trail/sequelize as its README says.
import { DataTypes, Model, Sequelize } from 'sequelize'
import type { CreationOptional, InferAttributes, InferCreationAttributes } from 'sequelize'
import { applyMigrations } from '@audit-trail/core'
import { attachAuditHooks, checkSequelizeCapture, enableSequelizeCapture } from '@audit-trail/sequelize'
import { auditOptions, createApp, env, listen } from './shared.ts'

class Article extends Model<InferAttributes<Article>, InferCreationAttributes<Article>> {
  declare id: CreationOptional<number>
  declare title: string
}

function defineModels(sequelize: Sequelize): void {
  Article.init(
    { id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true }, title: { type: DataTypes.TEXT, allowNull: false } },
    { sequelize, modelName: 'Article', tableName: 'articles', timestamps: false },
  )
}

if (process.argv[2] === 'deploy') {
  // Deploy time, as the log owner: the tables (sync), sql/ with the app role's grant, then capture.
  const ownerUrl = env('OWNER_URL')
  const appRole = env('APP_ROLE')
  const owner = new Sequelize(ownerUrl, { logging: false })
  defineModels(owner)
  await owner.sync()
  await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${appRole}`)
  await owner.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${appRole}`)
  await applyMigrations(ownerUrl, { appRole })
  console.log(JSON.stringify(await enableSequelizeCapture(owner, auditOptions)))
  await owner.close()
} else {
  const sequelize = new Sequelize(env('APP_URL'), { logging: false })
  defineModels(sequelize)
  attachAuditHooks(sequelize, auditOptions)
  await checkSequelizeCapture(sequelize)
  listen(
    createApp({
      create: async (title) => (await Article.create({ title })).id,
      rename: async (id, title) => {
        const article = await Article.findByPk(id, { rejectOnEmpty: true })
        await article.update({ title })
      },
      remove: async (id) => {
        await Article.destroy({ where: { id } })
      },
    }),
  )
}
