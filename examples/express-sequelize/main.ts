// `npx tsx examples/express-sequelize/main.ts [--once]` (or `npm run example:sequelize`): the walkthrough of
// examples/shared/run-example.ts on this example's app, in the database `conduit_sequelize` on a real server.
import { runExample } from '../shared/run-example.ts'
import { startApp } from './app.ts'

await runExample({ database: 'conduit_sequelize', startApp })
