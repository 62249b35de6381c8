// `npx tsx examples/express-prisma/main.ts [--once]` (or `npm run example:prisma`): the walkthrough of
// examples/shared/run-example.ts on this example's app, in the database `conduit_prisma` on a real server.
import { runExample } from '../shared/run-example.ts'
import { startApp } from './app.ts'

await runExample({ database: 'conduit_prisma', startApp })
