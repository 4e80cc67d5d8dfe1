/**
 * The errors `TokenClient.getToken()` rejects with. Every one extends {@link TokenClientError} and
 * carries a `code` from the closed {@link TokenClientErrorCode} union, so `switch (error.code)`
 * narrows to the concrete class. No message or property ever holds the client secret or a token.
 */

import { printableText } from './printable-text.js'

const brand = Symbol.for('oauth2-client-credentials.TokenClientError')

/**
 * The stable codes of {@link TokenClientError}.
 *
 * - `OAUTH_ERROR`: the server answered with an OAuth error (`invalid_client`, `invalid_scope`, ...). Never retried.
 * - `UNEXPECTED_STATUS`: a status other than 2xx without an OAuth error body, a redirect among them.
 * - `INVALID_RESPONSE`: a response that is not a usable token response (HTML, bad JSON, wrong `token_type`, too large...).
 * - `TRANSPORT_ERROR`: the connection failed (refused, reset, DNS, TLS); the original error is the `cause`;
 *   `transient` says whether it could change (and was retried): an untrusted certificate cannot.
 * - `TIMEOUT`: one attempt, or the whole operation, ran past its time limit; at the deadline, the last
 *   attempt's failure is the `cause`.
 * - `ABORTED`: the caller's `AbortSignal` fired.
 * - `CLIENT_CLOSED`: `close()` was called.
 * - `DISCOVERY_ERROR`: with `issuer`, the authorization server metadata could not be used (not found,
 *   another `issuer`, no usable `token_endpoint`, no auth method that fits); no token request was sent.
 *
 * @example
 * if (isTokenClientError(error)) {
 *   switch (error.code) {
 *     case 'TRANSPORT_ERROR':
 *     case 'TIMEOUT':
 *       metrics.increment('idp.unreachable')
 *       break
 *     case 'OAUTH_ERROR':
 *       metrics.increment('idp.refused')
 *       break
 *   }
 * }
 */
export type TokenClientErrorCode =
  | 'OAUTH_ERROR'
  | 'UNEXPECTED_STATUS'
  | 'INVALID_RESPONSE'
  | 'TRANSPORT_ERROR'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'CLIENT_CLOSED'
  | 'DISCOVERY_ERROR'

/**
 * Options every {@link TokenClientError} accepts.
 * @inline
 */
export interface TokenClientErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown
}

/**
 * Base class of every error the token client produces.
 *
 * @example
 * try {
 *   await client.getToken('api:read')
 * } catch (error) {
 *   if (isTokenClientError(error) && error.code === 'OAUTH_ERROR') console.error(error.error)
 * }
 */
export abstract class TokenClientError extends Error {
  /** The stable code; see {@link TokenClientErrorCode}. */
  abstract readonly code: TokenClientErrorCode
  /** How many HTTP requests were sent before this error was final (0 when none was sent). */
  attempts = 0
  /**
   * The token endpoint the request went to, origin and path (never the query), when the error is
   * about a request; set by the client, as it names it in the message.
   */
  endpoint: string | undefined = undefined
  /** The client id the request was for, when the error is about a request. */
  clientId: string | undefined = undefined

  constructor(message: string, options: TokenClientErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined)
    Object.defineProperty(this, brand, { value: true })
  }

  /**
   * `instanceof TokenClientError` holds for any of the package's errors, also one created by another
   * copy of the package (two versions of it in `node_modules`, say).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, TokenClientError, value)
  }

  /** The class name, such as `OAuthError`, also for an error from another copy of the package. */
  override get name(): string {
    return this.constructor.name
  }
}

/**
 * True for any {@link TokenClientError}, also one created by another copy of this package.
 *
 * @example
 * if (isTokenClientError(error)) console.error(error.code)
 */
export function isTokenClientError(value: unknown): value is AnyTokenClientError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true
}

/**
 * `instanceof` for one of the package's error classes, as undici's errors do it: by the brand every
 * {@link TokenClientError} carries and, for a concrete class, its `code`, so that an error from another
 * copy of the package passes. For a caller's own subclass (`this` is not the package's class), the
 * prototype chain decides, as it does without `Symbol.hasInstance`.
 */
