import { describe, expect, it } from 'vitest'
import { CSV_COLUMNS, csvField, csvLine } from './csv-columns.js'

describe('csvField', () => {
  it('leaves plain text alone and writes NULL and the empty string as an empty cell', () => {
    expect(csvField('Margherita Pizza')).toBe('Margherita Pizza')
    expect(csvField(null)).toBe('')
    expect(csvField('')).toBe('')
  })

  it('quotes a comma, quote, CR or LF, doubling inner quotes (RFC 4180)', () => {
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('Jan "JJ"')).toBe('"Jan ""JJ"""')
    expect(csvField('line1\r\nline2')).toBe('"line1\r\nline2"')
    expect(csvField('lone\rcr')).toBe('"lone\rcr"')
    expect(csvField('lone\nlf')).toBe('"lone\nlf"')
  })

  it("puts ' before a formula start, ASCII or full-width, and still quotes what needs it", () => {
    for (const start of ['=', '+', '-', '@', '\t', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20']) {
      expect(csvField(`${start}1`)).toBe(`'${start}1`)
    }
    expect(csvField('\rcmd')).toBe(`"'\rcmd"`)
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`)
    expect(csvField('a=1')).toBe('a=1')
  })
})

describe('csvLine', () => {
  it('joins the cells of one row with commas and ends it with CRLF', () => {
    const row = CSV_COLUMNS.map((column) => (column === 'id' ? '7' : column === 'description' ? 'x,y' : null))
    const cells = csvLine(row).slice(0, -2).split(',')
    expect(csvLine(row).endsWith('\r\n')).toBe(true)
    expect(cells[0]).toBe('7')
    expect(csvLine(row)).toContain(',"x,y",')
    expect(cells).toHaveLength(CSV_COLUMNS.length + 1) // the quoted comma splits once more
  })
})
