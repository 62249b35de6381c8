// The example's Sequelize models: users, articles and tags, with a many-to-many relation
// through the model ArticleTags (table "ArticleTags", a mixed-case name audit-trail captures as
// it is). `sync()` creates the link table's foreign keys ON DELETE CASCADE.
import { DataTypes, Model, type Sequelize, type Transaction } from 'sequelize'

export class User extends Model {
  declare id: string
  declare username: string
  declare email: string
  declare passwordHash: string
}

export class Article extends Model {
  declare id: number
  declare title: string
  declare body: string
  declare authorId: string
  declare tags?: Tag[]
  declare setTags: (tags: Tag[], options?: { transaction?: Transaction }) => Promise<unknown>
}

export class Tag extends Model {
  declare id: number
  declare name: string
}

export function defineModels(sequelize: Sequelize) {
  // Each Sequelize instance needs its own model classes: the owner's (deploy) and the app's.
  const models = {
    User: class extends User {},
    Article: class extends Article {},
    Tag: class extends Tag {},
    ArticleTags: class extends Model {},
  }
  models.User.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true },
      username: { type: DataTypes.TEXT, allowNull: false, unique: true },
      email: { type: DataTypes.TEXT, allowNull: false, unique: true },
      passwordHash: { type: DataTypes.TEXT, allowNull: false },
    },
    { sequelize, modelName: 'User', tableName: 'users', underscored: true, updatedAt: false },
  )
  models.Article.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      title: { type: DataTypes.TEXT, allowNull: false },
      body: { type: DataTypes.TEXT, allowNull: false },
    },
    { sequelize, modelName: 'Article', tableName: 'articles', underscored: true },
  )
  models.Tag.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      name: { type: DataTypes.TEXT, allowNull: false, unique: true },
    },
    { sequelize, modelName: 'Tag', tableName: 'tags', timestamps: false },
  )
  models.ArticleTags.init(
    {
      articleId: { type: DataTypes.INTEGER, primaryKey: true, field: 'article_id' },
      tagId: { type: DataTypes.INTEGER, primaryKey: true, field: 'tag_id' },
    },
    { sequelize, modelName: 'ArticleTags', tableName: 'ArticleTags', timestamps: false },
  )
  models.User.hasMany(models.Article, { foreignKey: { name: 'authorId', field: 'author_id', allowNull: false }, onDelete: 'CASCADE' })
  models.Article.belongsTo(models.User, { as: 'author', foreignKey: { name: 'authorId', field: 'author_id', allowNull: false }, onDelete: 'CASCADE' })
  models.Article.belongsToMany(models.Tag, { through: models.ArticleTags, foreignKey: 'articleId', otherKey: 'tagId', as: 'tags' })
  models.Tag.belongsToMany(models.Article, { through: models.ArticleTags, foreignKey: 'tagId', otherKey: 'articleId', as: 'articles' })
  return models
}
