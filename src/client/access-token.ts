import { inspect } from 'node:util'
import { invalidArgument } from '../errors/invalid-argument.js'
import { REDACTED } from '../errors/redact.js'

/**
 * An access token from `TokenClient.getToken()`. The token itself is readable as `accessToken`
 * but never shows in `util.inspect()`, `JSON.stringify()` or `String()`.
 *
 * @example
 * const token = await client.getToken('api:read')
 * await fetch(url, { headers: { authorization: `Bearer ${token.accessToken}` } })
 */
export class AccessToken {
  readonly #accessToken: string
  /** Always `Bearer`: other token types are refused. */
  readonly tokenType: 'Bearer'
  readonly #expiresAt: number
  /** The granted scope, space-delimited: the server's `scope`, or the requested one when it echoed none. */
  readonly scope: string

  /** @throws {TypeError} with code `ERR_INVALID_ARG_VALUE` when `expiresAt` is not a valid date. */
  constructor(accessToken: string, expiresAt: Date, scope: string) {
    if (!(expiresAt instanceof Date) || !Number.isFinite(expiresAt.getTime())) {
      throw invalidArgument('expiresAt', 'must be a valid Date')
    }
    this.#accessToken = accessToken
    this.tokenType = 'Bearer'
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

  /** The access token, to send as `Authorization: Bearer <accessToken>`. */
  get accessToken(): string {
    return this.#accessToken
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
    /** Always `Bearer`. */
    tokenType: 'Bearer'
    /** {@link AccessToken.expiresAt} as an ISO 8601 string. */
    expiresAt: string
    /** The granted scope, space-delimited. */
    scope: string
  } {
    return { accessToken: REDACTED, tokenType: this.tokenType, expiresAt: new Date(this.#expiresAt).toISOString(), scope: this.scope }
  }

  /**
   * A one-line description without the token, for logs.
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