function hasInstance(target: Function, own: Function, value: unknown, code?: TokenClientErrorCode): boolean {
  if (target !== own) return Function.prototype[Symbol.hasInstance].call(target, value)
  return isTokenClientError(value) && (code === undefined || value.code === code)
}

/** The fields of an OAuth 2.0 error response (RFC 6749 §5.2). */
export interface OAuthErrorFields {
  /** The `error` code, such as `invalid_client`. */
  error: string
  /** The server's `error_description`, if it sent one. */
  errorDescription?: string | undefined
  /** The server's `error_uri`, if it sent one. */
  errorUri?: string | undefined
  /** The HTTP status of the response. */
  status: number
  /** The server's `Retry-After`, in milliseconds, when it sent one (with a 429 or 503, say). */
  retryAfterMs?: number | undefined
}

/**
 * The token endpoint answered with an OAuth error: a response with an `error` member, a 200 included.
 * Final and never retried, except at a transient status (408, 429, 5xx) such as
 * `503 temporarily_unavailable`.
 *
 * @example
 * if (error instanceof OAuthError && error.error === 'invalid_scope') {
 *   console.error(`the server refused the scope: ${error.errorDescription ?? ''}`)
 * }
 */
export class OAuthError extends TokenClientError {
  readonly code = 'OAUTH_ERROR' as const
  /** The `error` code, such as `invalid_client`. */
  readonly error: string
  /** The server's `error_description`, if it sent one. */
  readonly errorDescription: string | undefined
  /** The server's `error_uri`, if it sent one. */
  readonly errorUri: string | undefined
  /** The HTTP status of the response. */
  readonly status: number
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | undefined

  constructor(fields: OAuthErrorFields, message?: string) {
    super(
      message ??
        `token endpoint answered ${fields.status} ${printableText(fields.error, 100)}` +
          (fields.errorDescription ? `: ${printableText(fields.errorDescription)}` : ''),
    )
    this.error = fields.error
    this.errorDescription = fields.errorDescription
    this.errorUri = fields.errorUri
    this.status = fields.status
    this.retryAfterMs = fields.retryAfterMs
  }

  /** `instanceof OAuthError` holds for an `OAUTH_ERROR` error, also one created by another copy of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, OAuthError, value, 'OAUTH_ERROR')
  }
}

/** Fields of an {@link UnexpectedStatusError}. */
export interface UnexpectedStatusFields {
  /** The HTTP status of the response. */
  status: number
  /** The response's `Content-Type`, if it had one. */
  contentType?: string | undefined
  /** The origin a redirect pointed to (never the full URL, which may carry credentials). */
  redirectOrigin?: string | undefined
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  retryAfterMs?: number | undefined
}

/**
 * The token endpoint answered a status that is neither success nor an OAuth error: a 5xx or 429 page
 * after retries ran out, a 404, or a redirect (which is never followed).
 *
 * @example
 * if (error instanceof UnexpectedStatusError && error.redirectOrigin) {
 *   console.error(`the token URL redirects to ${error.redirectOrigin}: fix tokenUrl`)
 * }
 */
export class UnexpectedStatusError extends TokenClientError {
  readonly code = 'UNEXPECTED_STATUS' as const
  /** The HTTP status of the response, such as 503 or 302. */
  readonly status: number
  /** The response's `Content-Type` (`text/html` for an error page, say), if it had one. */
  readonly contentType: string | undefined
  /** For a redirect, the origin it pointed to (never the full URL, which may carry credentials). */
  readonly redirectOrigin: string | undefined
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | undefined

  constructor(fields: UnexpectedStatusFields) {
    const what =
      fields.status >= 300 && fields.status < 400
        ? `a redirect (${fields.status}) to ${fields.redirectOrigin ?? 'an unknown location'}, which is never followed`
        : `status ${fields.status}` + (fields.contentType ? ` with content type ${printableText(fields.contentType, 100)}` : '')
    super(`token endpoint answered ${what}`)
    this.status = fields.status
    this.contentType = fields.contentType
    this.redirectOrigin = fields.redirectOrigin
    this.retryAfterMs = fields.retryAfterMs
  }

