import { InvalidArgumentError } from '../errors.js'
import type { CaptureOptions, CaptureTarget } from './captured-tables.js'
import { parseTableName, quoteTableName } from './table-name.js'
import { isPlainObject } from '../validate/validators.js'

/**
 * The file `audit-trail capture --config FILE` reads: the tables to capture and their options,
 * keyed by table name (`"public.Article"`, `"items"`; unquoted names are exact, never
 * lower-cased). `captureConfig(targets)` writes one from a plugin's plan.
 *
 * @example
 * { "tables": { "public.Article": { "resourceType": "article", "nameColumn": "title", "redact": ["password_hash"] },
 *               "public._ArticleToTag": { "resourceType": "article_tag" } } }
 */
export interface CaptureConfig {
  /** Capture options by table name (`"public.Article"`). */
  tables: Record<string, CaptureOptions>
}

const OPTION_KEYS = new Set(['resourceType', 'nameColumn', 'ignore', 'redact', 'toggle'])

/** Reads and checks a capture config (parsed JSON); throws InvalidArgumentError naming the bad part. */
export function parseCaptureConfig(value: unknown): CaptureTarget[] {
  const fail = (message: string): never => {
    throw new InvalidArgumentError(`audit-trail: capture config: ${message}`)
  }
  if (!isPlainObject(value) || !isPlainObject(value.tables)) return fail('expected { "tables": { "<schema.table>": { options } } }.')
  const unknownTop = Object.keys(value).filter((key) => key !== 'tables')
  if (unknownTop.length > 0) fail(`unknown key(s) ${unknownTop.join(', ')}; only "tables".`)
  const targets: CaptureTarget[] = []
  for (const [table, raw] of Object.entries(value.tables)) {
    if (!isPlainObject(raw)) fail(`tables[${JSON.stringify(table)}] must be an object of options.`)
    const options = raw as Record<string, unknown>
    const unknown = Object.keys(options).filter((key) => !OPTION_KEYS.has(key))
    if (unknown.length > 0) fail(`tables[${JSON.stringify(table)}] has unknown option(s) ${unknown.join(', ')}; known: ${[...OPTION_KEYS].join(', ')}.`)
    const text = (key: string) => {
      const v = options[key]
      if (v !== undefined && v !== null && typeof v !== 'string') fail(`tables[${JSON.stringify(table)}].${key} must be a string.`)
      return v as string | null | undefined
    }
    const list = (key: string) => {
      const v = options[key]
      if (v !== undefined && !(Array.isArray(v) && v.every((item) => typeof item === 'string'))) {
        fail(`tables[${JSON.stringify(table)}].${key} must be an array of column names.`)
      }
      return v as string[] | undefined
    }
    const toggle = options.toggle
    if (toggle !== undefined && toggle !== false && typeof toggle !== 'string') fail(`tables[${JSON.stringify(table)}].toggle must be a column name or false.`)
    const name = parseTableName(table)
    targets.push({
      model: quoteTableName(name),
      name,
      options: {
        ...(text('resourceType') ? { resourceType: text('resourceType')! } : {}),
        nameColumn: text('nameColumn') ?? null,
        ignore: list('ignore') ?? [],
        redact: list('redact') ?? [],
        ...(toggle === undefined ? {} : { toggle: toggle as string | false }),
      },
    })
  }
  if (targets.length === 0) fail('"tables" is empty.')
  return targets
}

/** A capture config for `targets` (e.g. a plugin's plan), ready for JSON.stringify. */
export function captureConfig(targets: readonly CaptureTarget[]): CaptureConfig {
  const tables: Record<string, CaptureOptions> = {}
  for (const target of targets) {
    const key = target.name.schema ? `${target.name.schema}.${target.name.table}` : target.name.table
    tables[/[."]/.test(target.name.table) || (target.name.schema && /[."]/.test(target.name.schema)) ? quoteTableName(target.name) : key] =
      target.options
  }
  return { tables }
}
