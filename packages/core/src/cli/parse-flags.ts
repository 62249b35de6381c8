import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from './usage-error.js'

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * `node:util` parseArgs in strict mode, with its errors turned into one-line UsageErrors that
 * name the flag and point at `--help`.
 */
export function parseFlags<T extends Options>(
  command: string,
  args: readonly string[],
  options: T,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>> {
  const help = `see audit-trail ${command} --help`
  // parseArgs reads `--limit -1` as a flag without a value followed by a flag `-1`, and says
  // "takes no value". Numbers (negative ones included) are values here; any other dash word
  // after a flag that takes a value means the value is missing.
  const joined: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const name = /^--([^=]+)$/.exec(arg)?.[1]
    if (name !== undefined && options[name]?.type === 'string') {
      const value = args[i + 1]
      if (value === undefined || (value.startsWith('-') && !/^-\d/.test(value))) {
        throw new UsageError(`audit-trail: --${name} needs a value; ${help}.`)
      }
      joined.push(`${arg}=${value}`)
      i++
      continue
    }
    joined.push(arg)
  }
  try {
    return parseArgs({ args: joined, options, strict: true, allowPositionals: false })
  } catch (error) {
    const code = (error as { code?: string }).code
    const message = (error as Error).message
    const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1]
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`audit-trail: unknown flag ${flag ?? message} for ${command}; ${help}.`)
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UsageError(`audit-trail: ${flag ?? 'a flag'} ${/argument missing/.test(message) ? 'needs a value' : 'takes no value'}; ${help}.`)
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const positional = /'([^']*)'/.exec(message)?.[1]
      throw new UsageError(`audit-trail: unexpected argument ${JSON.stringify(positional ?? '')} for ${command}; ${help}.`)
    }
    throw new UsageError(`audit-trail: ${message.split('\n')[0]}; ${help}.`)
  }
}
