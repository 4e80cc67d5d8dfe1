import { inspect } from 'node:util'
import { invalidArgument } from '../errors/invalid-argument.js'
import { REDACTED } from '../errors/redact.js'
import { isBearerTokenSyntax, isGrantedScopeSyntax } from './token-syntax.js'

/**
 * An {@link AccessToken} as plain data, token included, to save on purpose and restore with
 * {@link AccessToken.fromRecord}: for a cache of your own, or to hand a token to another process.
 * Treat it as the credential it holds (`JSON.stringify(record)` shows the token).
 *
 * @example
 * { accessToken: 'eyJhbGciOi...', tokenType: 'Bearer', expiresAt: 1767229200000, scope: 'api:read' }
 */
export interface AccessTokenRecord {
  /** The access token itself. */
  accessToken: string
  /** `Bearer`, or `DPoP` for a token bound to the client's DPoP key (RFC 9449). */
  tokenType: 'Bearer' | 'DPoP'
  /** When the server considers the token expired, in epoch milliseconds. */
  expiresAt: number
  /** The granted scope, space-delimited. */
  scope: string
}

/**
 * An access token from `TokenClient.getToken()`. The token itself is readable as `accessToken`
 * (or ready to send as {@link AccessToken.authorizationHeader}) but never shows in `util.inspect()`,
 * `JSON.stringify()` or `String()`: so `` `Bearer ${token}` `` sends a description, not the token.
 * {@link AccessToken.toRecord} saves it on purpose.
 *
 * @example
 * const token = await client.getToken('api:read')
 * await fetch(url, { headers: { authorization: token.authorizationHeader() } })
 */
export class AccessToken {
  readonly #accessToken: string
  /**
   * `Bearer`, or `DPoP` for a token bound to the client's DPoP key (the `dpop` option, RFC 9449),
   * which is sent with a new proof per request ({@link TokenClient.dpopHeaders}). Other token types
   * are refused.
   */
  readonly tokenType: 'Bearer' | 'DPoP'
  readonly #expiresAt: number
  /** The granted scope, space-delimited: the server's `scope`, or the requested one when it echoed none. */
  readonly scope: string

  /**
   * @param tokenType `Bearer` or `DPoP`.
   * @throws {TypeError} with code `ERR_INVALID_ARG_VALUE` when `expiresAt` is not a valid date or
   *   `tokenType` is neither `Bearer` nor `DPoP`.
   */
  constructor(accessToken: string, expiresAt: Date, scope: string, tokenType: 'Bearer' | 'DPoP' = 'Bearer') {
    if (!(expiresAt instanceof Date) || !Number.isFinite(expiresAt.getTime())) {
      throw invalidArgument('expiresAt', 'must be a valid Date')
    }
    if (tokenType !== 'Bearer' && tokenType !== 'DPoP') throw invalidArgument('tokenType', "must be 'Bearer' or 'DPoP'")
    this.#accessToken = accessToken
    this.tokenType = tokenType
    this.#expiresAt = expiresAt.getTime()
    this.scope = scope
    Object.freeze(this)
  }

