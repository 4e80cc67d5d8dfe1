import { isTokenClientError } from '../errors/token-client-error.js'

/** Exit codes of the command-line tool. */
export const EXIT = Object.freeze({
  ok: 0,
  /** Something unexpected; a bug. */
  failure: 1,
  /** Bad flags or arguments. */
  usage: 2,
  /** The server refused: an OAuth error or an unexpected status. */
  refused: 3,
  /** The server could not be reached in time: connection failure or timeout. */
  unreachable: 4,
  /** The server answered something that is not a token. */
  invalidResponse: 5,
})

/** A usage mistake: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** The exit code for an error. */
export function exitCodeFor(error: unknown): number {
  const code = (error as { code?: unknown } | undefined)?.code
  const badArguments = typeof code === 'string' && (code === 'ERR_INVALID_ARG_VALUE' || code.startsWith('ERR_PARSE_ARGS'))
  if (error instanceof UsageError || (error instanceof TypeError && badArguments)) {
    return EXIT.usage
  }
  if (!isTokenClientError(error)) return EXIT.failure
  switch (error.code) {
    case 'OAUTH_ERROR':
    case 'UNEXPECTED_STATUS':
      return EXIT.refused
    case 'TRANSPORT_ERROR':
    case 'TIMEOUT':
      return EXIT.unreachable
    case 'INVALID_RESPONSE':
      return EXIT.invalidResponse
    default:
      return EXIT.failure
  }
}
