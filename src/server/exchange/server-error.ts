/**
 * The one way a step ends a request before it succeeds: it throws a `ServerError` (status, `error`
 * code, fixed description, extra headers) and `answerError` in `respond.ts` writes it, as
 * oidc-provider's actions throw `InvalidRequest` and its error handler answers.
 */
import type { OutgoingHttpHeaders } from 'node:http'

/**
 * The error codes this server answers with (RFC 6749 §5.2, RFC 8707 §2, RFC 6750 §3.1 for the
 * protected resource, RFC 9449 §5 and §7.1 for DPoP, and `not_found` of its own for unknown paths).
 */
export type ServerErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'not_found'

// error_description = 1*( %x20-21 / %x23-5B / %x5D-7E ): no double quote, no backslash (RFC 6749 §5.2).
const ERROR_TEXT = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/

/**
 * True when `text` may appear as an `error` or `error_description` (RFC 6749 §5.2, App. A.7-A.8),
 * or as a quoted attribute of a Bearer challenge (RFC 6750 §3 allows the same characters).
 *
 * @example
 * isErrorText('client authentication failed') // true
 * isErrorText('bad "scope"') // false
 */
export function isErrorText(text: string): boolean {
  return ERROR_TEXT.test(text)
}

/**
 * An error answer, thrown by a step and written by `answerError`. The description is fixed text of
 * this server, never an echo of the request (so it never holds a secret or a token); text RFC 6749
 * §5.2 forbids is refused here, where the mistake is made.
 *
 * @example
 * throw new ServerError(400, 'invalid_scope', 'scope not allowed for this client')
 * throw new ServerError(429, 'invalid_client', 'too many failed attempts', { 'retry-after': '30' })
 */
export class ServerError extends Error {
  /** The HTTP status, before quirks (`errors-as-400`) change it. */
  readonly status: number
  /**
   * The `error` code; `undefined` only for a Bearer challenge to a request that carried no
   * credentials (RFC 6750 §3.1), answered with its headers and an empty body.
   */
  readonly error: ServerErrorCode | undefined
  /** The `error_description`. */
  readonly description: string
  /** Headers of the answer: `Allow`, `Retry-After`, a `WWW-Authenticate` challenge... */
  readonly headers: Readonly<OutgoingHttpHeaders> | undefined

  constructor(
    status: number,
    error: ServerErrorCode | undefined,
    description: string,
    headers?: Readonly<OutgoingHttpHeaders>,
  ) {
    if (!isErrorText(description)) throw new RangeError('error_description has characters RFC 6749 §5.2 forbids')
    super(description)
    this.name = 'ServerError'
    this.status = status
    this.error = error
    this.description = description
    this.headers = headers
  }
}
