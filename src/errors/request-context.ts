import { printableText } from './printable-text.js'
import type { AnyTokenClientError } from './token-client-error.js'
import { isTokenClientError } from './token-client-error.js'

/** Which request an error is about: where it went and for whom. */
export interface RequestContext {
  /** The token endpoint: origin and path, never the query (it may carry a credential). */
  readonly endpoint: string
  /** The client id. */
  readonly clientId: string
  /** What the caller should look at, if the client can tell (an encoding mismatch, a lockout...). */
  readonly hint?: string | undefined
}

/** The longest hint printed: room for a `kid` of the most characters taken and a long token URL path. */
const MAX_HINT_LENGTH = 4_000

/** Statuses that say the token URL itself is wrong. */
const WRONG_URL_STATUSES: ReadonlySet<number> = new Set([404, 405, 410])

/**
 * Gives a request's error the context that points at the fix: the endpoint (origin and path) and
 * the client id in its message and as `endpoint` and `clientId`, and what to check where the client
 * can tell (`check tokenUrl` for a 404, say). Errors that are not about a request (`ABORTED`,
 * `CLIENT_CLOSED`) and anything that is not a `TokenClientError` are returned as they are. Done once,
 * where the client hands the error to its callers; the message is set before anyone reads `stack`.
 *
 * @example
 * withRequestContext(error, { endpoint: 'https://id.example.com/connect/tokn', clientId: 'svc' })
 * // error.message: 'token endpoint https://id.example.com/connect/tokn (client svc) answered 404 (text/html): check tokenUrl'
 */
export function withRequestContext(error: unknown, context: RequestContext): unknown {
  if (!isTokenClientError(error) || error.endpoint !== undefined) return error
  // The deadline's cause is the last attempt's failure: it reads the same way.
  if (error.code === 'TIMEOUT') withRequestContext(error.cause, { endpoint: context.endpoint, clientId: context.clientId })
  const client = `(client ${printableText(context.clientId, 100)})`
  // A discovery error comes before any token endpoint is known: its message names the issuer instead.
  const message =
    error.code === 'DISCOVERY_ERROR'
      ? `${error.message} ${client}`
      : describe(error, `token endpoint ${context.endpoint} ${client}`)
  if (message === undefined) return error
  error.endpoint = context.endpoint
  error.clientId = context.clientId
  error.message = context.hint === undefined ? message : `${message}; ${printableText(context.hint, MAX_HINT_LENGTH)}`
  return error
}

function describe(error: AnyTokenClientError, where: string): string | undefined {
  switch (error.code) {
    case 'OAUTH_ERROR':
      return `${where} answered ${error.status} ${printableText(error.error, 100)}` +
        (error.errorDescription ? `: ${printableText(error.errorDescription)}` : '') +
        (WRONG_URL_STATUSES.has(error.status) ? '; check tokenUrl' : '')
    case 'UNEXPECTED_STATUS': {
      if (error.status >= 300 && error.status < 400) {
        return `${where} answered a redirect (${error.status}) to ${error.redirectOrigin ?? 'an unknown location'}, which is never followed: check tokenUrl`
      }
      const type = error.contentType === undefined ? '' : ` (${printableText(error.contentType, 100)})`
      return `${where} answered ${error.status}${type}${WRONG_URL_STATUSES.has(error.status) ? ': check tokenUrl' : ''}`
    }
    case 'INVALID_RESPONSE': {
      const type = error.contentType === undefined ? 'no content type' : printableText(error.contentType, 100)
      return `${where} answered ${error.status === 0 ? 'with' : error.status} (${type}) something that is not a token response: ${error.reason}`
    }
    case 'TRANSPORT_ERROR':
      return `${where} could not be reached: ${error.message.replace(/^token request failed: /, '')}`
    case 'TIMEOUT':
      return error.limit === 'attempt'
        ? `${where} did not answer within the attempt timeout of ${error.ms} ms`
        : `${where}: no token within the ${error.ms} ms deadline` + (isTokenClientError(error.cause) ? ' (cause: the last failure)' : '')
    default:
      return undefined
  }
}
