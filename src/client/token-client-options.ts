import type { Dispatcher } from 'undici'
import type { AuthMethod, BasicEncoding } from '../auth/client-authentication.js'
import type { PrivateKeyInput, SigningAlgorithm } from '../auth/signing-key.js'
import type { TlsClientOptions } from '../auth/tls-identity.js'
import type { RefreshPolicy } from '../cache/refresh-policy.js'
import type { Clock } from '../clock.js'
import type { TokenClientError } from '../errors/token-client-error.js'
import type { ScopeInput } from '../request/scope.js'
import type { DpopSigningAlgorithm } from '../dpop/proof-key.js'
import type { ExtraParamsOptions } from '../request/token-params.js'
import type { RetryOptions } from '../retry/retry-policy.js'
import type { SharedTokenCache } from '../shared-cache/shared-token-cache.js'

/**
 * How tokens are cached. Durations in milliseconds; every field has a default.
 *
 * @example
 * new TokenClient({ ...credentials, cache: { maxEntries: 50, expiryBufferMs: 30_000 } })
 */
export interface CacheOptions extends Partial<RefreshPolicy> {
  /** The most tokens (distinct scope and parameter sets) kept; the least recently used go first. @default 1000 */
  maxEntries?: number
  /**
   * The lifetime assumed for a token whose response has no `expires_in` and which is not a JWT with `exp`.
   * @default 300_000 (five minutes)
   */
  defaultLifetimeMs?: number
}

/**
 * The `dpop` option as an object: the proof key to keep (for a fleet of processes that share tokens),
 * its algorithm, and whether a Bearer answer is taken. Every member is optional: `dpop: {}` is
 * `dpop: true`.
 *
 * @example
 * new TokenClient({ ...options, dpop: { privateKey: readFileSync('/run/secrets/dpop-key.pem', 'utf8') } })
 * @example
 * new TokenClient({ ...options, dpop: { signingAlgorithm: 'EdDSA' } }) // an Ed25519 key made in memory
 */
export interface DpopOptions {
  /**
   * The private key that signs the proofs, kept by you so that processes that share tokens
   * (`sharedCache`) hold the same key: a PEM (PKCS#8, SEC1, PKCS#1), a private `KeyObject` or a
   * private JWK, as `privateKey` takes them; EC P-256, P-384 or P-521, Ed25519, or RSA of 2048 bits or
   * more. Imported once, at construction; a public key is refused. Never logged, inspected, serialised
   * or put in a message: `client.options.dpop` shows its thumbprint (`keyThumbprint`, the `jkt`).
   * @default none: a key pair made in memory for the client's life
   * @example readFileSync('/run/secrets/dpop-key.pem', 'utf8')
   */
  privateKey?: PrivateKeyInput
  /**
   * The proofs' `alg`: one that fits `privateKey`, or the kind of key to make in memory.
   * @default from `privateKey` (ES256, ES384, ES512 by curve, EdDSA for Ed25519, RS256 for RSA); without
   *   one, with `issuer`, the first of the metadata's `dpop_signing_alg_values_supported` the client
   *   supports, else ES256
   * @example 'PS256'
   */
  signingAlgorithm?: DpopSigningAlgorithm
  /**
   * Take a `Bearer` token that the server gave in answer to a DPoP request (a server that does not
   * do DPoP for this client). Off by default, because such a token is not bound to the key: it works
   * for whoever holds it, which is what DPoP is there to prevent. The token is then sent as a Bearer
   * token, without a proof.
   * @default false: a Bearer answer is an `INVALID_RESPONSE`
   * @example true
   */
  acceptBearer?: boolean
}

/**
 * Options of {@link TokenClient}. `tokenUrl` (or `issuer`, to discover it) and `clientId` are required, and the credential of the
 * `authMethod`: `clientSecret` (the secret methods and `client_secret_jwt`) or `privateKey`
 * (`private_key_jwt`).
 *
 * @example
 * new TokenClient({
 *   tokenUrl: 'https://id.example.com/connect/token',
 *   clientId: 'orders-service',
 *   clientSecret: process.env.CLIENT_SECRET!,
 *   scope: 'orders:read',
 * })
 */
