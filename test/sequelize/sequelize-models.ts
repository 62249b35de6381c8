import { DataTypes, Model, Sequelize, type Options, type Transaction } from 'sequelize'
import { enableSequelizeCapture } from '@audit-trail/sequelize'
import type { AuditPluginOptions } from '@audit-trail/core/plugin'

/**
 * The behaviour suite's business schema (test/behaviour/business-schema.sql) as Sequelize
 * models. Field names differ from columns on purpose (email ↔ email_address via `field`,
 * clientId ↔ client_id via `underscored`); clients and items have only `updated_at`.
 */
export function defineModels(sequelize: Sequelize) {
  class Client extends Model {
    declare id: number
    declare name: string
    declare email: string | null
    declare passwordHash: string | null
  }
  Client.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      name: { type: DataTypes.TEXT, allowNull: false },
      email: { type: DataTypes.TEXT, field: 'email_address' },
      passwordHash: { type: DataTypes.TEXT },
    },
    { sequelize, modelName: 'Client', tableName: 'clients', underscored: true, timestamps: true, createdAt: false },
  )

  class Item extends Model {
    declare id: number
    declare clientId: number | null
    declare name: string
    declare price: string
    declare available: boolean
  }
  Item.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      clientId: { type: DataTypes.INTEGER },
      name: { type: DataTypes.TEXT, allowNull: false },
      price: { type: DataTypes.DECIMAL(10, 2), allowNull: false },
      available: { type: DataTypes.BOOLEAN, allowNull: false },
      sku: { type: DataTypes.BIGINT },
      photo: { type: DataTypes.BLOB },
      attributes: { type: DataTypes.JSONB },
      releasedAt: { type: DataTypes.DATE },
    },
    { sequelize, modelName: 'Item', tableName: 'items', underscored: true, timestamps: true, createdAt: false },
  )

  class Setting extends Model {
    declare key: string
    declare value: unknown
  }
  Setting.init(
    { key: { type: DataTypes.TEXT, primaryKey: true }, value: { type: DataTypes.JSONB } },
    { sequelize, modelName: 'Setting', tableName: 'settings', timestamps: false },
  )

  class Coupon extends Model {
    declare id: string
    declare code: string
    declare percent: number
  }
  Coupon.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      code: { type: DataTypes.TEXT, allowNull: false, unique: true },
      percent: { type: DataTypes.INTEGER, allowNull: false },
    },
    {
      sequelize,
      modelName: 'Coupon',
      tableName: 'coupons',
      paranoid: true,
      timestamps: true,
      createdAt: false,
      updatedAt: false,
      deletedAt: 'deletedAt',
      underscored: true,
    },
  )

  class ItemTranslation extends Model {
    declare itemId: number
    declare locale: string
    declare title: string
  }
  ItemTranslation.init(
    {
      itemId: { type: DataTypes.INTEGER, primaryKey: true },
      locale: { type: DataTypes.TEXT, primaryKey: true },
      title: { type: DataTypes.TEXT, allowNull: false },
    },
    { sequelize, modelName: 'ItemTranslation', tableName: 'item_translations', underscored: true, timestamps: false },
  )

  Client.hasMany(Item, { foreignKey: 'clientId', as: 'items' })
  Item.belongsTo(Client, { foreignKey: 'clientId', as: 'client' })

  // Article / Tag and their through model with Sequelize's default naming, no mapping: tables
  // "Articles", "Tags", "ArticleTags" (created by `syncArticleTables`).
  class Article extends Model {
    declare id: number
    declare title: string
    declare addTag: (tag: number, options?: { transaction?: Transaction }) => Promise<unknown>
    declare removeTag: (tag: number, options?: { transaction?: Transaction }) => Promise<unknown>
  }
  Article.init({ title: { type: DataTypes.STRING, allowNull: false } }, { sequelize, modelName: 'Article' })
  class Tag extends Model {
    declare id: number
    declare name: string
  }
  Tag.init({ name: { type: DataTypes.STRING, allowNull: false } }, { sequelize, modelName: 'Tag' })
  Article.belongsToMany(Tag, { through: 'ArticleTags' })
  Tag.belongsToMany(Article, { through: 'ArticleTags' })
  const ArticleTags = sequelize.model('ArticleTags')

  return { Client, Item, Setting, Coupon, ItemTranslation, Article, Tag, ArticleTags }
}

export type Models = ReturnType<typeof defineModels>

/** A Sequelize instance on `url` with a bounded pool and no console logging. */
export function openSequelize(url: string, options: Options = {}): Sequelize {
  return new Sequelize(url, {
    dialect: 'postgres',
    logging: false,
    ...options,
    pool: { max: 5, min: 0, ...options.pool },
  })
}

/** Creates "Articles", "Tags" and "ArticleTags" (link foreign keys ON DELETE CASCADE) if they do not exist. */
export async function syncArticleTables({ Article, Tag, ArticleTags }: Models): Promise<void> {
  await Article.sync()
  await Tag.sync()
  await ArticleTags.sync()
}

/**
 * The owner's deploy step on a database with the business schema: the Article tables, then
 * `enableSequelizeCapture` for every model of `sequelize` (tests connect as the log owner).
 */
export async function setUpCapture(sequelize: Sequelize, models: Models, options: AuditPluginOptions): Promise<string[]> {
  await syncArticleTables(models)
  return enableSequelizeCapture(sequelize, options)
}
