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
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false })
  } catch (error) {
    const code = (error as { code?: string }).code
    const message = (error as Error).message
    const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1]
    const help = `see audit-trail ${command} --help`
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
