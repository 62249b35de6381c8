import { defineHotRowsSuite } from '../reliability/hot-rows.js'

// R3 at full size: 8 writers x 1,000 operations on the same rows, per write path.
defineHotRowsSuite(1000)
