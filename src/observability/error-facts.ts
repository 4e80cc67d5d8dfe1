import { isTokenClientError, type TokenClientErrorCode } from '../errors/token-client-error.js'

/** What telemetry says of an error: its code, the server's OAuth `error` and the HTTP status, nothing of its text. */
export interface ErrorFacts {
  readonly code: TokenClientErrorCode | undefined
  readonly oauthError: string | undefined
  readonly status: number | undefined
}

const NO_FACTS: ErrorFacts = { code: undefined, oauthError: undefined, status: undefined }

/**
 * The OAuth `error` as an attribute value: RFC 6749 codes are short words of `[a-z_]`; anything else
 * a server sends becomes `_OTHER` (OpenTelemetry's fallback value), so that a server's odd text
 * neither lands in a metric nor multiplies its series.
 */
export function oauthErrorValue(error: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(error) ? error : '_OTHER'
}

/**
 * The facts of `error`: for a `TokenClientError` (of any copy of the package) its `code`, the OAuth
 * `error` of an `OAUTH_ERROR` and the `status` of an error about a response; nothing for anything else.
 */
export function errorFacts(error: unknown): ErrorFacts {
  if (!isTokenClientError(error)) return NO_FACTS
  const oauth = error.code === 'OAUTH_ERROR' && typeof error.error === 'string' ? oauthErrorValue(error.error) : undefined
  const status = 'status' in error && typeof error.status === 'number' ? error.status : undefined
  return { code: error.code, oauthError: oauth, status }
}

/** How a request that failed with `code` ended: given up (`aborted`) or failed. */
export function failureOutcome(code: TokenClientErrorCode | undefined): 'failure' | 'aborted' {
  return code === 'ABORTED' || code === 'CLIENT_CLOSED' ? 'aborted' : 'failure'
}
