import { inspect } from 'node:util'
import { Pool, type Dispatcher } from 'undici'
import { authenticationParts, basicAuthorization, encodingMismatchHint } from '../auth/client-authentication.js'
import { formEncode } from '../auth/form-encoding.js'
import { cacheKeyPrefix, tokenCacheKey } from '../cache/cache-key.js'
import { scheduleToken } from '../cache/refresh-policy.js'
import { TokenCache, type CacheEntry } from '../cache/token-cache.js'
import { redact, REDACTED } from '../errors/redact.js'
import {
  AbortError,
  ClientClosedError,
  OAuthError,
  TokenClientError,
} from '../errors/token-client-error.js'
import { postForm } from '../http/post-form.js'
import { normalizeScope, type ScopeInput } from '../request/scope.js'
import { normalizeParams, type NormalizedParams } from '../request/token-params.js'
import { tokenRequestBody } from '../request/token-request-body.js'
import { interpretTokenResponse } from '../response/token-response.js'
import { withRetries } from '../retry/with-retries.js'
import { AccessToken } from './access-token.js'
import { resolveOptions, type ResolvedOptions } from './resolve-options.js'
import type { GetTokenOptions, TokenClientOptions } from './token-client-options.js'

/** What {@link TokenClient.options} shows of a client: everything but the secret. */
export interface TokenClientDescription {
  /** The token endpoint. */
  readonly tokenUrl: string
  /** The client id. */
  readonly clientId: string
  /** `client_secret_basic` or `client_secret_post`. */
  readonly authMethod: string
  /** Always `[redacted]`. */
  readonly clientSecret: string
}

/** How many scope texts the fast path remembers the cache key of. */
const MAX_REMEMBERED_SCOPES = 1024

/** One token request, as the cache hands it to the fetcher. */
interface TokenRequest {
  readonly scopes: readonly string[]
  readonly params: NormalizedParams
}

/**
 * Gets OAuth 2.0 client-credentials access tokens (RFC 6749 §4.4) and caches them.
 *
 * - Authenticates with `client_secret_basic` (id and secret form-encoded, then base64) or `client_secret_post`.
 * - Caches each token until shortly before it expires, refreshing it in the background ahead of time.
 * - Makes one request for any number of concurrent callers of the same scope.
 * - Retries transient failures (network, timeouts, 408, 429, 5xx) with backoff, honouring `Retry-After`.
 *
 * @example
 * const client = new TokenClient({ tokenUrl, clientId: 'svc', clientSecret: process.env.SECRET! })
 * const token = await client.getToken('api:read')
 * await fetch(api, { headers: { authorization: `Bearer ${token.accessToken}` } })
 * await client.close()
 */
export class TokenClient {
  readonly #options: ResolvedOptions
  readonly #dispatcher: Dispatcher
  readonly #keyPrefix: string
  readonly #cache: TokenCache<AccessToken, TokenRequest>
  readonly #secrets: readonly string[]
  /** The request headers and authentication parameters, the same for every token request: built once. */
  readonly #headers: Readonly<Record<string, string>>
  readonly #authBodyParams: ReadonlyArray<readonly [string, string]>
  /** Cache keys of plain `getToken(scope)` calls by their scope text, so a cache hit skips normalising. */
  readonly #keysByScope = new Map<string | undefined, string>()
  #closed = false

