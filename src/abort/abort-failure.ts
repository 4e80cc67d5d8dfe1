import { AbortError, TokenClientError } from '../errors/token-client-error.js'

/**
 * What a token request fails with once its signal has fired: the reason itself when it is one of the
 * client's errors (`CLIENT_CLOSED` from `close()`, the `ABORTED` of callers who all left, a `TIMEOUT`),
 * else an `ABORTED` error with the reason as its `cause`.
 *
 * @example
 * abortFailure(new ClientClosedError()) // that error
 * abortFailure(new DOMException('stop', 'AbortError')) // AbortError { cause: DOMException }
 */
export function abortFailure(reason: unknown): TokenClientError {
  return reason instanceof TokenClientError ? reason : new AbortError(reason)
}
