import { startApp } from '../../examples/express-prisma/app.ts'
import { describeConduitExample } from './conduit-scenario.js'

// examples/express-prisma: Prisma's default names, the implicit many-to-many table "_ArticleToTag" (A = Article, B = Tag).
describeConduitExample({
  name: 'express-prisma',
  startApp,
  tables: { article: '"Article"', tag: '"Tag"', link: '"_ArticleToTag"', linkArticle: 'A', linkTag: 'B' },
})