export interface TokenClientOptions extends ExtraParamsOptions {
  /**
   * The token endpoint. Must be https, except for loopback hosts or with `allowInsecureHttp`.
   * Required, unless `issuer` is given instead (never both).
   * @example 'https://id.example.com/connect/token'
   */
  tokenUrl?: string | URL | undefined
  /**
   * The authorization server's issuer identifier, to discover the token endpoint (and, without
   * `authMethod`, the auth method) from its metadata instead of giving `tokenUrl` (never both). The
   * metadata is looked for at the RFC 8414 location (`/.well-known/oauth-authorization-server`,
   * inserted before the issuer's path), then the OpenID Discovery one (`<issuer>/.well-known/openid-configuration`),
   * on the first `getToken()`; it is fetched once and kept for the client's life, and fetched again
   * by the next call after a failure (`DISCOVERY_ERROR`). Its `issuer` must equal this one exactly,
   * character for character, and its `token_endpoint` pass the `tokenUrl` rules; else no token
   * request is sent. Without `authMethod`, the method is chosen from
   * `token_endpoint_auth_methods_supported` (absent: `client_secret_basic`): `private_key_jwt` with a
   * `privateKey`; with a `clientSecret`, `client_secret_basic`, else `client_secret_post`, else
   * `client_secret_jwt`; with `tls` alone (no secret, no key), `tls_client_auth`, else
   * `self_signed_tls_client_auth`. With `tls`, token requests go to `mtls_endpoint_aliases.token_endpoint`
   * when the metadata has one (RFC 8705 §5), else to `token_endpoint`. A given `authMethod` the server does not list is a `DISCOVERY_ERROR`. The JWT
   * methods' assertions have the issuer as `aud`. Must be https, except for loopback hosts or with
   * `allowInsecureHttp`; no query.
   * @default none
   * @example 'https://login.example.com/tenant-a'
   */
  issuer?: string | URL | undefined
  /** The client id. @example 'orders-service' */
  clientId: string
  /**
   * The client secret: required by `client_secret_basic`, `client_secret_post` and `client_secret_jwt`
   * (where it is the HMAC key, so at least 32 bytes for HS256), refused with `private_key_jwt`,
   * `tls_client_auth` and `self_signed_tls_client_auth` (a leftover secret would leave unclear which
   * credential the client uses). Never logged,
   * inspected, serialised or put in an error message.
   * @default none
   * @example process.env.ORDERS_CLIENT_SECRET!
   */
  clientSecret?: string
  /**
   * How the client authenticates: see docs/client-authentication.md.
   * @default 'client_secret_basic'; with `issuer`, chosen from the server's metadata
   * @example 'client_secret_post' // id and secret in the form body
   * @example 'private_key_jwt' // a JWT signed with privateKey, new for every attempt
   * @example 'tls_client_auth' // mutual TLS with the `tls` certificate (RFC 8705): no secret at all
   */
  authMethod?: AuthMethod
  /**
   * The private key of `private_key_jwt` (required there, refused with any other method): a PEM
   * (PKCS#8 `PRIVATE KEY`, SEC1 `EC PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY`), a node:crypto private
   * `KeyObject`, or a private JWK. RSA of 2048 bits or more, EC P-256, P-384 or P-521, or Ed25519.
   * Imported once, at construction; a public key, an encrypted or malformed PEM are refused then.
   * Never logged, inspected, serialised, put in a message or in a cache key.
   * @default none
   * @example readFileSync('/run/secrets/orders-key.pem', 'utf8')
   * @example JSON.parse(process.env.ORDERS_PRIVATE_JWK!)
   */
  privateKey?: PrivateKeyInput
  /**
   * The `kid` header of the assertions (`private_key_jwt`, `client_secret_jwt`): which registered key
   * the server should verify with.
   * @default the private JWK's `kid`, if `privateKey` is a JWK with one; otherwise no `kid`
   * @example 'orders-2025-06'
   */
  keyId?: string
  /**
   * The JWS algorithm of the assertions. For `private_key_jwt`, one that fits the key: `RS256`,
   * `RS384`, `RS512`, `PS256`, `PS384`, `PS512` (RSA), `ES256` (P-256), `ES384` (P-384), `ES512`
   * (P-521), `EdDSA` or `Ed25519` (Ed25519). For `client_secret_jwt`, `HS256`, `HS384` or `HS512`, with
   * a secret of at least 32, 48 or 64 bytes.
   * @default from the key: RS256 for RSA (PS256 for an RSA-PSS key), ES256/ES384/ES512 by curve, EdDSA
   *   for Ed25519; HS256 for `client_secret_jwt`
   * @example 'PS256'
   */
  signingAlgorithm?: SigningAlgorithm
  /**
   * For `private_key_jwt`: the PEM certificate of `privateKey`, whose SHA-256 thumbprint goes in the
   * `x5t#S256` header, as Entra ID wants for certificate credentials. It must hold the public key of
   * `privateKey`. Public data; only its thumbprint is kept.
   * @default none: no `x5t#S256` header
   * @example readFileSync('/run/secrets/orders-cert.pem', 'utf8')
   */
  certificate?: string
  /**
   * The client's TLS certificate and key (PEM), presented on every connection the client opens: to
   * the token endpoint, to the issuer for discovery, and through {@link TokenClient.createAgent} and
   * {@link createAuthFetch} to the APIs its tokens are for. Required with `tls_client_auth` and
   * `self_signed_tls_client_auth` (mutual-TLS client authentication, RFC 8705 §2); allowed with every
   * other method, for servers that bind tokens to the certificate whatever the method (RFC 8705 §3).
   * Checked at construction: the certificate and `ca` parse, the key is an unencrypted private key
   * (RSA of 2048 bits or more) of the certificate. With `tls`, the certificate's thumbprint is part
   * of the cache key, and discovery uses the metadata's `mtls_endpoint_aliases.token_endpoint`.
   *
   * With a `dispatcher` of your own, `tls.key` may be left out: the client then does not make the
   * connection, so your dispatcher must present the certificate itself,
   * `new Agent({ connect: { cert, key, ca } })`, and `tls.cert` is used only as the client's identity
   * (its thumbprint). Never shown: `client.options` gives `tlsCertificateThumbprint`.
   * @default none
   * @example { cert: readFileSync('client.crt'), key: readFileSync('client.key'), ca: readFileSync('corp-ca.pem') }
   */
  tls?: TlsClientOptions
  /**
   * DPoP (RFC 9449): bind the tokens to a key pair of the client's, so that a token that leaks is
   * of no use without the private key. Every token request carries a `DPoP` proof (and takes part in
   * the server's nonces), the tokens are `tokenType: 'DPoP'`, and {@link createAuthFetch},
   * {@link tokenInterceptor} and {@link TokenClient.dpopHeaders} send them with a new proof per
   * request. `true` makes a key pair in memory for the client's life (ES256; with `issuer`, as the
   * metadata's `dpop_signing_alg_values_supported` allows); {@link DpopOptions} gives a key to keep,
   * the algorithm, and `acceptBearer`. Works with every `authMethod`, and with `issuer`: an algorithm
   * the metadata does not list is a `DISCOVERY_ERROR`. With `sharedCache`, give `dpop.privateKey`,
   * the same in every process (a key made in memory cannot be shared). A `Bearer` answer is an
   * `INVALID_RESPONSE`, unless `dpop.acceptBearer`.
   * @default none (`false`): no DPoP, Bearer tokens
   * @example true
   * @example { privateKey: readFileSync('/run/secrets/dpop-key.pem', 'utf8') }
   */
  dpop?: boolean | DpopOptions
  /**
   * For `client_secret_basic`: form-encode the id and secret before base64 (`form`, as RFC 6749
   * requires), or send them as they are (`raw`) for servers that never decode.
   * @default 'form'
   * @example 'raw' // for a server that rejects form-encoded credentials with invalid_client
   */
  basicEncoding?: BasicEncoding
  /**
   * The scope `getToken()` asks for when called without one.
   * @default none: no `scope` parameter is sent, and the server picks its default
   * @example 'orders:read orders:write'
   */
  scope?: ScopeInput
  /**
   * Allow a plain `http:` token URL to a non-loopback host. Sends the secret unencrypted: for test
   * networks only.
   * @default false
   */
  allowInsecureHttp?: boolean
  /**
   * The undici dispatcher to send requests through: a `ProxyAgent` for a proxy, an `EnvHttpProxyAgent`
   * for the proxy that `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` name, an `Agent` or `Pool` with
   * `connect: { ca }` to trust a private CA. The client reads no proxy variables itself: a request
   * carrying the secret goes through a proxy only when the code says so. The client does not close a
   * dispatcher it was given, and sets no limit on it: bound its connections yourself (undici's
   * `connections` option). See "Proxies and custom CAs" in docs/getting-started.md.
   *
   * The default pool opens at most 16 connections to the token endpoint; requests beyond them wait in
   * its queue, so a cold start with thousands of distinct scopes opens 16 sockets, not thousands (the
   * wait counts towards `retry.attemptTimeoutMs`). Each distinct scope makes one request at a time
   * and then serves from the cache, so 16 is ample for a token endpoint. With `tls`, the default pools
   * present the certificate; a dispatcher of yours must do it itself (`connect: { cert, key, ca }`).
   * @default a keep-alive undici `Pool` for the token URL's origin (at most 16 connections, idle ones closed after 30 s), owned by the client
   * @example new ProxyAgent('http://proxy.internal:3128')
   * @example new EnvHttpProxyAgent({ connections: 16 }) // HTTPS_PROXY, HTTP_PROXY, NO_PROXY
   * @example new Pool(new URL(tokenUrl).origin, { connections: 16, connect: { ca: readFileSync('corp-ca.pem', 'utf8') } })
   */
  dispatcher?: Dispatcher
  /**
   * The `User-Agent` header.
   * @default 'oauth2-client-credentials/<version>'
   * @example 'orders-service/2.3.0'
   */
  userAgent?: string
  /**
   * The largest response body read, in bytes. A 2xx body past it fails with `INVALID_RESPONSE`; the
   * body of any other status is discarded past it, unread, and the status classifies the response
   * (a 503 page of any size is retried like any 503, its `Retry-After` honoured).
   * @default 1_048_576 (1 MiB)
   */
  maxResponseBytes?: number
  /**
   * Caching and refresh. Each field has its own default.
   * @default {} (every field at its default)
   * @example { maxEntries: 100, expiryBufferMs: 30_000 }
   */
  cache?: CacheOptions
  /**
   * Retries of transient failures, or `false` for a single attempt (its timeouts still apply).
   * Each field has its own default.
   * @default {} (every field at its default: see {@link DEFAULT_RETRY_POLICY})
   * @example { retries: 5, deadlineMs: 60_000, onRetry: (event) => log.warn(event.error.code) }
   */
  retry?: RetryOptions | false
  /**
   * Called when a background refresh fails. Callers keep the still-valid token meanwhile, and the next
   * call past the refresh point tries again. If it throws (or, async, rejects), nothing changes: the
   * cached token stays, the next refresh still happens, and the process emits one warning with code
   * `OAUTH2CC_HOOK_FAILED` (message `onRefreshError threw; the client carried on`, what it threw as `cause`).
   * @default none: the failure is dropped (the next refresh or the caller past expiry sees it)
   * @example (error, scope) => log.warn({ code: error.code, scope }, 'token refresh failed')
   */
  onRefreshError?: (error: TokenClientError, scope: string) => void
  /**
   * A cache the client shares with other processes (see docs/fleet.md), behind its own in-process
   * cache: a token missing here is looked for there before the token server is asked, a token got
   * from the server is written there, and one process of the fleet fetches each token while the
   * others wait for it. Entries are sealed (AES-256-GCM) under a key derived from `clientSecret`, and
   * named by an HMAC, so the store sees no token, secret, client id or scope. Trouble with the store
   * never fails a call: it is a miss, and the token comes from the server. The mutual-TLS methods
   * derive those keys from `tls.key`; without it (a `dispatcher` of yours presents the certificate),
   * the shared cache needs `encryptionKeys`, from which the entry names are then derived too.
   * @default none: each process caches on its own
   * @example redisTokenCache(await createClient({ url: process.env.REDIS_URL }).connect()) // from 'oauth2-client-credentials/redis'
   */
  sharedCache?: SharedTokenCache
  /**
   * The time source; tests inject one to move time.
   * @default monotonicClock
   * @example { now: () => fakeNow } // a test clock that the test moves
   */
  clock?: Clock
}

/**
 * Options of one {@link TokenClient.getToken} call. The extra parameters replace the client's own.
 * Any other name is refused: the call rejects with a `TypeError` (code `ERR_INVALID_ARG_VALUE`) naming
 * it and, where one is close, the option meant (`audiance`: did you mean `audience`?), as does a value
 * that is not an object (`getToken('a', 5000)`). The scope is the first argument, not an option.
 *
 * @example
 * await client.getToken('orders:read', { audience: 'https://orders.example.com', signal: AbortSignal.timeout(5_000) })
 */
export interface GetTokenOptions extends ExtraParamsOptions {
  /** Skip the cache and get a new token (concurrent calls still share one request). @default false */
  forceRefresh?: boolean
  /**
   * Rejects this call (only this one) with an `ABORTED` error when it fires. Any number of concurrent
   * calls may share one signal: the client keeps one listener on it while any of them waits, and none after.
   * @default none
   * @example AbortSignal.timeout(5_000)
   */
  signal?: AbortSignal
}
