// UsageError lives with every other error in errors.ts.
export { UsageError } from '../errors.js'
