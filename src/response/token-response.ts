import {
  InvalidResponseError,
  OAuthError,
  UnexpectedStatusError,
} from '../errors/token-client-error.js'
import type { FormResponse } from '../http/post-form.js'
import { headerValue } from '../http/post-form.js'
import { printableText } from '../errors/printable-text.js'
import { parseRetryAfter } from '../retry/retry-after.js'
import { isBearerTokenSyntax, isGrantedScopeSyntax } from './token-syntax.js'
import { decodeContentEncoding } from './content-encoding.js'
import { jwtExpiry } from './jwt-expiry.js'

/** A validated successful token response (RFC 6749 §5.1). */
export interface TokenResponse {
  accessToken: string
  /** `Bearer` or (a client with DPoP) `DPoP`, whatever case the server used. */
  tokenType: 'Bearer' | 'DPoP'
  /** Lifetime in milliseconds, from `expires_in`, else the JWT `exp`, else the default. */
  lifetimeMs: number
  /** Where the lifetime came from. */
  lifetimeSource: 'expires_in' | 'jwt' | 'default'
  /** The granted scope: the server's `scope`, or the requested one when it sent none (§5.1). */
  scope: string
}

/** What interpreting a response needs besides the response itself. */
export interface TokenResponseContext {
  /** The token URL, to resolve a redirect's `Location` against. */
  url: URL
  /** The space-joined scope that was requested. */
  requestedScope: string
  /** Wall-clock epoch milliseconds now, for `Retry-After` dates and the JWT `exp`. */
  now: number
  /** Lifetime used when the response has neither `expires_in` nor a JWT `exp`. */
  defaultLifetimeMs: number
  /** Cleans text that came from the server (descriptions) of anything secret; applied before any cut. */
  redact: (text: string) => string
  /** The client assertion sent with this attempt, if any: an `access_token` equal to it is refused. */
  clientAssertion?: string | undefined
  /**
   * With DPoP (RFC 9449): the request carried a proof, so `token_type` `DPoP` is expected, and
   * `Bearer` taken only with `acceptBearer`. Without it, `DPoP` is refused (the client holds no key).
   */
  dpop?: { readonly acceptBearer: boolean } | undefined
  /**
   * The most bytes a content-encoded (gzip, deflate, br) body may decode to.
   * @default 1_048_576
   */
  maxBodyBytes?: number
}

/**
 * Interprets a token endpoint response as checklist items 18-27 and RFC 6749 §5 say: returns the
 * token, or throws an {@link OAuthError} (an `error` member, whatever the status, 200 included), an
 * {@link UnexpectedStatusError} (other non-2xx, redirects), or an {@link InvalidResponseError}.
 */
export function interpretTokenResponse(response: FormResponse, context: TokenResponseContext): TokenResponse {
  const { status } = response
  const contentType = headerValue(response.headers['content-type'])
  if (status >= 300 && status < 400) {
    throw new UnexpectedStatusError({ status, contentType, redirectOrigin: redirectOrigin(response, context.url) })
  }
  const success = status >= 200 && status < 300
  const decoded = decodeContentEncoding(response.body, headerValue(response.headers['content-encoding']), context.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES)
  // An error answer that does not decode is still classified by its status below.
  if (!decoded.ok && success) throw invalid(status, contentType, decoded.reason)
  const fields = decoded.ok ? parseBody(decoded.body, contentType) : undefined
  const retryAfterMs = success ? undefined : parseRetryAfter(response.headers['retry-after'], context.now)
  if (fields !== undefined && typeof fields.error === 'string') {
    throw new OAuthError({
      status,
      retryAfterMs,
      error: capped(context.redact(fields.error)),
      errorDescription: typeof fields.error_description === 'string' ? capped(context.redact(fields.error_description)) : undefined,
      errorUri: typeof fields.error_uri === 'string' ? capped(context.redact(fields.error_uri)) : undefined,
    })
  }
  if (!success) {
    throw new UnexpectedStatusError({ status, contentType, retryAfterMs })
  }
  if (fields === undefined) throw invalid(status, contentType, 'body is not a JSON object or form data')

  const accessToken = fields.access_token
  if (typeof accessToken !== 'string' || accessToken === '') throw invalid(status, contentType, 'access_token is missing or not a string')
  // It becomes a header value: refused before it is cached, and never quoted (it is the credential).
  if (!isBearerTokenSyntax(accessToken)) {
    throw invalid(status, contentType, 'access_token is not an RFC 6750 b64token (A-Z a-z 0-9 - . _ ~ + / then = padding), so it cannot be sent as a Bearer header')
  }

  // A server echoing the assertion back would have the client send its own credential to every API.
  if (context.clientAssertion !== undefined && accessToken === context.clientAssertion) {
    throw invalid(status, contentType, 'access_token is the client assertion the client sent, not a token')
  }

  const tokenType = fields.token_type
  if (typeof tokenType !== 'string') throw invalid(status, contentType, 'token_type is missing or not a string')
  const type = tokenTypeOf(tokenType, context.dpop, context.redact)
  if (typeof type === 'object') throw invalid(status, contentType, type.refused)

  const scope = typeof fields.scope === 'string' ? fields.scope.trim() : context.requestedScope
  if (!isGrantedScopeSyntax(scope)) throw invalid(status, contentType, 'scope has characters outside printable ASCII (RFC 6749 §3.3)')

  const expiresIn = parseExpiresIn(fields.expires_in)
  if (expiresIn === 'invalid') throw invalid(status, contentType, 'expires_in is not a non-negative number of seconds')
  if (expiresIn !== undefined) {
    const lifetimeMs = Math.min(expiresIn, MAX_LIFETIME_SECONDS) * 1000
    return { accessToken, tokenType: type, lifetimeMs, lifetimeSource: 'expires_in', scope }
  }
  const exp = jwtExpiry(accessToken)
  const jwtLifetimeMs = exp === undefined ? undefined : exp * 1000 - context.now
  // An `exp` past the cap (milliseconds sent as seconds, say) is implausible: treated as absent.
  if (jwtLifetimeMs !== undefined && Number.isFinite(jwtLifetimeMs) && jwtLifetimeMs <= MAX_LIFETIME_SECONDS * 1000) {
    return { accessToken, tokenType: type, lifetimeMs: Math.max(0, jwtLifetimeMs), lifetimeSource: 'jwt', scope }
  }
  return { accessToken, tokenType: type, lifetimeMs: context.defaultLifetimeMs, lifetimeSource: 'default', scope }
}