  /** `instanceof UnexpectedStatusError` holds for an `UNEXPECTED_STATUS` error, also one created by another copy of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, UnexpectedStatusError, value, 'UNEXPECTED_STATUS')
  }
}

/** Fields of an {@link InvalidResponseError}. */
export interface InvalidResponseFields {
  /** The HTTP status of the response. */
  status: number
  /** The response's `Content-Type`, if it had one. */
  contentType?: string | undefined
  /** What is wrong, in a few words; never part of the body. */
  reason: string
  /** The underlying error, if any (undici's, for headers too large to parse). */
  cause?: unknown
}

/**
 * The token endpoint answered something that is not a usable token response. Never retried.
 *
 * @example
 * if (error instanceof InvalidResponseError) console.error(`not a token response (${error.contentType}): ${error.reason}`)
 */
export class InvalidResponseError extends TokenClientError {
  readonly code = 'INVALID_RESPONSE' as const
  /** The HTTP status of the response (usually 200). */
  readonly status: number
  /** The response's `Content-Type`, if it had one. */
  readonly contentType: string | undefined
  /** What is wrong, in a few words, such as `expires_in is negative`; never a part of the body. */
  readonly reason: string

  constructor(fields: InvalidResponseFields) {
    super(
      `invalid token response (status ${fields.status}, content type ${fields.contentType === undefined ? 'none' : printableText(fields.contentType, 100)}): ${fields.reason}`,
      'cause' in fields ? { cause: fields.cause } : {},
    )
    this.status = fields.status
    this.contentType = fields.contentType
    this.reason = fields.reason
  }

  /** `instanceof InvalidResponseError` holds for an `INVALID_RESPONSE` error, also one created by another copy of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, InvalidResponseError, value, 'INVALID_RESPONSE')
  }
}

/**
 * The connection to the token endpoint failed; the original error is `cause`, its `code` says how
 * (`ECONNREFUSED`, `UND_ERR_SOCKET`, `DEPTH_ZERO_SELF_SIGNED_CERT`...). Retried when {@link transient}:
 * a network failure is, a certificate the client does not trust is not.
 *
 * @example
 * if (error instanceof TransportError && !error.transient) console.error('fix the TLS or proxy set-up', error.cause)
 */
export class TransportError extends TokenClientError {
  readonly code = 'TRANSPORT_ERROR' as const
  /**
   * True for a failure that may be gone on the next attempt (refused, reset, DNS, a socket timeout, a
   * proxy answering 502/503/504 to its tunnel), which was retried; false for one that comes back every
   * time, and was not: a certificate the client does not trust (expired, self-signed, another host's),
   * a failed TLS handshake, a proxy refusing the tunnel (403, 407).
   */
  readonly transient: boolean

  /**
   * @param message What failed; never a secret.
   * @param cause The dispatcher's or the system's error.
   * @param transient Whether sending the request again may succeed. @default true
   */
  constructor(message: string, cause: unknown, transient = true) {
    super(message, { cause })
    this.transient = transient
  }

  /** `instanceof TransportError` holds for a `TRANSPORT_ERROR` error, also one created by another copy of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, TransportError, value, 'TRANSPORT_ERROR')
  }
}

/**
 * One attempt or the whole operation took too long. An attempt timeout is retried; the deadline is
 * final, and its `cause` is the last attempt's failure, so a deadline spent on a refused connection
 * or a 503 still says so.
 *
 * @example
 * if (error instanceof TimeoutError && error.limit === 'deadline') console.error(`no token within ${error.ms} ms`)
 */
export class TimeoutError extends TokenClientError {
  readonly code = 'TIMEOUT' as const

