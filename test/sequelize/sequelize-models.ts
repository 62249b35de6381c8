import { DataTypes, Model, Sequelize, type Options } from 'sequelize'

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
  return { Client, Item, Setting, Coupon, ItemTranslation }
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
