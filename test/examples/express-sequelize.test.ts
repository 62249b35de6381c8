import { startApp } from '../../examples/express-sequelize/app.ts'
import { describeConduitExample } from './conduit-scenario.js'

// examples/express-sequelize: tables users, articles, tags and the through table "ArticleTags" (article_id, tag_id).
describeConduitExample({
  name: 'express-sequelize',
  startApp,
  tables: { article: 'articles', tag: 'tags', link: '"ArticleTags"', linkArticle: 'article_id', linkTag: 'tag_id' },
})