  /**
   * @param options At the deadline, `cause` is the failure of the last attempt that failed before it
   *   (a `TransportError`, a 503 `UnexpectedStatusError`, an attempt `TIMEOUT`...); none when no attempt had failed.
   */
  constructor(
    /** Which limit ran out. */
    readonly limit: 'attempt' | 'deadline',
    /** The limit, in milliseconds. */
    readonly ms: number,
    options: TokenClientErrorOptions = {},
  ) {
    super(
      limit === 'attempt'
        ? `token request attempt timed out after ${ms} ms`
        : `token request did not succeed within its ${ms} ms deadline`,
      options,
    )
  }

  /** `instanceof TimeoutError` holds for a `TIMEOUT` error, also one created by another copy of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, TimeoutError, value, 'TIMEOUT')
  }
}

/**
 * The caller's `AbortSignal` fired; `cause` is the signal's reason.
 *
 * @example
 * await client.getToken('api:read', { signal: AbortSignal.timeout(1_000) }) // rejects with AbortError after 1 s
 */
export class AbortError extends TokenClientError {
  readonly code = 'ABORTED' as const

  constructor(reason: unknown) {
    super('token request aborted', { cause: reason })
  }

  /** `instanceof AbortError` holds for an `ABORTED` error, also one created by another copy of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, AbortError, value, 'ABORTED')
  }
}

/**
 * `getToken()` was called on, or was waiting in, a client that has been closed.
 *
 * @example
 * await client.close()
 * await client.getToken('api:read') // rejects with ClientClosedError
 */
export class ClientClosedError extends TokenClientError {
  readonly code = 'CLIENT_CLOSED' as const

  constructor() {
    super('token client is closed')
  }

  /** `instanceof ClientClosedError` holds for a `CLIENT_CLOSED` error, also one created by another copy of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, ClientClosedError, value, 'CLIENT_CLOSED')
  }
}

/** Fields of a {@link DiscoveryError}. */
export interface DiscoveryErrorFields {
  /** The configured issuer. */
  issuer: string
  /** What is wrong, in a few words, such as `metadata issuer is 'https://other.example' instead`. */
  reason: string
  /** The HTTP status of the last metadata response, when there was one. */
  status?: number | undefined
  /** The underlying error, if any (a `TransportError`, a `TimeoutError`). */
  cause?: unknown
}

/**
 * With the `issuer` option: the authorization server metadata (RFC 8414, OpenID Discovery) could not
 * be used, so no token request was sent. Not cached: the next `getToken()` fetches the metadata again.
 * Not retried within one call (a wrong `issuer` or a missing method stays wrong).
 *
 * @example
 * if (error instanceof DiscoveryError) console.error(`check the issuer ${error.issuer}: ${error.reason}`)
 */
export class DiscoveryError extends TokenClientError {
  readonly code = 'DISCOVERY_ERROR' as const
  /** The configured issuer. */
  readonly issuer: string
  /** What is wrong, in a few words; never a part of a response body. */
  readonly reason: string
  /** The HTTP status of the last metadata response, when there was one. */
  readonly status: number | undefined

  constructor(fields: DiscoveryErrorFields) {
    super(`discovery of issuer ${printableText(fields.issuer, 300)} failed: ${fields.reason}`, 'cause' in fields ? { cause: fields.cause } : {})
    this.issuer = fields.issuer
    this.reason = fields.reason
    this.status = fields.status
  }

  /** `instanceof DiscoveryError` holds for a `DISCOVERY_ERROR` error, also one created by another copy of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasInstance(this, DiscoveryError, value, 'DISCOVERY_ERROR')
  }
}

/**
 * Every concrete {@link TokenClientError}: what `isTokenClientError` narrows to, so that
 * `switch (error.code)` narrows further to the class with that code and its fields.
 *
 * @example
 * if (isTokenClientError(error) && error.code === 'OAUTH_ERROR') console.error(error.error, error.status)
 */
export type AnyTokenClientError =
  | OAuthError
  | UnexpectedStatusError
  | InvalidResponseError
  | TransportError
  | TimeoutError
  | AbortError
  | ClientClosedError
  | DiscoveryError