  /**
   * When the server will consider the token expired (its lifetime counted from when the request was
   * sent): a new `Date` on every read, so that no caller can change the date another caller sees.
   */
  get expiresAt(): Date {
    return new Date(this.#expiresAt)
  }

  /**
   * The access token, to send as `Authorization: Bearer <accessToken>` (a `DPoP` token: as
   * `Authorization: DPoP <accessToken>`, with a proof, {@link TokenClient.dpopHeaders}).
   */
  get accessToken(): string {
    return this.#accessToken
  }

  /**
   * The value of the `Authorization` header that sends this token: `Bearer <accessToken>`, or
   * `DPoP <accessToken>` for a DPoP token, which also needs a `DPoP` proof header per request:
   * {@link TokenClient.dpopHeaders} gives both.
   *
   * @example
   * await fetch(url, { headers: { authorization: token.authorizationHeader() } })
   */
  authorizationHeader(): string {
    return `${this.tokenType} ${this.#accessToken}`
  }

  /**
   * The token as plain data, the token itself included, to save on purpose (a cache of your own,
   * another process); {@link AccessToken.fromRecord} restores it. Unlike `toJSON()`, nothing is redacted.
   *
   * @example
   * await store.set(key, JSON.stringify(token.toRecord()))
   */
  toRecord(): AccessTokenRecord {
    return { accessToken: this.#accessToken, tokenType: this.tokenType, expiresAt: this.#expiresAt, scope: this.scope }
  }

  /**
   * Restores a token saved with {@link AccessToken.toRecord}, checking it as the client checks a token
   * response: an RFC 6750 `b64token`, `Bearer` or `DPoP`, a finite expiry, a printable scope. A record that came
   * back from storage is outside input like any other.
   *
   * @throws {TypeError} with code `ERR_INVALID_ARG_VALUE` naming the field that is wrong (never showing the token).
   * @example
   * const token = AccessToken.fromRecord(JSON.parse(await store.get(key)))
   * if (token.expiresAt.getTime() - Date.now() > 60_000) use(token)
   */
  static fromRecord(record: AccessTokenRecord): AccessToken {
    if (typeof record !== 'object' || record === null) throw invalidArgument('record', 'must be an object from AccessToken.toRecord()')
    const { accessToken, tokenType, expiresAt, scope } = record
    if (typeof accessToken !== 'string' || !isBearerTokenSyntax(accessToken)) {
      throw invalidArgument('record.accessToken', 'must be an RFC 6750 b64token')
    }
    if (tokenType !== 'Bearer' && tokenType !== 'DPoP') throw invalidArgument('record.tokenType', "must be 'Bearer' or 'DPoP'")
    if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt) || Math.abs(expiresAt) > MAX_DATE_MS) {
      throw invalidArgument('record.expiresAt', 'must be a finite number of epoch milliseconds')
    }
    if (typeof scope !== 'string' || !isGrantedScopeSyntax(scope)) throw invalidArgument('record.scope', 'must be printable ASCII')
    return new AccessToken(accessToken, new Date(expiresAt), scope, tokenType)
  }

  /**
   * What `JSON.stringify()` shows: every field, with the token itself replaced by `[redacted]`.
   *
   * @example
   * JSON.stringify(token) // '{"accessToken":"[redacted]","tokenType":"Bearer","expiresAt":"2026-01-01T01:00:00.000Z","scope":"api:read"}'
   */
  toJSON(): {
    /** Always `[redacted]`. */
    accessToken: string
    /** `Bearer` or `DPoP`. */
    tokenType: 'Bearer' | 'DPoP'
    /** {@link AccessToken.expiresAt} as an ISO 8601 string. */
    expiresAt: string
    /** The granted scope, space-delimited. */
    scope: string
  } {
    return { accessToken: REDACTED, tokenType: this.tokenType, expiresAt: new Date(this.#expiresAt).toISOString(), scope: this.scope }
  }

  /**
   * A one-line description without the token, for logs. Not the token: to send it, use
   * {@link AccessToken.authorizationHeader} or {@link AccessToken.accessToken}.
   *
   * @example
   * String(token) // 'AccessToken(Bearer, scope "api:read", expires 2026-01-01T01:00:00.000Z)'
   */
  toString(): string {
    return `AccessToken(${this.tokenType}, scope ${JSON.stringify(this.scope)}, expires ${new Date(this.#expiresAt).toISOString()})`
  }

  /** What `util.inspect()` and `console.log()` show: every field, with the token itself replaced by `[redacted]`. */
  [inspect.custom](): string {
    return `AccessToken ${inspect({ accessToken: REDACTED, tokenType: this.tokenType, expiresAt: this.expiresAt, scope: this.scope })}`
  }
}

/** The largest time a `Date` holds (ECMA-262 §21.4.1.1). */
const MAX_DATE_MS = 8.64e15
