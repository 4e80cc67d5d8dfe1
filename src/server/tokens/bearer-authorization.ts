/**
 * The `Authorization: Bearer` request header (RFC 6750 §2.1) and the `WWW-Authenticate: Bearer`
 * challenge a protected resource answers with (RFC 6750 §3).
 */
import { REALM } from '../exchange/respond.js'
import { isErrorText } from '../exchange/server-error.js'

/** What {@link parseBearerAuthorization} found. */
export type BearerAuthorization =
  /** A well-formed Bearer header; `token` is the b64token. Never log it. */
  | { readonly token: string }
  /** No Authorization header, or one with another scheme: no Bearer credentials at all. */
  | 'missing'
  /** A Bearer header that breaks the grammar, an empty one, or more than one Authorization header. */
  | 'malformed'

/** The attributes of a Bearer challenge (RFC 6750 §3). */
export interface BearerChallenge {
  /**
   * The error code; absent when the request carried no credentials (RFC 6750 §3.1).
   *
   * @default undefined
   * @example
   * { error: 'invalid_token', errorDescription: 'the access token is not active' }
   */
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope'
  /**
   * Fixed, human-readable text: %x20-21 / %x23-5B / %x5D-7E only.
   *
   * @default undefined
   * @example
   * { error: 'invalid_request', errorDescription: 'malformed Bearer credentials' }
   */
  errorDescription?: string
  /**
   * The scope the request needs, for `insufficient_scope`.
   *
   * @default undefined
   * @example
   * { error: 'insufficient_scope', scope: 'api:write' }
   */
  scope?: string
}

// credentials = "Bearer" 1*SP b64token; b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i
const BEARER_SCHEME = /^bearer(?: |$)/i

/**
 * Reads the Authorization header of a resource request. The scheme name is case-insensitive
 * (RFC 7235 §2.1); another scheme counts as no Bearer credentials.
 *
 * @param repeated - true when the request carried more than one Authorization header.
 * @example
 * parseBearerAuthorization('Bearer mF_9.B5f-4.1JqM', false) // { token: 'mF_9.B5f-4.1JqM' }
 * parseBearerAuthorization('Basic c3ZjOng=', false) // 'missing'
 * parseBearerAuthorization('Bearer a b', false) // 'malformed'
 */
export function parseBearerAuthorization(header: string | undefined, repeated: boolean): BearerAuthorization {
  if (header === undefined) return 'missing'
  if (repeated) return 'malformed'
  const match = BEARER.exec(header)
  if (match !== null) return { token: match[1] as string }
  if (BEARER_SCHEME.test(header) || header.trim() === '') return 'malformed'
  return 'missing'
}

/**
 * The `WWW-Authenticate` value of a Bearer challenge: `Bearer realm="reference-server"`, then
 * `error`, `error_description` and `scope` when given.
 *
 * @example
 * bearerChallenge({}) // 'Bearer realm="reference-server"'
 * bearerChallenge({ error: 'insufficient_scope', errorDescription: 'scope required', scope: 'api:write' })
 * // 'Bearer realm="reference-server", error="insufficient_scope", error_description="scope required", scope="api:write"'
 */
export function bearerChallenge(challenge: BearerChallenge): string {
  let value = `Bearer realm="${REALM}"`
  if (challenge.error !== undefined) value += `, error="${challenge.error}"`
  if (challenge.errorDescription !== undefined) value += `, error_description="${quotable(challenge.errorDescription)}"`
  if (challenge.scope !== undefined) value += `, scope="${quotable(challenge.scope)}"`
  return value
}

function quotable(text: string): string {
  if (text !== '' && !isErrorText(text)) {
    throw new RangeError('a Bearer challenge attribute has characters RFC 6750 §3 forbids')
  }
  return text
}
