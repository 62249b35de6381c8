import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

// The shape of core, checked on its import statements. The facade (log/) sits above the parts it
// combines; the CLI and the page (cli/, web/) sit above them too; nothing imports an entry file.
//   - no import cycle, between files or between folders;
//   - a part (every folder but log/, cli/ and web/, and errors.ts) never imports log/, cli/ or web/;
//   - web/ never imports cli/ (what both show lives in view/).

const SRC = dirname(fileURLToPath(import.meta.url))
const ENTRY_FILES = new Set(['index.ts', 'plugin.ts'])
const UPPER_LAYERS = new Set(['log', 'cli', 'web'])

/** Import graph: file (relative to src/, posix) → the files it imports (static, type-only, re-exports and import()). */
type ImportGraph = ReadonlyMap<string, readonly string[]>

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : []
  })
}

function readImportGraph(): ImportGraph {
  const graph = new Map<string, string[]>()
  for (const path of sourceFiles(SRC)) {
    const file = relative(SRC, path).split('\\').join('/')
    const { importedFiles } = ts.preProcessFile(readFileSync(path, 'utf8'), true, true)
    const targets = importedFiles
      .map(({ fileName }) => fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => normalize(join(dirname(file), specifier)).split('\\').join('/').replace(/\.js$/, '.ts'))
    graph.set(file, targets)
  }
  return graph
}

/** The folder (or, for a file directly in src/, the file) that a file belongs to. */
function unitOf(file: string): string {
  return file.includes('/') ? file.slice(0, file.indexOf('/')) : file
}

/** Every cycle of `edges`, each as the path that closes it (`a → b → a`). */
function findCycles(edges: ReadonlyMap<string, Iterable<string>>): string[] {
  const cycles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (node: string): void => {
    state.set(node, 'open')
    stack.push(node)
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].join(' → '))
      else if (!state.has(next)) visit(next)
    }
    stack.pop()
    state.set(node, 'done')
  }
  for (const node of [...edges.keys()].sort()) if (!state.has(node)) visit(node)
  return cycles
}

/** What breaks the layering in `graph`, one line per import (or cycle); empty when the shape holds. */
function layeringProblems(graph: ImportGraph): string[] {
  const problems: string[] = []
  const unitEdges = new Map<string, Set<string>>()
  for (const [file, targets] of graph) {
    const from = unitOf(file)
    for (const target of targets) {
      const to = unitOf(target)
      if (ENTRY_FILES.has(target)) problems.push(`${file} imports the entry file ${target}`)
      if (from !== to) {
        if (!unitEdges.has(from)) unitEdges.set(from, new Set())
        unitEdges.get(from)!.add(to)
        const isPart = !UPPER_LAYERS.has(from) && !ENTRY_FILES.has(file)
        if (isPart && UPPER_LAYERS.has(to)) problems.push(`${file} (a part) imports ${target} (${to}/ sits above the parts)`)
        if (from === 'web' && to === 'cli') problems.push(`${file} imports ${target} (web/ must not depend on cli/; share it through view/)`)
      }
    }
  }
  for (const cycle of findCycles(graph)) problems.push(`import cycle between files: ${cycle}`)
  for (const cycle of findCycles(unitEdges)) problems.push(`import cycle between folders: ${cycle}`)
  return problems
}

describe('layering of packages/core/src', () => {
  it('has no import cycle and no import from a part up to log/, cli/ or web/', () => {
    const graph = readImportGraph()
    expect(graph.size).toBeGreaterThan(50)
    expect(graph.get('log/audit-log.ts')).toContain('query/list-entries.ts')
    expect(layeringProblems(graph)).toEqual([])
  })

  it('reports each kind of breach', () => {
    const graph = new Map<string, string[]>([
      ['index.ts', ['log/audit-log.ts']],
      ['log/audit-log.ts', ['query/list-entries.ts', 'export/export-csv.ts']],
      ['export/export-csv.ts', ['log/audit-log.ts']],
      ['query/list-entries.ts', ['query/cursor.ts']],
      ['query/cursor.ts', ['query/list-entries.ts', 'cli/format-tail.ts']],
      ['web/entry-view.ts', ['cli/format-tail.ts', 'index.ts']],
      ['cli/format-tail.ts', []],
    ])
    expect(layeringProblems(graph)).toEqual([
      'export/export-csv.ts (a part) imports log/audit-log.ts (log/ sits above the parts)',
      'query/cursor.ts (a part) imports cli/format-tail.ts (cli/ sits above the parts)',
      'web/entry-view.ts imports cli/format-tail.ts (web/ must not depend on cli/; share it through view/)',
      'web/entry-view.ts imports the entry file index.ts',
      'import cycle between files: query/list-entries.ts → query/cursor.ts → query/list-entries.ts',
      'import cycle between files: export/export-csv.ts → log/audit-log.ts → export/export-csv.ts',
      'import cycle between folders: export → log → export',
    ])
  })
})
