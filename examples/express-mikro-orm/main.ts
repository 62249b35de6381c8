// `npx tsx examples/express-mikro-orm/main.ts [--once]` (or `npm run example:mikro-orm`): the walkthrough of
// examples/shared/run-example.ts on this example's app, in the database `conduit_mikro_orm` on a real server.
import { runExample } from '../shared/run-example.ts'
import { startApp } from './app.ts'

await runExample({ database: 'conduit_mikro_orm', startApp })
