/**
 * The `Authorization: DPoP` request header (RFC 9449 §7.1) and the `WWW-Authenticate: DPoP`
 * challenge a protected resource answers with, beside the Bearer ones of `tokens/bearer-authorization.ts`.
 */
import { isErrorText } from '../exchange/server-error.js'

/** What {@link parseDpopAuthorization} found. */
export type DpopAuthorization =
  /** A well-formed DPoP header; `token` is the token68. Never log it. */
  | { readonly token: string }
  /** No Authorization header, or one with another scheme. */
  | 'missing'
  /** A DPoP header that breaks the grammar, or an empty one. */
  | 'malformed'

/** The attributes of a DPoP challenge (RFC 9449 §7.1), besides `algs`. */
export interface DpopChallenge {
  /**
   * The error code; absent when the request carried no credentials.
   *
   * @default undefined
   * @example
   * { error: 'invalid_dpop_proof', errorDescription: 'the DPoP proof has no ath (the hash of the access token)' }
   */
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof' | 'use_dpop_nonce'
  /**
   * Fixed, human-readable text: %x20-21 / %x23-5B / %x5D-7E only.
   *
   * @default undefined
   * @example
   * { error: 'invalid_token', errorDescription: 'the access token is unknown, expired or revoked' }
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

// credentials = "DPoP" 1*SP token68 (RFC 9449 §7.1, RFC 9110 §11.4)
const DPOP = /^dpop +([A-Za-z0-9\-._~+/]+=*) *$/i
const DPOP_SCHEME = /^dpop(?: |$)/i

/**
 * Reads a single Authorization header for the DPoP scheme (case-insensitive, RFC 9110 §11.1);
 * another scheme is `missing`, for the Bearer reading to look at.
 *
 * @example
 * parseDpopAuthorization('DPoP mF_9.B5f-4.1JqM') // { token: 'mF_9.B5f-4.1JqM' }
 * parseDpopAuthorization('Bearer mF_9.B5f-4.1JqM') // 'missing'
 * parseDpopAuthorization('DPoP a b') // 'malformed'
 */
export function parseDpopAuthorization(header: string | undefined): DpopAuthorization {
  if (header === undefined) return 'missing'
  const match = DPOP.exec(header)
  if (match !== null) return { token: match[1] as string }
  return DPOP_SCHEME.test(header) ? 'malformed' : 'missing'
}

/**
 * The `WWW-Authenticate` value of a DPoP challenge: `DPoP algs="<the algorithms>"`, then `error`,
 * `error_description` and `scope` when given.
 *
 * @example
 * dpopChallenge({}, ['ES256', 'EdDSA']) // 'DPoP algs="ES256 EdDSA"'
 * dpopChallenge({ error: 'use_dpop_nonce', errorDescription: 'a DPoP nonce is required' }, ['ES256'])
 * // 'DPoP algs="ES256", error="use_dpop_nonce", error_description="a DPoP nonce is required"'
 */
export function dpopChallenge(challenge: DpopChallenge, algorithms: readonly string[]): string {
  let value = `DPoP algs="${quotable(algorithms.join(' '))}"`
  if (challenge.error !== undefined) value += `, error="${challenge.error}"`
  if (challenge.errorDescription !== undefined) value += `, error_description="${quotable(challenge.errorDescription)}"`
  if (challenge.scope !== undefined) value += `, scope="${quotable(challenge.scope)}"`
  return value
}

function quotable(text: string): string {
  if (text !== '' && !isErrorText(text)) throw new RangeError('a DPoP challenge attribute has characters RFC 6750 section 3 forbids')
  return text
}
