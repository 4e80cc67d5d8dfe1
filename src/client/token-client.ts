import { inspect } from 'node:util'
import { Agent, Pool, type Dispatcher } from 'undici'
import { abortFailure } from '../abort/abort-failure.js'
import { LazyAbortController, type LazyAbortSignal } from '../abort/lazy-abort-controller.js'
import { raceAbort } from '../abort/race-abort.js'
import type { TimeLimit } from '../abort/timed-abort.js'
import { assertionBodyParams, signClientAssertion, type AssertionSigning } from '../auth/client-assertion.js'
import { chooseAuthMethod } from '../auth/auth-method-choice.js'
import { basicAuthorization, invalidClientHint, type ClientCredentials } from '../auth/client-authentication.js'
import { formEncode } from '../auth/form-encoding.js'
import type { TlsIdentity } from '../auth/tls-identity.js'
import { invalidArgument } from '../errors/invalid-argument.js'
import { DpopNonceStore, dpopNonceOf } from '../dpop/nonce-store.js'
import { createDpopProof } from '../dpop/proof.js'
import { DpopProofKey, type DpopSigningAlgorithm } from '../dpop/proof-key.js'
import { registerDpopSigning } from '../dpop/resource-binding.js'
import { registerCertificateDispatcher } from '../protocol/certificate-binding.js'
import { cacheKeyPrefix, tokenCacheKey } from '../cache/cache-key.js'
import { scheduleToken } from '../cache/refresh-policy.js'
import { TokenCache, type CacheEntry, type FetchKind } from '../cache/token-cache.js'
import { redact, REDACTED } from '../errors/redact.js'
import { withRequestContext } from '../errors/request-context.js'
import {
  AbortError,
  ClientClosedError,
  DiscoveryError,
  OAuthError,
  TokenClientError,
} from '../errors/token-client-error.js'
import { fetchMetadata } from '../http/authorization-server-metadata.js'
import { postForm } from '../http/post-form.js'
import { givenScope, normalizeScope, type ScopeInput } from '../request/scope.js'
import { normalizeParams, type ExtraParamsOptions, type NormalizedParams } from '../request/token-params.js'
import { tokenRequestBody } from '../request/token-request-body.js'
import { interpretTokenResponse } from '../response/token-response.js'
import { timeLimitFrom, withRetries } from '../retry/with-retries.js'
import { FleetCache } from '../shared-cache/fleet-cache.js'
import { settingsOf } from '../shared-cache/shared-token-cache.js'
import { AccessToken } from '../response/access-token.js'
import { ClientTelemetry, type AcquisitionRecorder } from '../observability/client-telemetry.js'
import { tokenStatusOf, type TokenClientStatus } from '../observability/client-status.js'
import { errorFacts } from '../observability/error-facts.js'
import { countClosedClient, countOpenClient } from './client-census.js'
import { checkGetTokenOptions, resolveOptions, type ResolvedOptions } from './resolve-options.js'
import type { GetTokenOptions, TokenClientOptions } from './token-client-options.js'
import { AttemptLog } from './attempt-log.js'
import { certificateConnector, type CertificateAgentOptions } from './certificate-connector.js'
import { discoveredDpopKey } from './discovered-dpop-key.js'
import { endpointOf, type Endpoint } from './endpoint.js'
import { fleetCredential } from './fleet-credential.js'

export type { CertificateAgentOptions } from './certificate-connector.js'

/** What {@link TokenClient.options} shows of a client: everything but the secret. */
export interface TokenClientDescription {
  /** The `issuer` option, when the client discovers its token endpoint. */
  readonly issuer?: string
  /** The token endpoint; with `issuer`, absent until discovered. */
  readonly tokenUrl?: string
  /** The client id. */
  readonly clientId: string
  /**
   * `client_secret_basic`, `client_secret_post`, `private_key_jwt`, `client_secret_jwt`,
   * `tls_client_auth` or `self_signed_tls_client_auth`; with `issuer`, a secret (or a `tls`
   * certificate alone) and no `authMethod`, absent until the metadata decided it.
   */
  readonly authMethod?: string
  /** Always `[redacted]`; absent with `private_key_jwt`, which has no secret. */
  readonly clientSecret?: string
  /** `private_key_jwt`: always `[redacted]`. */
  readonly privateKey?: string
  /** The JWT methods: the assertions' `alg`. */
  readonly signingAlgorithm?: string
  /** The JWT methods: the assertions' `kid`, when they have one. */
  readonly keyId?: string
  /** `private_key_jwt`: the RFC 7638 SHA-256 thumbprint of the public key, to match it with the registered one. */
  readonly keyThumbprint?: string
  /**
   * With the `tls` option: the client certificate's SHA-256 thumbprint, base64url (`x5t#S256`, RFC
   * 8705 §3.1), the value a certificate-bound token's `cnf` claim holds. Never the certificate or key.
   */
  readonly tlsCertificateThumbprint?: string
  /** The shared cache's store, such as `redis (node-redis)`, when the client has one. */
  readonly sharedCache?: string
  /**
   * With the `dpop` option: the proofs' `alg`, the RFC 7638 thumbprint of the proof key (`jkt`, what
   * a DPoP-bound token's `cnf.jkt` holds), and `acceptBearer: true` when a Bearer answer is taken.
   * Never the key.
   */
  readonly dpop?: DpopDescription
}

/** What {@link TokenClientDescription.dpop} shows of the DPoP proof key: never the key itself. */
export interface DpopDescription {
  /** The proofs' `alg`. */
  readonly algorithm: DpopSigningAlgorithm
  /** The RFC 7638 SHA-256 thumbprint of the public key, base64url (`jkt`). */
  readonly keyThumbprint: string
  /** `true` with `dpop: { acceptBearer: true }`; absent otherwise. */
  readonly acceptBearer?: true
}

