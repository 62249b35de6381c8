import { definePoolContextSuite } from './pool-context.js'

// 1,000 requests per ORM here; the full 10,000 (about a minute per ORM) run on the server in
// `npm run test:stress` (test/stress/pool-context.test.ts).
definePoolContextSuite(1000)
