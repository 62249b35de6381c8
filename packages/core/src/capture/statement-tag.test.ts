import { describe, expect, it } from 'vitest'
import { runWithAuditContext } from '../context/audit-context.js'
import { MissingAuditContextError } from '../errors.js'
import { assertStatementContext, isWritingStatement, readAuditContextTag, tagStatement, withAuditContextSql } from './statement-tag.js'

describe('tagStatement', () => {
  it('appends the context as one trailing sqlcommenter comment, base64url JSON', () => {
    const sql = runWithAuditContext({ actor: { id: 7n, name: 'Ana' }, ipAddress: '10.0.0.1' }, () => tagStatement('UPDATE t SET a = $1'))
    expect(sql).toMatch(/^UPDATE t SET a = \$1 \/\*audit_trail='[A-Za-z0-9_-]+'\*\/$/)
    expect(readAuditContextTag(sql)).toMatchObject({ actor_type: 'user', actor_id: '7', actor_name: 'Ana', ip_address: '10.0.0.1', source: 'orm' })
  })

  it('tags a statement outside any context as the app’s system write', () => {
    expect(readAuditContextTag(tagStatement('DELETE FROM t'))).toEqual({ actor_type: 'system', log_name: 'backoffice', source: 'orm' })
    expect(readAuditContextTag(tagStatement('DELETE FROM t', { logName: 'customer' }))).toMatchObject({ log_name: 'customer' })
  })

  it('leaves transaction control alone, trims trailing space, and starts a new line after a -- comment', () => {
    for (const sql of ['BEGIN', 'COMMIT;', 'SAVEPOINT s1', 'release savepoint s1', 'START TRANSACTION ISOLATION LEVEL SERIALIZABLE;', 'SET LOCAL x = 1']) {
      expect(tagStatement(sql)).toBe(sql)
    }
    expect(tagStatement('SELECT 1;  \n')).toMatch(/^SELECT 1; \/\*audit_trail='/)
    expect(tagStatement('UPDATE t SET a = 1 -- why')).toMatch(/^UPDATE t SET a = 1 -- why\n\/\*audit_trail='/)
  })

  it('withAuditContextSql tags with the current context', () => {
    const sql = runWithAuditContext({ actor: { id: 'u1' } }, () => withAuditContextSql('INSERT INTO t VALUES (1)'))
    expect(readAuditContextTag(sql)).toMatchObject({ actor_id: 'u1' })
  })
})

describe('readAuditContextTag', () => {
  const tag = (json: string) => Buffer.from(json).toString('base64url')
  it('reads only a tag that ends the text, from its last comment, among other keys', () => {
    expect(readAuditContextTag(`SELECT 1 /*a='1',audit_trail='${tag('{"actor_id":"x"}')}',z='2'*/`)).toEqual({ actor_id: 'x' })
    expect(readAuditContextTag(`SELECT '/*audit_trail=''${tag('{"actor_id":"x"}')}''*/'`)).toBeNull()
    expect(readAuditContextTag(`SELECT 1 /*audit_trail='${tag('{"a":1}')}'*/ /*other='1'*/`)).toBeNull()
    expect(readAuditContextTag(`SELECT 1 /*audit_trail='${tag('[1]')}'*/`)).toBeNull()
    expect(readAuditContextTag(`SELECT 1 /*audit_trail='a+b/'*/`)).toBeNull()
  })
})

describe('isWritingStatement', () => {
  it.each([
    ['INSERT INTO t VALUES (1)', true],
    ['  update t set a = 1', true],
    ['/* hint */ DELETE FROM t', true],
    ['-- note\nMERGE INTO t USING s ON true WHEN MATCHED THEN DELETE', true],
    ['TRUNCATE t', true],
    ['COPY t FROM STDIN', true],
    ['CALL p()', true],
    ['WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x', true],
    ['WITH x AS (SELECT 1) SELECT * FROM x', false],
    ['SELECT * FROM t WHERE note = $1', false],
    ['SELECT * FROM t FOR UPDATE', false],
    ['BEGIN', false],
  ])('%s → %s', (sql, writes) => {
    expect(isWritingStatement(sql)).toBe(writes)
  })

  it('assertStatementContext rejects a writing statement without context only', () => {
    expect(() => assertStatementContext('UPDATE t SET a = 1')).toThrow(MissingAuditContextError)
    expect(() => assertStatementContext('SELECT 1')).not.toThrow()
    expect(() => runWithAuditContext({ actor: null }, () => assertStatementContext('UPDATE t SET a = 1'))).not.toThrow()
  })
})
