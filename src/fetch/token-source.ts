import { raceAbort } from '../abort/race-abort.js'
import type { ScopeInput } from '../request/scope.js'
import type { ExtraParamsOptions } from '../request/token-params.js'

/**
 * What the fetch wrapper and the interceptor need of a token client: `TokenClient` is one, and a test
 * may pass a stub.
 *
 * @example
 * const stub: TokenSource = { getToken: async () => ({ accessToken: 'test-token' }), invalidate: () => {} }
 */
export interface TokenSource {
  /** A token for `scope` and the extra parameters, as {@link TokenClient.getToken} gives it. */
  getToken(
    scope?: ScopeInput,
    options?: ExtraParamsOptions & { signal?: AbortSignal; forceRefresh?: boolean },
  ): Promise<SourcedToken>
  /** Drops the cached token for `scope` and the extra parameters, after a server rejected it. */
  invalidate(scope?: ScopeInput, options?: ExtraParamsOptions): void
}

/**
 * A token as the wrappers use it: the token, and its type when it is not a Bearer token.
 *
 * @example
 * { accessToken: 'eyJhbGciOi...', tokenType: 'DPoP' }
 */
export interface SourcedToken {
  /** The token to send as `Authorization: Bearer <accessToken>` (or `DPoP <accessToken>`). */
  readonly accessToken: string
  /**
   * `DPoP` for a token bound to the client's DPoP key (RFC 9449): sent with a new proof per request,
   * which only a `TokenClient` with the `dpop` option can make. Absent or `Bearer`: a Bearer token.
   * @default 'Bearer'
   */
  readonly tokenType?: string
}

/**
 * Which token a request should carry: the scope and extra parameters passed to `getToken()`.
 *
 * @example
 * { scope: 'orders:read', audience: 'https://orders.example.com' }
 */
export interface TokenSelection extends ExtraParamsOptions {
  /**
   * The scope to ask for.
   * @default the client's `scope` option
   * @example 'orders:read'
   */
  scope?: ScopeInput | undefined
}

/**
 * Gets tokens for one selection and renews one that a server rejected, so that any number of
 * concurrent rejections of the same token cause one renewal, and a late rejection of a token that
 * was already replaced causes none.
 */
export class TokenRenewal {
  readonly #source: TokenSource
  readonly #selection: TokenSelection
  readonly #renewing = new Map<string, Promise<SourcedToken>>()

  constructor(source: TokenSource, selection: TokenSelection) {
    this.#source = source
    this.#selection = selection
  }

  /** The current token. */
  current(signal: AbortSignal | undefined): Promise<SourcedToken> {
    const { scope, ...params } = this.#selection
    return this.#source.getToken(scope, signal ? { ...params, signal } : params)
  }

  /** A token other than `rejected`: the one already replacing it, or a new one. */
  replace(rejected: string, signal: AbortSignal | undefined): Promise<SourcedToken> {
    let renewal = this.#renewing.get(rejected)
    if (renewal === undefined) {
      renewal = this.#renew(rejected)
      this.#renewing.set(rejected, renewal)
      const forget = () => this.#renewing.delete(rejected)
      renewal.then(forget, forget)
    }
    // One listener per signal however many requests share it, and none left once they have settled.
    return signal === undefined ? renewal : raceAbort(renewal, signal, abortReason)
  }

  async #renew(rejected: string): Promise<SourcedToken> {
    const { scope, ...params } = this.#selection
    const current = await this.#source.getToken(scope, params)
    if (current.accessToken !== rejected) return current
    this.#source.invalidate(scope, params)
    return this.#source.getToken(scope, params)
  }
}

/** A request aborted while its token was being renewed rejects with its signal's reason, as fetch does. */
function abortReason(reason: unknown): unknown {
  return reason
}
