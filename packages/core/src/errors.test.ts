import { describe, expect, it } from 'vitest'
import { AuditConfigurationError, AuditTrailError, MissingAuditContextError } from './errors.js'

describe('AuditConfigurationError.catalogUnreadable', () => {
  // Regression (issue 16): "Apply the sql/ migrations first" was printed when the database was simply unreachable.
  it.each([
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }, /unreachable or refused the login/],
    [{ code: '28P01', message: 'password authentication failed' }, /unreachable or refused the login/],
    [{ code: '3D000', message: 'database "x" does not exist' }, /unreachable or refused the login/],
    [{ code: '42P01', message: 'relation "audit_trail.captured_tables" does not exist' }, /sql\/ is not applied/],
    [{ code: '3F000', message: 'schema "audit_trail" does not exist' }, /sql\/ is not applied/],
    [{ code: '42501', message: 'permission denied for schema audit_trail' }, /grant_app_role/],
  ])('%j', (cause, fix) => {
    const error = AuditConfigurationError.catalogUnreadable(cause)
    expect(error).toBeInstanceOf(AuditTrailError)
    expect(error.message).toContain(cause.message)
    expect(error.message).toMatch(fix)
    expect(error.cause).toBe(cause)
  })
})

describe('MissingAuditContextError', () => {
  it('carries a code that survives ORMs copying its own properties', () => {
    const error = MissingAuditContextError.forStatement('UPDATE items SET price = 1')
    expect({ ...error }).toMatchObject({ code: 'AUDIT_TRAIL_MISSING_CONTEXT' })
    expect(error.message).toContain('UPDATE items SET price = 1')
  })
})