/**
 * What a request sent by hand needs to carry a token: {@link TokenClient.dpopHeaders}'s request.
 *
 * @example
 * { method: 'GET', url: 'https://api.example.com/orders?page=2' }
 */
export interface DpopRequest {
  /** The request's method (`htm`): `GET`, `POST`... */
  readonly method: string
  /** The request's URL; the proof's `htu` is it without query and fragment. */
  readonly url: string | URL
  /**
   * The `DPoP-Nonce` the resource gave (in a `401` with `WWW-Authenticate: DPoP error="use_dpop_nonce"`,
   * or in any earlier response): kept for the URL's origin and put in this proof and the next ones.
   * @default the nonce kept for the URL's origin, if any
   */
  readonly nonce?: string
}

/**
 * The headers that send a token: {@link TokenClient.dpopHeaders}'s answer.
 *
 * @example
 * { authorization: 'DPoP eyJhbGciOi...', dpop: 'eyJ0eXAiOiJkcG9wK2p3dCIs...' }
 */
export interface DpopRequestHeaders {
  /** `DPoP <token>` (or `Bearer <token>` for a Bearer token taken with `acceptBearer`). */
  readonly authorization: string
  /** The proof, new for this request; absent for a Bearer token. */
  readonly dpop?: string
}

/** A new `CLIENT_CLOSED` error for each request in flight at `close()`: each gets its own `attempts`. */
const closedError = (): ClientClosedError => new ClientClosedError()

/** How many scope texts the client remembers the prepared request of. */
const MAX_REMEMBERED_SCOPES = 1024

/**
 * One token request, prepared once: its cache key and its whole form body, the client's
 * authentication parameters included. It is the context the cache hands back to the client to
 * request a token; it never leaves the client.
 */
interface TokenRequest {
  readonly key: string
  readonly scopes: readonly string[]
  /** The scopes space-joined: the granted scope when the server echoes none. */
  readonly requestedScope: string
  readonly params: NormalizedParams
  /**
   * The form-encoded body: `grant_type`, `scope`, the extra parameters, the authentication parameters;
   * `undefined` when prepared before discovery knew the method (then built per acquisition).
   */
  readonly body: string | undefined
}

/**
 * Gets OAuth 2.0 client-credentials access tokens (RFC 6749 §4.4) and caches them.
 *
 * - Authenticates with `client_secret_basic` (id and secret form-encoded, then base64) or `client_secret_post`.
 * - Caches each token until shortly before it expires, refreshing it in the background ahead of time.
 * - Makes one request for any number of concurrent callers of the same scope.
 * - Retries transient failures (network, timeouts, 408, 429, 5xx) with backoff, honouring `Retry-After`.
 *
 * - With `issuer` instead of `tokenUrl`, discovers the token endpoint and auth method from the
 *   server's metadata (RFC 8414, then OpenID Discovery) on the first `getToken()`, once.
 * - With `tls`, presents a client certificate on every connection: mutual-TLS client authentication
 *   (`tls_client_auth`, `self_signed_tls_client_auth`) and certificate-bound tokens (RFC 8705), with
 *   {@link TokenClient.createAgent} for the APIs that take them.
 *
 * @example
 * const client = new TokenClient({ tokenUrl, clientId: 'svc', clientSecret: process.env.SECRET! })
 * const token = await client.getToken('api:read')
 * await fetch(api, { headers: { authorization: `Bearer ${token.accessToken}` } })
 * await client.close()
 */
export class TokenClient {
  readonly #options: ResolvedOptions
  /** The token endpoint, once known: at construction with `tokenUrl`, after discovery with `issuer`. */
  #endpoint: Endpoint | undefined
  /** The discovery in flight, shared by every caller until it settles; a failed one is forgotten. */
  #discovery: Promise<Endpoint> | undefined
  /** Aborts a discovery in flight at `close()`: it is shared, so no one caller's signal may. */
  readonly #discoveryAbort = new LazyAbortController()
  /**
   * The pools the client created (none with the caller's `dispatcher`), and the agent of the fetch
   * wrapper (with `tls`): `close()` destroys them.
   */
  readonly #ownedPools: Array<Pool | Agent> = []
  /** With `tls.key`: the agent the fetch wrapper sends token-carrying requests through, made on first use. */
  #certificateAgent: Agent | undefined
  /** With `issuer`: what the metadata is fetched through (the caller's dispatcher, or a pool for the issuer's origin). */
  readonly #issuerDispatcher: Dispatcher | undefined
  readonly #keyPrefix: string
  readonly #cache: TokenCache<AccessToken, TokenRequest>
  /** The shared cache behind the process's own, when the client has one. */
  readonly #fleet: FleetCache | undefined
  /** Cleans server text of the secret in every form it travels in. */
  readonly #redact: (text: string) => string
  /**
   * Prepared requests of calls without extra parameters, by their scope text, so that a cache hit
   * and a fresh acquisition both skip normalising the scope and building the key and body again.
   */
  readonly #requestsByScope = new Map<string | undefined, TokenRequest>()
  /**
   * With DPoP: the proof key. Made or imported at construction; with `issuer` and a key made in
   * memory, made again at discovery when the metadata lists another algorithm (before any token
   * request, so no token is bound to the first one).
   */
  #dpopKey: DpopProofKey | undefined
  /** With DPoP: the authorization server's nonces (token endpoint), by origin. */
  readonly #serverNonces = new DpopNonceStore()
  /** With DPoP: the resources' nonces (fetch wrapper, interceptor, `dpopHeaders()`), by origin: never sent to the server. */
  readonly #resourceNonces = new DpopNonceStore()
  /** What the many-clients warning counts this client's configuration by (the key prefix, but a key made in memory). */
  readonly #census: string
  /** Metrics, spans and channel messages (each only when something listens), and the counts {@link TokenClient.status} shows. */
  readonly #telemetry: ClientTelemetry
  /** `clock.now()` at construction: what the status's counts are since. */
  readonly #createdAt: number
  #closed = false