/**
 * The token type a response's `token_type` stands for, case-insensitively (RFC 6749 §7.1), or why it
 * is refused: only `Bearer` without DPoP; with DPoP, `DPoP`, and `Bearer` only when the caller accepts
 * the downgrade (a Bearer token is not bound to the key: whoever holds it can use it).
 *
 * @example
 * tokenTypeOf('dpop', { acceptBearer: false }) // 'DPoP'
 * tokenTypeOf('Bearer', { acceptBearer: false }) // { refused: 'token_type "Bearer" answers a DPoP request: ...' }
 */
export function tokenTypeOf(
  tokenType: string,
  dpop: { readonly acceptBearer: boolean } | undefined,
  redact: (text: string) => string = (text) => text,
): 'Bearer' | 'DPoP' | { refused: string } {
  const type = tokenType.toLowerCase()
  if (type === 'dpop') {
    return dpop === undefined ? { refused: 'token_type "DPoP" answers a request without DPoP (the client has no proof key; give the dpop option)' } : 'DPoP'
  }
  if (type !== 'bearer') return { refused: `token_type ${quote(redact(tokenType))} is not ${dpop === undefined ? 'Bearer' : 'DPoP'}` }
  if (dpop === undefined || dpop.acceptBearer) return 'Bearer'
  return {
    refused:
      'token_type "Bearer" answers a DPoP request: the server did not bind the token to the key (RFC 9449 §5); dpop: { acceptBearer: true } takes such a token, which then works for whoever holds it',
  }
}

/**
 * `expires_in` as seconds: a number or a numeric string (servers in the wild send both);
 * `undefined` when absent or null; `'invalid'` when negative or not numeric.
 *
 * @example
 * parseExpiresIn('3600') // 3600
 */
export function parseExpiresIn(value: unknown): number | undefined | 'invalid' {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : 'invalid'
  if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value)
  return 'invalid'
}

type BodyFields = Record<string, unknown>

/**
 * Longer `expires_in` lifetimes (68 years) are taken as this, so dates stay representable; a JWT
 * `exp` further away than this is ignored.
 */
export const MAX_LIFETIME_SECONDS = 2 ** 31 - 1

const DEFAULT_MAX_BODY_BYTES = 1_048_576

function parseBody(body: Buffer, contentType: string | undefined): BodyFields | undefined {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase()
  // A UTF-8 byte order mark is not JSON (RFC 8259 §8.1 lets a parser ignore it): dropped.
  const text = body.toString('utf8', hasUtf8Bom(body) ? 3 : 0)
  if (mediaType === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text))
  const looksJson = mediaType === 'application/json' || mediaType?.endsWith('+json') === true
  if (!looksJson && mediaType !== undefined && mediaType !== 'text/plain') return undefined
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as BodyFields) : undefined
  } catch {
    return undefined
  }
}

/** The longest `error`, `error_description` or `error_uri` kept: a server's megabyte of text is cut here. */
const MAX_ERROR_FIELD_LENGTH = 2_000

function capped(text: string): string {
  return text.length > MAX_ERROR_FIELD_LENGTH ? `${text.slice(0, MAX_ERROR_FIELD_LENGTH)}...` : text
}

function hasUtf8Bom(body: Buffer): boolean {
  return body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf
}

function invalid(status: number, contentType: string | undefined, reason: string): InvalidResponseError {
  return new InvalidResponseError({ status, contentType, reason })
}

function redirectOrigin(response: FormResponse, base: URL): string | undefined {
  const location = headerValue(response.headers.location)
  if (location === undefined || !URL.canParse(location, base.href)) return undefined
  return new URL(location, base).origin
}

function quote(text: string): string {
  return `"${printableText(text, 40)}"`
}
