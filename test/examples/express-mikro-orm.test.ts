import { startApp } from '../../examples/express-mikro-orm/app.ts'
import { describeConduitExample } from './conduit-scenario.js'

// examples/express-mikro-orm: MikroORM 7's default names (article, tag) and the pivot table article_tags (article_id, tag_id).
describeConduitExample({
  name: 'express-mikro-orm',
  startApp,
  tables: { article: 'article', tag: 'tag', link: 'article_tags', linkArticle: 'article_id', linkTag: 'tag_id' },
})