  /** @throws {TypeError} with code `ERR_INVALID_ARG_VALUE`, naming the option that is wrong. */
  constructor(options: TokenClientOptions) {
    this.#options = resolveOptions(options)
    const { tokenUrl, discovery, credentials, dpop } = this.#options
    this.#createdAt = this.#options.clock.now()
    // Described by what was configured: with `issuer`, the method once the metadata decided it (as `options` shows it).
    const methodKnown = tokenUrl !== undefined || discovery?.givenMethod !== undefined || credentials.authMethod === 'private_key_jwt'
    const telemetry = (this.#telemetry = new ClientTelemetry({
      clientId: credentials.clientId,
      tokenEndpoint: tokenUrl,
      issuer: discovery?.configured,
      authMethod: methodKnown ? credentials.authMethod : undefined,
    }))
    this.#dpopKey = dpop?.key
    const dpopBinding = dpop && { thumbprint: dpop.key.thumbprint, acceptBearer: dpop.acceptBearer }
    if (tokenUrl !== undefined) {
      this.#endpoint = endpointOf(tokenUrl, credentials, this.#options.dispatcher ?? this.#newPool(tokenUrl.origin), this.#options.userAgent)
      this.#keyPrefix = cacheKeyPrefix(
        tokenUrl.href,
        credentials.clientId,
        credentials.authMethod,
        credentials.assertion?.thumbprint,
        credentials.certificateThumbprint,
        dpopBinding,
      )
    } else {
      const { issuer, configured, givenMethod } = discovery as NonNullable<typeof discovery>
      this.#issuerDispatcher = this.#options.dispatcher ?? this.#newPool(issuer.origin)
      // Fixed for the client's life, as its metadata is: the issuer stands for the token URL it names.
      const method = givenMethod ?? (credentials.authMethod === 'private_key_jwt' ? 'private_key_jwt' : 'discovered')
      // A key made in memory and made again at discovery keeps the first one's thumbprint here: it
      // names this client's own key all the same (no other process can hold it), and no token was
      // requested before discovery.
      this.#keyPrefix = cacheKeyPrefix(
        `issuer ${configured}`,
        credentials.clientId,
        method,
        credentials.assertion?.thumbprint,
        credentials.certificateThumbprint,
        dpopBinding,
      )
    }
    // A key made in memory is new for every client: counted by it, a client per request would never warn.
    this.#census = dpop?.key.generated === true ? `${this.#keyPrefix}\ndpop key made in memory` : this.#keyPrefix
    if (dpop !== undefined) {
      registerDpopSigning(this, {
        proof: (accessToken, method, url) => this.#resourceProof(accessToken, method, url),
        takeNonce: (url, header) => this.#resourceNonces.take(url, header),
      })
    }
    if (this.#options.tls?.secureContext() !== undefined) {
      registerCertificateDispatcher(this, () => (this.#closed ? undefined : (this.#certificateAgent ??= this.#ownAgent())))
    }
    countOpenClient(this.#census)
    const { clientId, clientSecret: secret } = credentials
    const secrets =
      secret === undefined
        ? []
        : [
            secret,
            formEncode(secret),
            encodeURIComponent(secret),
            basicAuthorization(clientId, secret, 'form').slice('Basic '.length),
            basicAuthorization(clientId, secret, 'raw').slice('Basic '.length),
          ]
    this.#redact = (text) => redact(text, secrets)
    const { sharedCache, clock, maxEntries, refresh } = this.#options
    const fleet = (this.#fleet =
      sharedCache &&
      new FleetCache(settingsOf(sharedCache), {
        credential: fleetCredential(credentials, this.#options.tls, settingsOf(sharedCache).encryptionKeys),
        binding: this.#keyPrefix,
        clock,
        expiryBufferMs: refresh.expiryBufferMs,
        maxEntries,
        onTrouble: (error) => telemetry.sharedCacheError(error),
        onRecovered: () => telemetry.sharedCacheRecovered(),
      }))
    const onRefreshError = this.#options.onRefreshError
    this.#cache = new TokenCache<AccessToken, TokenRequest>({
      maxEntries,
      clock,
      fetch:
        fleet === undefined
          ? (request, signal, kind) => this.#requestToken(request, signal, kind)
          : (request, signal, kind) => this.#acquireShared(fleet, request, signal, kind),
      // Told first, so that the status and the telemetry know of the failure whatever the hook does.
      onRefreshError: (error, request) => {
        telemetry.refreshFailed(error, request.requestedScope)
        return onRefreshError?.(error as TokenClientError, request.scopes.join(' '))
      },
      onLookup: (result, request) => telemetry.lookup(result, request.requestedScope),
    })
  }

  /**
   * The token URL, client id and auth method, for logs; the secret shows as `[redacted]`.
   *
   * @example
   * logger.info(client.options) // { tokenUrl: '...', clientId: 'svc', authMethod: 'client_secret_basic', clientSecret: '[redacted]' }
   */
  get options(): TokenClientDescription {
    const { discovery, sharedCache, dpop } = this.#options
    const dpopKey = this.#dpopKey
    const endpoint = this.#endpoint
    const credentials = endpoint?.credentials ?? this.#options.credentials
    const signing = credentials.assertion
    const methodKnown = endpoint !== undefined || discovery?.givenMethod !== undefined || credentials.authMethod === 'private_key_jwt'
    return {
      ...(discovery !== undefined && { issuer: discovery.configured }),
      ...(endpoint !== undefined && { tokenUrl: endpoint.tokenUrl.href }),
      clientId: credentials.clientId,
      ...(methodKnown && { authMethod: credentials.authMethod }),
      ...(credentials.clientSecret !== undefined && { clientSecret: REDACTED }),
      ...(credentials.authMethod === 'private_key_jwt' && { privateKey: REDACTED }),
      ...(signing !== undefined && { signingAlgorithm: signing.algorithm }),
      ...(signing?.keyId !== undefined && { keyId: signing.keyId }),
      ...(signing?.thumbprint !== undefined && { keyThumbprint: signing.thumbprint }),
      ...(credentials.certificateThumbprint !== undefined && { tlsCertificateThumbprint: credentials.certificateThumbprint }),
      ...(sharedCache !== undefined && { sharedCache: sharedCache.description }),
      ...(dpopKey !== undefined && {
        dpop: { algorithm: dpopKey.algorithm, keyThumbprint: dpopKey.thumbprint, ...(dpop?.acceptBearer === true && { acceptBearer: true as const }) },
      }),
    }
  }

  /**
   * An access token for `scope`: from the cache while it is fresh, otherwise from the token endpoint.
   *
   * @param scope A space-delimited scope or a list of scope tokens; order and repeats do not matter.
   *   Without it, or with an empty one (`''`, `'  '`, `[]`: RFC 6749 has no empty scope), the client's
   *   `scope` option, and the same cached token as `getToken()`; with neither, no `scope` parameter is
   *   sent and the server picks its default.
   * @param options Per-call choices ({@link GetTokenOptions}). A name it does not know (`audiance`,
   *   `timeout`) or a value that is not an object rejects with a `TypeError` that names it and, where
   *   one is close, the option meant.
   * @throws {TokenClientError} `OAUTH_ERROR`, `UNEXPECTED_STATUS`, `INVALID_RESPONSE`, `TRANSPORT_ERROR`,
   *   `TIMEOUT`, `ABORTED` or `CLIENT_CLOSED`; a `TypeError` (code `ERR_INVALID_ARG_VALUE`) for a
   *   malformed scope, parameter or option.
   * @example
   * const { accessToken } = await client.getToken(['orders:read', 'orders:write'])
   * @example
   * await client.getToken(process.env.ORDERS_SCOPE) // unset or empty: the client's `scope` option
   */
  getToken(scope?: ScopeInput, options?: GetTokenOptions): Promise<AccessToken> {
    if (options === undefined && typeof scope !== 'object' && !this.#closed) {
      const request = this.#requestsByScope.get(scope)
      const cached = request === undefined ? undefined : this.#cache.peek(request.key)
      if (cached !== undefined) {
        // The hit's whole telemetry when nothing listens: an increment for the status, one getter.
        const telemetry = this.#telemetry
        telemetry.lookups.hit++
        if (telemetry.observed) telemetry.cacheLookup('hit', (request as TokenRequest).requestedScope)
        return cached
      }
    }
    return this.#getToken(scope, options)
  }

  /**
   * Every call but a plain cache hit. Not an `async` function, which would wrap the cache's promise in
   * one more (and two more microtask turns); what it throws is turned into a rejection here instead.
   */
  #getToken(scope: ScopeInput | undefined, options: GetTokenOptions | undefined): Promise<AccessToken> {
    try {
      if (this.#closed) throw new ClientClosedError()
      if (options?.signal?.aborted) throw new AbortError(options.signal.reason)
      const request = this.#tokenRequest(scope, options)
      return this.#cache.get(request.key, request, options?.forceRefresh === true, options?.signal)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Drops the cached token for `scope` (with the same extra parameters), or every cached token when
   * called without arguments. The next `getToken()` requests a new one. With a shared cache, the shared
   * entry goes too, but only if it still holds the token this process had (compare-and-delete): a
   * newer token another process wrote stays, and is what the next `getToken()` gets.
   *
   * @example
   * client.invalidate('api:read') // after the API rejected the token
   */
  invalidate(scope?: ScopeInput, options: Omit<GetTokenOptions, 'forceRefresh' | 'signal'> = {}): void {
    if (scope === undefined && Object.keys(options).length === 0) {
      this.#cache.clear()
      this.#fleet?.invalidateAll()
      return
    }
    const { key } = this.#tokenRequest(scope, options)
    this.#cache.delete(key)
    this.#fleet?.invalidate(key)
  }

  /**
   * The headers that send `token` on a request you make yourself: `Authorization: DPoP <token>` and a
   * `DPoP` proof made for this request alone (RFC 9449 §7): `htm` the method, `htu` the URL without
   * query and fragment, `ath` the token's hash, a new `jti`, and the resource's nonce when its origin
   * gave one. Make new headers for every request, redirect hop and retry: a proof is for one request.
   * A resource that answers `401` with `WWW-Authenticate: DPoP error="use_dpop_nonce"` sends a
   * `DPoP-Nonce`: pass it as `nonce` to make the retry's headers (it is kept for the origin and used
   * from then on). {@link createAuthFetch} and {@link tokenInterceptor} do all of this themselves.
   *
   * A Bearer token (one taken with `dpop: { acceptBearer: true }`) gets `Authorization: Bearer <token>`
   * and no proof.
   *
   * @param token A token of this client's, from {@link TokenClient.getToken}.
   * @param request The request's method and URL, and the resource's nonce if it just gave one.
   * @throws {TypeError} `ERR_INVALID_ARG_VALUE` when the client has no `dpop` option, or the method,
   *   URL or nonce is not one.
   * @example
   * const token = await client.getToken('orders:read')
   * const url = 'https://api.example.com/orders'
   * let res = await fetch(url, { headers: await client.dpopHeaders(token, { method: 'GET', url }) })
   * const nonce = res.headers.get('dpop-nonce')
   * if (res.status === 401 && nonce !== null) {
   *   res = await fetch(url, { headers: await client.dpopHeaders(token, { method: 'GET', url, nonce }) })
   * }
   */
  async dpopHeaders(token: AccessToken, request: DpopRequest): Promise<DpopRequestHeaders> {
    if (this.#closed) throw new ClientClosedError()
    const key = this.#dpopKey
    if (key === undefined) throw invalidArgument('dpop', 'is not set on this client: dpopHeaders() needs new TokenClient({ ..., dpop: true })')
    if (!(token instanceof AccessToken)) throw invalidArgument('token', 'must be an AccessToken from getToken()')
    if (typeof request !== 'object' || request === null) throw invalidArgument('dpopHeaders() request', 'must be an object ({ method, url })')
    const { method, url, nonce } = request
    if (typeof method !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(method)) throw invalidArgument('method', 'must be an HTTP method (a token, such as GET)')
    const target = typeof url === 'string' && URL.canParse(url) ? new URL(url) : url instanceof URL ? url : undefined
    if (target === undefined || (target.protocol !== 'https:' && target.protocol !== 'http:')) throw invalidArgument('url', 'must be an absolute http(s) URL')
    if (nonce !== undefined) {
      if (dpopNonceOf(nonce) === undefined) throw invalidArgument('nonce', 'must be a DPoP-Nonce value (1 to 1024 printable ASCII characters, no space, quote or backslash)')
      this.#resourceNonces.take(target, nonce)
    }
    if (token.tokenType === 'Bearer') return { authorization: token.authorizationHeader() }
    // Fetch's own normalisation: the six methods it knows in upper case, any other as written.
    const upper = method.toUpperCase()
    const htm = FETCH_METHODS.has(upper) ? upper : method
    return { authorization: token.authorizationHeader(), dpop: await this.#resourceProof(token.accessToken, htm, target) }
  }

  /**
   * A new undici `Agent` that presents the client's TLS certificate (the `tls` option) on every
   * connection and trusts its `tls.ca`: for calling the APIs that accept the client's
   * certificate-bound tokens (RFC 8705 §3), which refuse a token arriving over a connection without
   * its certificate. The key stays inside the agent's TLS context. The caller owns the agent and
   * closes it (`await agent.close()`); `client.close()` does not.
   *
   * The fetch wrapper needs none of this: {@link createAuthFetch} sends the requests that carry the
   * token through an agent of the client's own. The interceptor cannot change a connection, so
   * compose it on this agent.
   *
   * @param options undici `Agent` options, except `connect` (set here to present the certificate).
   * @throws {TypeError} `ERR_INVALID_ARG_VALUE` when the client has no `tls`, or no `tls.key` (a client
   *   given a `dispatcher` and `tls.cert` alone), or when `options` holds `connect`.
   * @example
   * const agent = client.createAgent()
   * const res = await request('https://api.example.com/orders', {
   *   dispatcher: agent,
   *   headers: { authorization: (await client.getToken('orders:read')).authorizationHeader() },
   * })
   * @example
   * const dispatcher = client.createAgent().compose(tokenInterceptor({ client, scope: 'orders:read', origins: ['https://api.example.com'] }))
   */
  createAgent(options: CertificateAgentOptions = {}): Agent {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalidArgument('createAgent() options', 'must be an object')
    if (Object.hasOwn(options, 'connect')) {
      throw invalidArgument('connect', 'is set by createAgent() to present the client certificate; give the other Agent options only')
    }
    const tls = this.#options.tls
    if (tls === undefined) throw invalidArgument('tls', 'is needed for createAgent(): the client has no TLS certificate to present')
    if (tls.secureContext() === undefined) {
      throw invalidArgument('tls.key', 'is needed for createAgent(): the client was given tls.cert alone (its dispatcher presents the certificate)')
    }
    if (this.#closed) throw new ClientClosedError()
    return new Agent({ ...options, connect: certificateConnector(tls, options) })
  }

  /** The agent of the fetch wrapper: owned by the client, closed by `close()`. */
  #ownAgent(): Agent {
    const agent = new Agent({ connect: certificateConnector(this.#options.tls as TlsIdentity, {}) })
    this.#ownedPools.push(agent)
    return agent
  }

  /**
   * A snapshot of the client for an operator: each cached token by scope with its expiry, refresh
   * point and state (`fresh`, `stale`, `refreshing`, `failing` with the last error's code, `expired`,
   * `requesting`), counts since the client was created (token requests, failures, HTTP requests,
   * retries, cache hits and misses, refresh failures...), and with a shared cache its health (the
   * breaker, the last problem). Plain data that `JSON.stringify()` writes as it is, for a health
   * endpoint; never a token, a secret or a key. It walks the whole cache: for an endpoint, not for
   * every request.
   *
   * @example
   * // a health endpoint
   * createServer((req, res) => {
   *   const status = client.status()
   *   const failing = status.tokens.some((token) => token.state === 'failing' || token.state === 'expired')
   *   res.writeHead(failing ? 503 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(status))
   * })
   */
  status(): TokenClientStatus {
    const telemetry = this.#telemetry
    const now = this.#options.clock.now()
    const tokens = this.#cache.entries().map(({ entry, context, requesting }) =>
      tokenStatusOf(
        {
          scope: context?.requestedScope ?? '',
          parameters: context?.params.map(([name]) => name) ?? [],
          requesting,
          entry: entry && {
            tokenType: entry.value.tokenType,
            expiresAt: entry.value.expiresAt,
            refreshAt: entry.refreshAt,
            usableUntil: entry.usableUntil,
            unusableOnArrival: entry.unusableOnArrival,
            failedRefreshes: entry.failedRefreshes,
            lastRefreshError: entry.lastRefreshError,
          },
        },
        now,
      ),
    )
    const { lookups, counts } = telemetry
    const { sharedCache, discovery } = this.#options
    const trouble = telemetry.lastSharedCacheTrouble
    const found = telemetry.discoveryState
    const discoveryError = found.state === 'failed' ? (errorFacts(found.error).code ?? '_OTHER') : undefined
    return {
      client: telemetry.client,
      at: new Date(now).toISOString(),
      since: new Date(this.#createdAt).toISOString(),
      closed: this.#closed,
      tokens,
      counts: {
        tokenRequests: counts.tokenRequests,
        tokenRequestFailures: counts.tokenRequestFailures,
        tokenRequestsAborted: counts.tokenRequestsAborted,
        httpRequests: counts.httpRequests,
        retries: counts.retries,
        dpopNonceRetries: counts.dpopNonceRetries,
        cacheHits: lookups.hit,
        cacheStaleHits: lookups.stale,
        cacheMisses: lookups.miss,
        sharedCacheHits: lookups['shared-hit'],
        sharedCacheMisses: lookups['shared-miss'],
        refreshFailures: counts.refreshFailures,
        sharedCacheErrors: counts.sharedCacheErrors,
      },
      ...(sharedCache !== undefined && {
        sharedCache: {
          store: sharedCache.description,
          breaker: telemetry.breakerOpen ? 'open' : 'closed',
          errors: counts.sharedCacheErrors,
          ...(trouble !== undefined && { lastErrorCode: trouble.code, lastErrorAt: new Date(trouble.at).toISOString() }),
          ...(trouble?.operation !== undefined && { lastErrorOperation: trouble.operation }),
        },
      }),
      ...(discovery !== undefined && {
        discovery: { state: found.state, ...(discoveryError !== undefined && { lastErrorCode: discoveryError }) },
      }),
    }
  }

  /**
   * Aborts requests in flight (their callers get `CLIENT_CLOSED`), empties the cache and closes the
   * connection pool the client created, and the agent its fetch wrappers used for certificate-bound
   * tokens. Later calls fail with `CLIENT_CLOSED`.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    countClosedClient(this.#census)
    this.#cache.close(closedError)
    this.#discoveryAbort.abort(closedError())
    await Promise.all(this.#ownedPools.splice(0).map((pool) => pool.destroy()))
  }

  /** The same as {@link TokenClient.options}, so `JSON.stringify(client)` never shows the secret. */
  toJSON(): TokenClientDescription {
    return { ...this.options }
  }

  /** How `util.inspect()` and `console.log()` show the client: its {@link TokenClient.options}, no secret. */
  [inspect.custom](): string {
    return `TokenClient ${inspect(this.options)}`
  }

  /** The prepared request of a call: remembered by scope text when the call adds no parameters. */
  #tokenRequest(scope: ScopeInput | undefined, options: ExtraParamsOptions | undefined): TokenRequest {
    let hasParams = false
    if (options !== undefined) {
      checkGetTokenOptions(options)
      hasParams = options.audience !== undefined || options.resource !== undefined || options.params !== undefined
    }
    // An empty scope ('', [], ...) is the client's default; a string one is remembered by its text as any other.
    if (hasParams || typeof scope === 'object') return this.#prepareRequest(givenScope(scope), hasParams ? options : undefined)
    let request = this.#requestsByScope.get(scope)
    if (request === undefined) {
      request = this.#prepareRequest(givenScope(scope), undefined)
      if (this.#requestsByScope.size >= MAX_REMEMBERED_SCOPES) this.#requestsByScope.clear()
      this.#requestsByScope.set(scope, request)
    }
    return request
  }

  #prepareRequest(scope: ScopeInput | undefined, extra: ExtraParamsOptions | undefined): TokenRequest {
    const scopes = scope === undefined ? this.#options.defaultScope : normalizeScope(scope)
    const params =
      extra === undefined
        ? this.#options.defaultParams
        : normalizeParams({ params: Object.fromEntries(this.#options.defaultParams) }, extra)
    const endpoint = this.#endpoint
    return {
      key: tokenCacheKey(this.#keyPrefix, scopes, params),
      scopes,
      requestedScope: scopes.join(' '),
      params,
      body: endpoint === undefined ? undefined : tokenRequestBody(scopes, params, endpoint.authParams),
    }
  }

  /**
   * A process miss with a shared cache: the fleet's token, or one from the token server. What the
   * shared cache found is a lookup of its own (`shared-hit`, `shared-miss`); a forced refresh looks
   * up nothing there either.
   */
  #acquireShared(fleet: FleetCache, request: TokenRequest, signal: LazyAbortSignal, kind: FetchKind): Promise<CacheEntry<AccessToken>> {
    let asked = false
    const fetched = fleet.acquire(request.key, kind, signal, () => {
      asked = true
      if (kind !== 'force') this.#telemetry.lookup('shared-miss', request.requestedScope)
      return this.#requestToken(request, signal, kind)
    })
    return fetched.then((entry) => {
      if (!asked && kind !== 'force') this.#telemetry.lookup('shared-hit', request.requestedScope)
      return entry
    })
  }

  /** One token request, inside its telemetry (a span, metrics, the token channel's messages, when anything listens). */
  #requestToken(request: TokenRequest, signal: LazyAbortSignal, kind: FetchKind): Promise<CacheEntry<AccessToken>> {
    return this.#telemetry.acquisition({ scope: request.requestedScope, trigger: kind }, (recorder) => this.#acquire(request, signal, recorder))
  }

  async #acquire(request: TokenRequest, signal: LazyAbortSignal, recorder: AcquisitionRecorder): Promise<CacheEntry<AccessToken>> {
    const { clock, retry } = this.#options
    let endpoint = this.#endpoint
    if (endpoint === undefined) {
      try {
        endpoint = await this.#discover(signal)
      } catch (error) {
        this.#telemetry.requestFailed(error)
        throw error
      }
    }
    const body = request.body ?? tokenRequestBody(request.scopes, request.params, endpoint.authParams)
    const log = new AttemptLog(recorder)
    try {
      return await withRetries(
        (attempt, attemptSignal, timeout, startedAt) => {
          log.starting()
          return this.#attempt(endpoint, request, body, attemptSignal, timeout, startedAt, attempt, log)
        },
        retry,
        signal, // the cache's flight signal: it fires when nobody waits any more or close() is called
        clock,
      )
    } catch (error) {
      log.end()
      // Said once, where every caller of this request gets the error: which endpoint, which client.
      const failure = withRequestContext(error, { ...endpoint.errorContext, hint: this.#hint(error, endpoint.credentials) })
      this.#telemetry.requestFailed(failure)
      throw failure
    }
  }

  /**
   * The token endpoint from the issuer's metadata: one discovery for every concurrent caller, kept
   * for the client's life once it succeeds, forgotten when it fails (the next call tries again).
   * A caller whose flight is aborted stops waiting; the discovery goes on for the others.
   */
  #discover(signal: LazyAbortSignal): Promise<Endpoint> {
    let flight = this.#discovery
    if (flight === undefined) {
      const { configured } = this.#options.discovery as NonNullable<ResolvedOptions['discovery']>
      const clientId = this.#options.credentials.clientId
      const startedAt = performance.now()
      const started: Promise<Endpoint> = this.#runDiscovery().then(
        (endpoint) => {
          this.#endpoint = endpoint
          // Their bodies wait for the method; prepared again, they are whole once more.
          this.#requestsByScope.clear()
          this.#telemetry.discovery({
            durationMs: performance.now() - startedAt,
            tokenEndpoint: endpoint.tokenUrl,
            authMethod: endpoint.credentials.authMethod,
          })
          return endpoint
        },
        (error: unknown) => {
          if (this.#discovery === started) this.#discovery = undefined
          const failure = withRequestContext(error, { endpoint: configured, clientId })
          this.#telemetry.discovery({ durationMs: performance.now() - startedAt, error: failure })
          throw failure
        },
      )
      // Its callers hear of a failure through raceAbort; one that no caller waits for any more is no unhandled rejection.
      started.catch(() => {})
      flight = this.#discovery = started
    }
    return signal.aborted ? Promise.reject(abortFailure(signal.reason)) : raceAbort(flight, signal.toAbortSignal(), abortFailure)
  }

  async #runDiscovery(): Promise<Endpoint> {
    const options = this.#options
    const discovery = options.discovery as NonNullable<ResolvedOptions['discovery']>
    const metadata = await fetchMetadata(
      this.#issuerDispatcher as Dispatcher,
      discovery.issuer,
      discovery.configured,
      {
        timeoutMs: options.retry.attemptTimeoutMs,
        maxResponseBytes: options.maxResponseBytes,
        allowInsecureHttp: discovery.allowInsecureHttp,
        userAgent: options.userAgent,
      },
      this.#discoveryAbort,
    )
    const choice = chooseAuthMethod(metadata.authMethods, {
      given: discovery.givenMethod,
      hasPrivateKey: options.credentials.authMethod === 'private_key_jwt',
      tlsOnly: discovery.tlsOnly,
    })
    if ('refused' in choice) throw new DiscoveryError({ issuer: discovery.configured, status: 200, reason: choice.refused })
    let credentials: ClientCredentials
    try {
      credentials = discovery.credentialsFor(choice.method)
    } catch (error) {
      throw new DiscoveryError({ issuer: discovery.configured, status: 200, reason: `${choice.method}, the method chosen, cannot use the credential: ${(error as Error).message}`, cause: error })
    }
    if (this.#closed) throw new ClientClosedError()
    if (options.dpop !== undefined && this.#dpopKey !== undefined) {
      this.#dpopKey = discoveredDpopKey(metadata.dpopAlgorithms, options.dpop, this.#dpopKey, discovery.configured)
    }
    // RFC 8705 §5: a client that presents a certificate uses the mutual-TLS alias of the endpoint.
    const tokenUrl = options.tls !== undefined ? (metadata.mtlsTokenUrl ?? metadata.tokenUrl) : metadata.tokenUrl
    let dispatcher = options.dispatcher
    if (dispatcher === undefined) {
      // The client's pools are per origin: the issuer's serves the token endpoint when they share one.
      const issuerPool = this.#issuerDispatcher as Pool
      if (tokenUrl.origin === discovery.issuer.origin) {
        dispatcher = issuerPool
      } else {
        dispatcher = this.#newPool(tokenUrl.origin)
        this.#ownedPools.splice(this.#ownedPools.indexOf(issuerPool), 1)
        issuerPool.close().catch(() => {})
      }
    }
    return endpointOf(tokenUrl, credentials, dispatcher, options.userAgent)
  }

  /**
   * A pool the client owns, for one origin. At most 16 connections (undici's Pool has no cap of its
   * own): concurrent requests beyond them queue, so a cold start with thousands of scopes opens 16
   * sockets, not thousands. The limit is documented on the `dispatcher` option.
   */
  #newPool(origin: string): Pool {
    const tls = this.#options.tls
    const pool = new Pool(origin, {
      connections: 16,
      keepAliveTimeout: 30_000,
      // With tls, every connection presents the certificate: its key lives in the TLS context, held in
      // the connector's closure, never in an options object that util.inspect() could reach.
      ...(tls?.secureContext() !== undefined && { connect: certificateConnector(tls, {}) }),
    })
    this.#ownedPools.push(pool)
    return pool
  }

  /**
   * One attempt: one POST, or two when DPoP is on and the server asks for a nonce (RFC 9449 §8: a
   * `400 use_dpop_nonce` with a `DPoP-Nonce`), sent again at once with a new proof and a new
   * assertion. That second request is part of the attempt, not one of `retry.retries`, but its time
   * limit still ends by the deadline; a second `use_dpop_nonce` in a row is the OAuth error it is.
   */
  async #attempt(
    endpoint: Endpoint,
    request: TokenRequest,
    preparedBody: string,
    signal: LazyAbortSignal,
    timeout: TimeLimit,
    startedAt: number,
    attempt: number,
    log: AttemptLog,
  ): Promise<CacheEntry<AccessToken>> {
    const { clock, dpop } = this.#options
    const dpopKey = this.#dpopKey
    let limit = timeout
    for (let nonceRetry = false; ; nonceRetry = true) {
      const sentAt = clock.now()
      // The secret methods send the body prepared once; the JWT methods add an assertion made for this
      // request alone (a new jti each time, so a server that refuses replays takes a retry too).
      let body = preparedBody
      let redactAttempt = this.#redact
      let assertion: string | undefined
      const signing: AssertionSigning | undefined = endpoint.assertion
      if (signing !== undefined) {
        const signed = await signClientAssertion(endpoint.errorContext.clientId, signing, this.#wallNow())
        assertion = signed
        body = `${body}&${assertionBodyParams(signed)}`
        redactAttempt = (text) => this.#redact(text).replaceAll(signed, REDACTED)
      }
      const headers =
        dpopKey === undefined
          ? endpoint.headers
          : {
              ...endpoint.headers,
              dpop: await createDpopProof(dpopKey, {
                method: 'POST',
                url: endpoint.tokenUrl,
                nonce: this.#serverNonces.get(endpoint.tokenUrl),
                nowMs: this.#wallNow(),
              }),
            }
      const requestedAt = performance.now()
      let response: Awaited<ReturnType<typeof postForm>>
      try {
        response = await postForm(
          endpoint.dispatcher,
          endpoint.target,
          headers,
          body,
          { timeout: limit, maxResponseBytes: this.#options.maxResponseBytes },
          signal,
        )
      } catch (error) {
        log.failed({ attempt, durationMs: performance.now() - requestedAt, error })
        throw error
      }
      // Every answer may carry the server's next nonce, a token or an error alike (RFC 9449 §8.2).
      const nonce = dpopKey === undefined ? undefined : this.#serverNonces.take(endpoint.tokenUrl, response.headers['dpop-nonce'])
      let token: ReturnType<typeof interpretTokenResponse>
      try {
        token = interpretTokenResponse(response, {
          url: endpoint.tokenUrl,
          requestedScope: request.requestedScope,
          now: clock.wallNow?.() ?? clock.now(),
          defaultLifetimeMs: this.#options.defaultLifetimeMs,
          redact: redactAttempt,
          clientAssertion: assertion,
          maxBodyBytes: this.#options.maxResponseBytes,
          dpop,
        })
      } catch (error) {
        const report = { attempt, durationMs: performance.now() - requestedAt, status: response.status, error }
        if (!nonceRetry && nonce !== undefined && response.status === 400 && error instanceof OAuthError && error.error === 'use_dpop_nonce') {
          log.nonceRetry(report)
          limit = timeLimitFrom(this.#options.retry, startedAt)
          continue
        }
        log.failed(report)
        throw error
      }
      log.succeeded({ attempt, durationMs: performance.now() - requestedAt, status: response.status })
      const schedule = scheduleToken(sentAt, token.lifetimeMs, this.#options.refresh)
      return {
        value: new AccessToken(token.accessToken, new Date(schedule.expiresAt), token.scope, token.tokenType),
        usableUntil: schedule.usableUntil,
        refreshAt: schedule.refreshAt,
        sentAt,
      }
    }
  }

  /**
   * Wall-clock time for the assertions' and proofs' `iat`. The constructor refused a clock whose
   * wallNow() is not a time; one that breaks later is not trusted: the system clock is used instead.
   */
  #wallNow(): number {
    const wall = this.#options.clock.wallNow?.() ?? Date.now()
    return Number.isFinite(wall) && wall > 0 ? wall : Date.now()
  }

  /** A proof for a request to a resource carrying `accessToken`, with the resource's nonce. */
  #resourceProof(accessToken: string, method: string, url: URL): Promise<string> {
    return createDpopProof(this.#dpopKey as DpopProofKey, {
      method,
      url,
      accessToken,
      nonce: this.#resourceNonces.get(url),
      nowMs: this.#wallNow(),
    })
  }

  /** What to check when the server refused the client's credentials, if the client can tell. */
  #hint(error: unknown, credentials: ClientCredentials): string | undefined {
    if (!(error instanceof OAuthError) || error.error !== 'invalid_client') return undefined
    return invalidClientHint(credentials, error.status, error.retryAfterMs)
  }
}

/** The methods fetch writes in upper case whatever case they are given in (Fetch, "normalize a method"). */
const FETCH_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'])

