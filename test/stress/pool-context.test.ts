import { definePoolContextSuite } from '../reliability/pool-context.js'

// R4 at full size: 10,000 requests with random actors per ORM through a pool of 2.
definePoolContextSuite(10_000)
