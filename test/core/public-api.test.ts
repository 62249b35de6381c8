import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

// Every export of @audit-trail/core is a semver promise: each entry point's exports (values and
// types, as the TypeScript compiler sees them) must have a JSDoc comment and a row in the API
// table of packages/core/README.md, and the table must not list anything the entry does not export.

const root = fileURLToPath(new URL('../..', import.meta.url))
const ENTRIES = [
  { name: '@audit-trail/core', file: `${root}packages/core/src/index.ts` },
  { name: '@audit-trail/core/plugin', file: `${root}packages/core/src/plugin.ts` },
] as const

type Kind = 'class' | 'function' | 'interface' | 'type' | 'const'

interface Export {
  name: string
  kind: Kind
  documented: boolean
}

function readExports(): Map<string, Export[]> {
  const program = ts.createProgram(
    ENTRIES.map((entry) => entry.file),
    { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, skipLibCheck: true, noEmit: true },
  )
  const checker = program.getTypeChecker()
  const byEntry = new Map<string, Export[]>()
  for (const entry of ENTRIES) {
    const source = program.getSourceFile(entry.file)
    if (!source) throw new Error(`cannot read ${entry.file}`)
    const moduleSymbol = checker.getSymbolAtLocation(source)!
    byEntry.set(
      entry.name,
      checker.getExportsOfModule(moduleSymbol).map((exported) => {
        const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
        return { name: exported.name, kind: kindOf(symbol), documented: symbol.getDocumentationComment(checker).length > 0 }
      }),
    )
  }
  return byEntry
}

function kindOf(symbol: ts.Symbol): Kind {
  const flags = symbol.flags
  if (flags & ts.SymbolFlags.Class) return 'class'
  if (flags & ts.SymbolFlags.Function) return 'function'
  if (flags & ts.SymbolFlags.Interface) return 'interface'
  if (flags & ts.SymbolFlags.TypeAlias) return 'type'
  if (flags & ts.SymbolFlags.Variable) return 'const'
  throw new Error(`unexpected export kind of ${symbol.name} (flags ${flags})`)
}

/** The API table under the README heading of each entry: name → kind. */
function readmeTables(): Map<string, Map<string, string>> {
  const readme = readFileSync(`${root}packages/core/README.md`, 'utf8')
  const tables = new Map<string, Map<string, string>>()
  let current: Map<string, string> | undefined
  for (const line of readme.split('\n')) {
    const heading = /^#{1,6} (.*)$/.exec(line)
    if (heading) {
      const entry = ENTRIES.find((e) => heading[1]!.trim() === `\`${e.name}\``)
      current = entry ? new Map() : undefined
      if (entry) tables.set(entry.name, current!)
      continue
    }
    const row = /^\| `([^`]+)` \| (\w+) \|/.exec(line)
    if (current && row) {
      expect(current.has(row[1]!), `${row[1]} is listed twice`).toBe(false)
      current.set(row[1]!, row[2]!)
    }
  }
  return tables
}

const exportsByEntry = readExports()
const tables = readmeTables()

describe.each(ENTRIES)('$name', ({ name }) => {
  const exported = exportsByEntry.get(name)!
  const table = tables.get(name)

  it('exports what an app or an adapter needs, and not the internals', () => {
    expect(exported.length).toBeGreaterThan(10)
    const names = exported.map((e) => e.name)
    for (const internal of ['INSERT_ENTRIES_SQL', 'contextColumns', 'cleanText', 'MAX_CONTEXT_TEXT', 'linkHash', 'GENESIS_HASH', 'buildFilterCondition']) {
      expect(names).not.toContain(internal)
    }
  })

  it('has a JSDoc comment on every export', () => {
    expect(exported.filter((e) => !e.documented).map((e) => e.name)).toEqual([])
  })

  it('lists every export in the README API table, with its kind', () => {
    expect(table, `packages/core/README.md has no heading \`${name}\` with an API table`).toBeDefined()
    const missing = exported.filter((e) => !table!.has(e.name)).map((e) => e.name)
    expect(missing, 'exported but not in the README table').toEqual([])
    const wrongKind = exported.filter((e) => table!.has(e.name) && table!.get(e.name) !== e.kind).map((e) => `${e.name}: ${table!.get(e.name)} (is ${e.kind})`)
    expect(wrongKind).toEqual([])
  })

  it('lists nothing in the README API table that it does not export', () => {
    const names = new Set(exported.map((e) => e.name))
    expect([...table!.keys()].filter((listed) => !names.has(listed))).toEqual([])
  })
})

it('puts each name in one entry point only', () => {
  const core = new Set(exportsByEntry.get('@audit-trail/core')!.map((e) => e.name))
  expect(exportsByEntry.get('@audit-trail/core/plugin')!.map((e) => e.name).filter((name) => core.has(name))).toEqual([])
})
