import { describe, expect, it } from 'vitest'
import { isWriteOperation } from './write-operations.js'

// The shapes Prisma 7.10 passes to a query extension for raw queries (measured).
const sqlTemplate = (strings: string[]) => ({ strings, values: strings.slice(1).map(() => 1) })

describe('isWriteOperation', () => {
  it('model writes are writes, model reads are not', () => {
    for (const operation of ['create', 'createMany', 'createManyAndReturn', 'update', 'updateMany', 'updateManyAndReturn', 'upsert', 'delete', 'deleteMany']) {
      expect(isWriteOperation({ model: 'Item', operation, args: {} }), operation).toBe(true)
    }
    for (const operation of ['findUnique', 'findUniqueOrThrow', 'findFirst', 'findMany', 'count', 'aggregate', 'groupBy']) {
      expect(isWriteOperation({ model: 'Item', operation, args: {} }), operation).toBe(false)
    }
  })

  it('raw queries are writes when their SQL writes, whichever raw form carries it', () => {
    expect(isWriteOperation({ operation: '$executeRaw', args: sqlTemplate(['UPDATE items SET name = ', ' WHERE id = ', '']) })).toBe(true)
    expect(isWriteOperation({ operation: '$executeRawUnsafe', args: ['DELETE FROM items WHERE id = $1', 1] })).toBe(true)
    expect(isWriteOperation({ operation: '$queryRaw', args: sqlTemplate(['UPDATE items SET name = ', ' RETURNING id']) })).toBe(true)
    expect(isWriteOperation({ operation: '$queryRawUnsafe', args: ['WITH d AS (DELETE FROM items RETURNING id) SELECT * FROM d'] })).toBe(true)
    expect(isWriteOperation({ operation: '$queryRawTyped', args: { sql: 'INSERT INTO items DEFAULT VALUES' } })).toBe(true)
    expect(isWriteOperation({ operation: '$queryRaw', args: sqlTemplate(['SELECT * FROM items WHERE id = ', '']) })).toBe(false)
    expect(isWriteOperation({ operation: '$queryRawUnsafe', args: ['SELECT 1'] })).toBe(false)
  })

  it('a raw query whose SQL cannot be read counts as a write (requireContext errs on the safe side)', () => {
    expect(isWriteOperation({ operation: '$executeRaw', args: { unexpected: true } })).toBe(true)
  })
})
