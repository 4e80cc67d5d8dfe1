import { readFile } from 'node:fs/promises'
import { UsageError } from './exit-codes.js'

/** Where the token command takes the client secret from. */
export interface SecretSources {
  /** `--client-secret-env NAME`: an environment variable's name. */
  env?: string | undefined
  /** `--client-secret-file PATH`. */
  file?: string | undefined
  /** `--client-secret-stdin`. */
  stdin?: boolean | undefined
  /** `--client-secret VALUE`: accepted, with a warning, since it lands in shell history. */
  value?: string | undefined
}

/** The default environment variable the secret is read from. */
export const DEFAULT_SECRET_ENV = 'OAUTH2_CLIENT_SECRET'

/**
 * Reads the client secret from exactly one source; a trailing newline (from a file or a pipe) is
 * dropped. Without any flag, the `OAUTH2_CLIENT_SECRET` environment variable.
 */
export async function readSecret(
  sources: SecretSources,
  env: NodeJS.ProcessEnv,
  stdin: AsyncIterable<Buffer | string>,
  warn: (line: string) => void,
): Promise<string> {
  const given = [sources.env, sources.file, sources.stdin ? 'stdin' : undefined, sources.value].filter((s) => s !== undefined)
  if (given.length > 1) {
    throw new UsageError('give the client secret one way only: --client-secret-env, --client-secret-file, --client-secret-stdin or --client-secret')
  }
  if (sources.value !== undefined) {
    warn('warning: --client-secret puts the secret in your shell history and process list; prefer --client-secret-env, --client-secret-file or --client-secret-stdin')
    return nonEmpty(sources.value, '--client-secret')
  }
  if (sources.file !== undefined) {
    const text = await readFile(sources.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read --client-secret-file ${sources.file}: ${error.code ?? error.message}`)
    })
    return nonEmpty(stripNewline(text), `--client-secret-file ${sources.file}`)
  }
  if (sources.stdin) {
    let text = ''
    for await (const chunk of stdin) text += chunk.toString()
    return nonEmpty(stripNewline(text), 'standard input')
  }
  const name = sources.env ?? DEFAULT_SECRET_ENV
  const value = env[name]
  if (value === undefined || value === '') {
    throw new UsageError(`no client secret: set ${name}, or use --client-secret-file, --client-secret-stdin or --client-secret-env`)
  }
  return value
}

function stripNewline(text: string): string {
  return text.replace(/\r?\n$/, '')
}

function nonEmpty(value: string, where: string): string {
  if (value === '') throw new UsageError(`the client secret from ${where} is empty`)
  return value
}