  /** @throws {TypeError} with code `ERR_INVALID_ARG_VALUE`, naming the option that is wrong. */
  constructor(options: TokenClientOptions) {
    this.#options = resolveOptions(options)
    const { tokenUrl, credentials } = this.#options
    this.#dispatcher = this.#options.dispatcher ?? new Pool(tokenUrl.origin, { keepAliveTimeout: 30_000 })
    this.#keyPrefix = cacheKeyPrefix(tokenUrl.href, credentials.clientId, credentials.authMethod)
    const { clientId, clientSecret: secret } = credentials
    this.#secrets = [
      secret,
      formEncode(secret),
      encodeURIComponent(secret),
      basicAuthorization(clientId, secret, 'form').slice('Basic '.length),
      basicAuthorization(clientId, secret, 'raw').slice('Basic '.length),
    ]
    const auth = authenticationParts(credentials)
    this.#authBodyParams = auth.bodyParams
    this.#headers = Object.freeze({
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': this.#options.userAgent,
      ...(auth.authorization !== undefined && { authorization: auth.authorization }),
    })
    const onRefreshError = this.#options.onRefreshError
    this.#cache = new TokenCache<AccessToken, TokenRequest>({
      maxEntries: this.#options.maxEntries,
      clock: this.#options.clock,
      fetch: (request, signal) => this.#requestToken(request, signal),
      onRefreshError: onRefreshError && ((error, request) => onRefreshError(error as TokenClientError, request.scopes.join(' '))),
    })
  }

  /**
   * The token URL, client id and auth method, for logs; the secret shows as `[redacted]`.
   *
   * @example
   * logger.info(client.options) // { tokenUrl: '...', clientId: 'svc', authMethod: 'client_secret_basic', clientSecret: '[redacted]' }
   */
  get options(): TokenClientDescription {
    const { tokenUrl, credentials } = this.#options
    return { tokenUrl: tokenUrl.href, clientId: credentials.clientId, authMethod: credentials.authMethod, clientSecret: REDACTED }
  }

  /**
   * An access token for `scope`: from the cache while it is fresh, otherwise from the token endpoint.
   *
   * @param scope A space-delimited scope or a list of scope tokens; order and repeats do not matter.
   *   Without it, the client's `scope` option.
   * @throws {TokenClientError} `OAUTH_ERROR`, `UNEXPECTED_STATUS`, `INVALID_RESPONSE`, `TRANSPORT_ERROR`,
   *   `TIMEOUT`, `ABORTED` or `CLIENT_CLOSED`; a `TypeError` for a malformed scope or parameter.
   * @example
   * const { accessToken } = await client.getToken(['orders:read', 'orders:write'])
   */
  getToken(scope?: ScopeInput, options?: GetTokenOptions): Promise<AccessToken> {
    if (options === undefined && typeof scope !== 'object' && !this.#closed) {
      const key = this.#keysByScope.get(scope)
      const cached = key === undefined ? undefined : this.#cache.peek(key)
      if (cached !== undefined) return cached
    }
    return this.#getToken(scope, options)
  }

  async #getToken(scope: ScopeInput | undefined, options: GetTokenOptions | undefined): Promise<AccessToken> {
    if (this.#closed) throw new ClientClosedError()
    if (options?.signal?.aborted) throw new AbortError(options.signal.reason)
    const request = this.#tokenRequest(scope, options ?? {})
    const key = tokenCacheKey(this.#keyPrefix, request.scopes, request.params)
    if (options === undefined && typeof scope !== 'object') this.#rememberKey(scope, key)
    return this.#cache.get(key, request, options?.forceRefresh === true, options?.signal)
  }

  /**
   * Drops the cached token for `scope` (with the same extra parameters), or every cached token when
   * called without arguments. The next `getToken()` requests a new one.
   *
   * @example
   * client.invalidate('api:read') // after the API rejected the token
   */
  invalidate(scope?: ScopeInput, options: Omit<GetTokenOptions, 'forceRefresh' | 'signal'> = {}): void {
    if (scope === undefined && Object.keys(options).length === 0) {
      this.#cache.clear()
      return
    }
    const request = this.#tokenRequest(scope, options)
    this.#cache.delete(tokenCacheKey(this.#keyPrefix, request.scopes, request.params))
  }

  /**
   * Aborts requests in flight (their callers get `CLIENT_CLOSED`), empties the cache and closes the
   * connection pool the client created. Later calls fail with `CLIENT_CLOSED`.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const reason = new ClientClosedError()
    this.#cache.close(reason)
    if (this.#options.dispatcher === undefined) await this.#dispatcher.destroy()
  }

  /** The same as {@link TokenClient.options}, so `JSON.stringify(client)` never shows the secret. */
  toJSON(): TokenClientDescription {
    return { ...this.options }
  }

  /** How `util.inspect()` and `console.log()` show the client: its {@link TokenClient.options}, no secret. */
  [inspect.custom](): string {
    return `TokenClient ${inspect(this.options)}`
  }

  #rememberKey(scope: string | undefined, key: string): void {
    if (this.#keysByScope.size >= MAX_REMEMBERED_SCOPES) this.#keysByScope.clear()
    this.#keysByScope.set(scope, key)
  }

  #tokenRequest(scope: ScopeInput | undefined, options: GetTokenOptions): TokenRequest {
    const scopes = scope === undefined ? this.#options.defaultScope : normalizeScope(scope)
    const hasParams = options.audience !== undefined || options.resource !== undefined || options.params !== undefined
    const params = hasParams
      ? normalizeParams(
          { params: Object.fromEntries(this.#options.defaultParams) },
          options,
        )
      : this.#options.defaultParams
    return { scopes, params }
  }

  async #requestToken(request: TokenRequest, signal: AbortSignal): Promise<CacheEntry<AccessToken>> {
    const { tokenUrl, clock, retry } = this.#options
    const headers = this.#headers
    const body = tokenRequestBody(request.scopes, request.params, this.#authBodyParams)
    const requestedScope = request.scopes.join(' ')

    return withRetries(
      async (_attempt, attemptSignal, budget) => {
        const sentAt = clock.now()
        const response = await postForm(
          this.#dispatcher,
          tokenUrl,
          headers,
          body,
          {
            attemptTimeoutMs: budget.timeoutMs,
            timeoutLimit: budget.limit,
            timeoutLimitMs: budget.limit === 'deadline' ? retry.deadlineMs : budget.timeoutMs,
            maxResponseBytes: this.#options.maxResponseBytes,
          },
          attemptSignal,
        )
        let token
        try {
          token = interpretTokenResponse(response, {
            url: tokenUrl,
            requestedScope,
            now: clock.wallNow?.() ?? clock.now(),
            defaultLifetimeMs: this.#options.defaultLifetimeMs,
            redact: (text) => redact(text, this.#secrets),
          })
        } catch (error) {
          throw this.#withHint(error)
        }
        const schedule = scheduleToken(sentAt, token.lifetimeMs, this.#options.refresh)
        return {
          value: new AccessToken(token.accessToken, new Date(schedule.expiresAt), token.scope),
          usableUntil: schedule.usableUntil,
          refreshAt: schedule.refreshAt,
        }
      },
      retry,
      signal, // the cache's flight signal: it fires when nobody waits any more or close() is called
      clock,
    )
  }

  #withHint(error: unknown): unknown {
    if (!(error instanceof OAuthError) || error.error !== 'invalid_client') return error
    const hint = encodingMismatchHint(this.#options.credentials)
    if (hint === undefined) return error
    const withHint = new OAuthError(
      {
        status: error.status,
        error: error.error,
        errorDescription: error.errorDescription,
        errorUri: error.errorUri,
        retryAfterMs: error.retryAfterMs,
      },
      `${error.message}; ${hint}`,
    )
    return withHint
  }
}
