import { usingEmbeddedPostgres } from '../support/test-database.js'
import { defineHotRowsSuite } from './hot-rows.js'

// The full 8 x 1,000 runs on the server in `npm run test:stress` (test/stress/hot-rows.test.ts).
// Here 8 x 150 on a server; on PGlite 8 x 50, because there the writers share one connection
// and run one statement at a time, so more operations add time but no new interleavings.
defineHotRowsSuite(usingEmbeddedPostgres ? 50 : 150)
