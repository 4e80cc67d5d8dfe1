import { validateHeaderValue } from 'node:http'
import type { Dispatcher } from 'undici'
import { isJwtAuthMethod, isTlsAuthMethod, type AuthMethod, type ClientCredentials } from '../auth/client-authentication.js'
import { checkKeyId, importSigningKey, type HmacSigningAlgorithm } from '../auth/signing-key.js'
import { resolveTlsIdentity, TLS_OPTIONS, type TlsIdentity } from '../auth/tls-identity.js'
import { DEFAULT_REFRESH_POLICY, type RefreshPolicy } from '../cache/refresh-policy.js'
import { monotonicClock, type Clock } from '../clock.js'
import { DPOP_ALGORITHMS, DpopProofKey, type DpopSigningAlgorithm } from '../dpop/proof-key.js'
import { invalidArgument } from '../errors/invalid-argument.js'
import { count, timerDelay, wholeNumber } from '../errors/option-values.js'
import { refuseUnknownOptions } from '../errors/unknown-options.js'
import { parseTokenUrl } from '../http/token-url.js'
import { normalizeScope } from '../request/scope.js'
import { EXTRA_PARAMS_OPTIONS, normalizeParams, type NormalizedParams } from '../request/token-params.js'
import { settingsOf, SharedTokenCache } from '../shared-cache/shared-token-cache.js'
import { DEFAULT_RETRY_POLICY, type RetryOptions, type RetryPolicy } from '../retry/retry-policy.js'
import { DEFAULT_USER_AGENT } from '../version.js'
import type { CacheOptions, DpopOptions, GetTokenOptions, TokenClientOptions } from './token-client-options.js'

/** The defaults of the options that are not part of the retry or refresh policies. */
const DEFAULTS = Object.freeze({
  maxEntries: 1000,
  defaultLifetimeMs: 300_000,
  maxResponseBytes: 1_048_576,
})

// The names each options object knows, checked against its interface: a new option left out is a compile error.
const CLIENT_OPTIONS = {
  tokenUrl: true,
  issuer: true,
  clientId: true,
  clientSecret: true,
  authMethod: true,
  privateKey: true,
  keyId: true,
  signingAlgorithm: true,
  certificate: true,
  tls: true,
  dpop: true,
  basicEncoding: true,
  scope: true,
  ...EXTRA_PARAMS_OPTIONS,
  allowInsecureHttp: true,
  dispatcher: true,
  userAgent: true,
  maxResponseBytes: true,
  cache: true,
  retry: true,
  onRefreshError: true,
  sharedCache: true,
  clock: true,
} as const satisfies Record<keyof TokenClientOptions, true>

const CACHE_OPTIONS = {
  maxEntries: true,
  defaultLifetimeMs: true,
  expiryBufferMs: true,
  refreshRatio: true,
  refreshJitter: true,
} as const satisfies Record<keyof CacheOptions, true>

const DPOP_OPTIONS = {
  privateKey: true,
  signingAlgorithm: true,
  acceptBearer: true,
} as const satisfies Record<keyof DpopOptions, true>

const DPOP_ALIASES = {
  key: 'dpop.privateKey',
  keyPair: 'dpop.privateKey',
  alg: 'dpop.signingAlgorithm',
  algorithm: 'dpop.signingAlgorithm',
  allowBearer: 'dpop.acceptBearer',
  bearerFallback: 'dpop.acceptBearer',
}

const RETRY_OPTIONS = {
  retries: true,
  minDelayMs: true,
  maxDelayMs: true,
  factor: true,
  attemptTimeoutMs: true,
  deadlineMs: true,
  maxRetryAfterMs: true,
  onRetry: true,
} as const satisfies Record<keyof RetryOptions, true>

const GET_TOKEN_OPTIONS = {
  forceRefresh: true,
  signal: true,
  ...EXTRA_PARAMS_OPTIONS,
} as const satisfies Record<keyof GetTokenOptions, true>

// What users of other libraries type (openid-client, simple-oauth2, client-oauth2, p-retry, ky, lru-cache),
// by what they mean here. Close misspellings need no entry: the nearest known name is suggested.
const CLIENT_ALIASES = {
  timeout: 'retry.attemptTimeoutMs',
  timeoutMs: 'retry.attemptTimeoutMs',
  requestTimeout: 'retry.attemptTimeoutMs',
  deadline: 'retry.deadlineMs',
  maxRetries: 'retry.retries',
  scopes: 'scope',
  secret: 'clientSecret',
  id: 'clientId',
  client: 'clientId and clientSecret',
  url: 'tokenUrl',
  endpoint: 'tokenUrl',
  tokenEndpoint: 'tokenUrl',
  accessTokenUri: 'tokenUrl',
  tokenHost: 'tokenUrl',
  issuerUrl: 'issuer',
  discoveryUrl: 'issuer',
  wellKnown: 'issuer',
  authority: 'issuer',
  tokenPath: 'tokenUrl',
  auth: 'tokenUrl',
  tokenEndpointAuthMethod: 'authMethod',
  key: 'privateKey',
  signingKey: 'privateKey',
  privateKeyPem: 'privateKey',
  kid: 'keyId',
  alg: 'signingAlgorithm',
  algorithm: 'signingAlgorithm',
  cert: 'certificate (private_key_jwt) or tls.cert (mutual TLS)',
  x5t: 'certificate',
  mtls: 'tls',
  dPoP: 'dpop',
  dpopKey: 'dpop.privateKey',
  proofKey: 'dpop.privateKey',
  clientCertificate: 'tls.cert',
  tlsClientAuth: "authMethod: 'tls_client_auth' and tls",
  redis: 'sharedCache: redisTokenCache(redis)',
  store: 'sharedCache',
  distributedCache: 'sharedCache',
  agent: 'dispatcher',
  httpAgent: 'dispatcher',
  httpsAgent: 'dispatcher',
  ttl: 'cache.defaultLifetimeMs',
  extraParams: 'params',
  extraParameters: 'params',
  additionalParameters: 'params',
  body: 'params',
}

const CACHE_ALIASES = {
  ttl: 'cache.defaultLifetimeMs',
  maxAge: 'cache.defaultLifetimeMs',
  lifetime: 'cache.defaultLifetimeMs',
  max: 'cache.maxEntries',
  size: 'cache.maxEntries',
  maxSize: 'cache.maxEntries',
  skew: 'cache.expiryBufferMs',
  clockSkew: 'cache.expiryBufferMs',
}

const TLS_ALIASES = {
  certificate: 'tls.cert',
  certificates: 'tls.cert',
  certChain: 'tls.cert',
  privateKey: 'tls.key',
  pfx: 'tls.cert and tls.key (PEM)',
  passphrase: 'tls.key, decrypted',
  caCert: 'tls.ca',
  caCerts: 'tls.ca',
}

const RETRY_ALIASES = {
  maxRetries: 'retry.retries',
  limit: 'retry.retries',
  attempts: 'retry.retries',
  minTimeout: 'retry.minDelayMs',
  maxTimeout: 'retry.maxDelayMs',
  backoffLimit: 'retry.maxDelayMs',
  timeout: 'retry.attemptTimeoutMs',
  onFailedAttempt: 'retry.onRetry',
}

const GET_TOKEN_ALIASES = {
  scope: 'getToken(scope, options)',
  scopes: 'getToken(scope, options)',
  timeout: 'signal: AbortSignal.timeout(ms)',
  abortSignal: 'signal',
  force: 'forceRefresh',
  refresh: 'forceRefresh',
  skipCache: 'forceRefresh',
  noCache: 'forceRefresh',
}

/**
 * Refuses `getToken()` options that are not an object or hold a name `getToken()` does not know.
 * Run on every call with options, never on one without.
 */
export function checkGetTokenOptions(options: unknown): void {
  refuseUnknownOptions(options, GET_TOKEN_OPTIONS, { owner: 'getToken()', aliases: GET_TOKEN_ALIASES })
}

/** With the `issuer` option: what the client needs to discover its token endpoint and method. */
export interface DiscoverySettings {
  /** The issuer, parsed. */
  readonly issuer: URL
  /** The issuer as configured, which the metadata's `issuer` must equal exactly; the assertions' `aud`. */
  readonly configured: string
  readonly allowInsecureHttp: boolean
  /** The `authMethod` option, when given; else the metadata decides. */
  readonly givenMethod: AuthMethod | undefined
  /** The `tls` option alone was given (no secret, no private key): the metadata picks a mutual-TLS method. */
  readonly tlsOnly: boolean
  /**
   * The credentials for the method discovery chose: those of `ResolvedOptions.credentials` when it is
   * their method (a private key is imported once, at construction), else checked now.
   * @throws {TypeError} when the credential does not suit the method (a secret too short for `client_secret_jwt`).
   */
  credentialsFor(method: AuthMethod): ClientCredentials
}

/** The `dpop` option, checked: the proof key, made or imported once, and what was asked of it. */
export interface DpopSettings {
  /** The key made at construction (`dpop: true`, or no `dpop.privateKey`) or imported from `dpop.privateKey`. */
  readonly key: DpopProofKey
  /** `dpop.signingAlgorithm` was given (discovery then checks it rather than choosing). */
  readonly algorithmGiven: boolean
  /** `dpop.acceptBearer`. */
  readonly acceptBearer: boolean
}

/** {@link TokenClientOptions} checked, with every default filled in. */
export interface ResolvedOptions {
  /** The token endpoint; `undefined` until discovered, with `issuer`. */
  tokenUrl: URL | undefined
  /** With `issuer`; `undefined` with `tokenUrl`. */
  discovery: DiscoverySettings | undefined
  /**
   * The credentials. With `issuer` and no `authMethod`, the method is provisional until discovery:
   * `private_key_jwt` with a private key (final), `client_secret_basic` with a secret.
   */
  credentials: ClientCredentials
  defaultScope: readonly string[]
  defaultParams: NormalizedParams
  /** The caller's dispatcher; `undefined` when the client should create and own a pool. */
  dispatcher: Dispatcher | undefined
  /** The `tls` option, checked: the certificate's thumbprint and, with `tls.key`, the TLS context. */
  tls: TlsIdentity | undefined
  /** With the `dpop` option; `undefined` without (or with `dpop: false`). */
  dpop: DpopSettings | undefined
  userAgent: string
  maxResponseBytes: number
  maxEntries: number
  defaultLifetimeMs: number
  refresh: RefreshPolicy
  retry: RetryPolicy
  onRefreshError: TokenClientOptions['onRefreshError']
  sharedCache: SharedTokenCache | undefined
  clock: Clock
}

/** Checks every option, throwing a `TypeError` that names the one that is wrong. */
export function resolveOptions(options: TokenClientOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'must be an object')
  refuseUnknownOptions(options, CLIENT_OPTIONS, {
    owner: 'TokenClient',
    aliases: CLIENT_ALIASES,
    nested: { cache: CACHE_OPTIONS, retry: RETRY_OPTIONS, tls: TLS_OPTIONS, dpop: DPOP_OPTIONS },
  })
  if (options.cache !== undefined) {
    refuseUnknownOptions(options.cache, CACHE_OPTIONS, { owner: 'TokenClient', path: 'cache', aliases: CACHE_ALIASES })
  }
  if (options.retry !== undefined && options.retry !== false) {
    refuseUnknownOptions(options.retry, RETRY_OPTIONS, {
      owner: 'TokenClient',
      path: 'retry',
      expected: 'an object or false',
      aliases: RETRY_ALIASES,
    })
  }
  if (options.tls !== undefined) {
    refuseUnknownOptions(options.tls, TLS_OPTIONS, { owner: 'TokenClient', path: 'tls', aliases: TLS_ALIASES })
  }
  if (options.tokenUrl !== undefined && options.issuer !== undefined) {
    throw invalidArgument('tokenUrl', 'and issuer are mutually exclusive: give the token endpoint, or the issuer to discover it from, not both')
  }
  if (options.tokenUrl === undefined && options.issuer === undefined) {
    throw invalidArgument('tokenUrl', 'must be a string or URL (required, unless issuer is given to discover it)')
  }
  const allowInsecureHttp = booleanOption('allowInsecureHttp', options.allowInsecureHttp, false)
  const issuer = options.issuer === undefined ? undefined : parseIssuer(options.issuer, allowInsecureHttp)
  const tokenUrl = issuer === undefined ? parseTokenUrl(options.tokenUrl, allowInsecureHttp) : undefined
  const clientId = requiredString('clientId', options.clientId)
  const givenMethod = options.authMethod === undefined ? undefined : oneOf('authMethod', options.authMethod, AUTH_METHODS)
  // The tls option alone (no secret, no key) can only mean a mutual-TLS method: discovery picks which;
  // with a token URL, the caller says which, since the server registered the client for one of them.
  const tlsOnly = options.tls !== undefined && options.clientSecret === undefined && options.privateKey === undefined
  if (issuer === undefined && givenMethod === undefined && tlsOnly) {
    throw invalidArgument(
      'authMethod',
      "is required with tls and neither clientSecret nor privateKey: 'tls_client_auth' (a certificate a CA issued) or 'self_signed_tls_client_auth' (a self-signed certificate registered for the client), as the server registered it",
    )
  }
  // Without a method, a discovering client with a key can only use private_key_jwt; with a certificate
  // alone it starts as tls_client_auth, and with a secret as client_secret_basic, until the metadata says otherwise.
  const authMethod =
    givenMethod ??
    (issuer !== undefined && options.privateKey !== undefined ? 'private_key_jwt' : issuer !== undefined && tlsOnly ? 'tls_client_auth' : 'client_secret_basic')
  if (isTlsAuthMethod(authMethod) && options.tls === undefined) {
    throw invalidArgument('tls', `is required with authMethod '${authMethod}': the certificate (and its key) to present (RFC 8705 §2)`)
  }
  if (issuer !== undefined && givenMethod === undefined && options.privateKey === undefined) {
    for (const name of ['keyId', 'signingAlgorithm', 'certificate'] as const) {
      if (options[name] !== undefined) {
        throw invalidArgument(
          name,
          tlsOnly
            ? "is only for authMethod 'private_key_jwt' (with issuer and tls alone, discovery chooses tls_client_auth or self_signed_tls_client_auth, which do not sign)"
            : `needs authMethod with issuer and a clientSecret (discovery would choose client_secret_basic or client_secret_post, which do not sign)`,
        )
      }
    }
  }
  // The hook of issue 16's discovery: the assertions' aud is the issuer when it is known (draft-ietf-oauth-rfc7523bis).
  const audience = issuer === undefined ? (tokenUrl as URL).href : String(options.issuer)
  const { clientSecret, assertion } = resolveCredential(options, authMethod, audience)
  const basicEncoding = oneOf('basicEncoding', options.basicEncoding, ['form', 'raw'] as const)
  if (basicEncoding === 'raw' && clientId.includes(':')) {
    throw invalidArgument('clientId', "cannot contain ':' with basicEncoding 'raw' (Basic would split it)")
  }
  if (options.dispatcher !== undefined && typeof options.dispatcher?.dispatch !== 'function') {
    throw invalidArgument('dispatcher', 'must be an undici Dispatcher')
  }
  if (options.tls !== undefined && (typeof options.tls !== 'object' || options.tls === null)) throw invalidArgument('tls', 'must be an object')
  const tls = options.tls === undefined ? undefined : resolveTlsIdentity(options.tls, options.dispatcher === undefined)
  const credentials: ClientCredentials = {
    clientId,
    clientSecret,
    authMethod,
    basicEncoding,
    ...(assertion !== undefined && { assertion }),
    ...(tls !== undefined && { certificateThumbprint: tls.thumbprint }),
  }
  // What discovery may check again later, copied now: the caller's object may change after construction.
  const given = { clientSecret: options.clientSecret, signingAlgorithm: options.signingAlgorithm, keyId: options.keyId } as TokenClientOptions
  const discovery: DiscoverySettings | undefined =
    issuer === undefined
      ? undefined
      : {
          issuer,
          configured: audience,
          allowInsecureHttp,
          givenMethod,
          tlsOnly,
          credentialsFor: (method) =>
            method === authMethod ? credentials : { ...credentials, authMethod: method, ...resolveCredential(given, method, audience) },
        }
  const cache = options.cache ?? {}
  const retry = options.retry === false ? { ...DEFAULT_RETRY_POLICY, retries: 0 } : { ...DEFAULT_RETRY_POLICY, ...options.retry }
  if (options.onRefreshError !== undefined && typeof options.onRefreshError !== 'function') {
    throw invalidArgument('onRefreshError', 'must be a function')
  }
  if (retry.onRetry !== undefined && typeof retry.onRetry !== 'function') {
    throw invalidArgument('retry.onRetry', 'must be a function')
  }
  if (options.sharedCache !== undefined && !(options.sharedCache instanceof SharedTokenCache)) {
    throw invalidArgument('sharedCache', 'must come from redisTokenCache() or sharedTokenCache()')
  }
  // The mutual-TLS methods have no secret: the shared cache's names and keys derive from tls.key, or,
  // without it, from explicit encryptionKeys (names derived from a public certificate would let
  // whoever reads the store find the entries).
  if (
    options.sharedCache !== undefined &&
    isTlsAuthMethod(authMethod) &&
    tls?.keyMaterial() === undefined &&
    settingsOf(options.sharedCache).encryptionKeys === undefined
  ) {
    throw invalidArgument(
      'sharedCache',
      `needs tls.key with authMethod '${authMethod}' (its entries' names and sealing keys derive from the client's private key), or encryptionKeys of its own: sharedTokenCache(store, { encryptionKeys })`,
    )
  }
  const dpop = resolveDpop(options.dpop)
  if (options.sharedCache !== undefined && dpop?.key.generated === true) {
    throw invalidArgument(
      'sharedCache',
      'needs dpop.privateKey with dpop: a key made in memory cannot be shared: give dpop.privateKey, the same in every process',
    )
  }
  const clock = options.clock ?? monotonicClock
  if (typeof clock?.now !== 'function') throw invalidArgument('clock', 'must have a now() method')
  if ((isJwtAuthMethod(authMethod) || dpop !== undefined) && typeof clock.wallNow === 'function') {
    // It makes every assertion's iat and exp: a clock that is not one fails here, not in the signer.
    const wall = clock.wallNow()
    if (!(Number.isFinite(wall) && wall > 0)) throw invalidArgument('clock', 'wallNow() must return epoch milliseconds (a finite number above 0)')
  }

  const resolved: ResolvedOptions = {
    tokenUrl,
    discovery,
    credentials,
    defaultScope: normalizeScope(options.scope),
    defaultParams: normalizeParams(options),
    dispatcher: options.dispatcher,
    tls,
    dpop,
    userAgent: options.userAgent === undefined ? DEFAULT_USER_AGENT : headerValue('userAgent', options.userAgent),
    maxResponseBytes: count('maxResponseBytes', options.maxResponseBytes, DEFAULTS.maxResponseBytes, 1),
    maxEntries: wholeNumber('cache.maxEntries', cache.maxEntries, DEFAULTS.maxEntries, 1),
    defaultLifetimeMs: count('cache.defaultLifetimeMs', cache.defaultLifetimeMs, DEFAULTS.defaultLifetimeMs, 0),
    refresh: {
      expiryBufferMs: count('cache.expiryBufferMs', cache.expiryBufferMs, DEFAULT_REFRESH_POLICY.expiryBufferMs, 0),
      refreshRatio: share('cache.refreshRatio', cache.refreshRatio, DEFAULT_REFRESH_POLICY.refreshRatio),
      refreshJitter: share('cache.refreshJitter', cache.refreshJitter, DEFAULT_REFRESH_POLICY.refreshJitter),
    },
    retry: {
      retries: wholeNumber('retry.retries', retry.retries, DEFAULT_RETRY_POLICY.retries, 0),
      minDelayMs: timerDelay('retry.minDelayMs', retry.minDelayMs, DEFAULT_RETRY_POLICY.minDelayMs, 0),
      maxDelayMs: timerDelay('retry.maxDelayMs', retry.maxDelayMs, DEFAULT_RETRY_POLICY.maxDelayMs, 0),
      factor: count('retry.factor', retry.factor, DEFAULT_RETRY_POLICY.factor, 1),
      attemptTimeoutMs: timerDelay('retry.attemptTimeoutMs', retry.attemptTimeoutMs, DEFAULT_RETRY_POLICY.attemptTimeoutMs, 1),
      deadlineMs: timerDelay('retry.deadlineMs', retry.deadlineMs, DEFAULT_RETRY_POLICY.deadlineMs, 1),
      // Not a timer: a Retry-After is waited for only when it ends before the deadline, which is one.
      maxRetryAfterMs: count('retry.maxRetryAfterMs', retry.maxRetryAfterMs, DEFAULT_RETRY_POLICY.maxRetryAfterMs, 0),
      onRetry: retry.onRetry,
    },
    onRefreshError: options.onRefreshError,
    sharedCache: options.sharedCache,
    clock,
  }
  if (resolved.retry.minDelayMs > resolved.retry.maxDelayMs) {
    throw invalidArgument('retry.minDelayMs', 'must not be larger than retry.maxDelayMs')
  }
  return resolved
}

/**
 * The `dpop` option: `true` (a key made in memory), an object of {@link DpopOptions}, or
 * `false`/absent for none. A bad member throws a `TypeError` naming it.
 */
function resolveDpop(value: unknown): DpopSettings | undefined {
  if (value === undefined || value === false) return undefined
  if (value === true) return { key: DpopProofKey.generate('ES256'), algorithmGiven: false, acceptBearer: false }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument('dpop', 'must be true or an object ({ privateKey, signingAlgorithm, acceptBearer })')
  }
  refuseUnknownOptions(value, DPOP_OPTIONS, { owner: 'TokenClient', path: 'dpop', aliases: DPOP_ALIASES })
  const { privateKey, signingAlgorithm, acceptBearer } = value as DpopOptions
  if (signingAlgorithm !== undefined && !DPOP_ALGORITHMS.includes(signingAlgorithm)) {
    throw invalidArgument('dpop.signingAlgorithm', `must be one of ${DPOP_ALGORITHMS.map((item) => `'${item}'`).join(', ')}`)
  }
  const accept = booleanOption('dpop.acceptBearer', acceptBearer, false)
  const key =
    privateKey === undefined
      ? DpopProofKey.generate(signingAlgorithm ?? 'ES256')
      : DpopProofKey.import(privateKey, signingAlgorithm as DpopSigningAlgorithm | undefined)
  return { key, algorithmGiven: signingAlgorithm !== undefined, acceptBearer: accept }
}

const AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'client_secret_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
] as const satisfies readonly AuthMethod[]

/**
 * The `issuer` option: a URL held to the `tokenUrl` rules (https unless loopback or
 * `allowInsecureHttp`), and without a query (RFC 8414 §2). Kept as given, since the metadata's
 * `issuer` must equal it exactly.
 */
function parseIssuer(value: unknown, allowInsecureHttp: boolean): URL {
  const url = parseTokenUrl(value, allowInsecureHttp, 'issuer')
  if (url.search !== '' || String(value).includes('?')) throw invalidArgument('issuer', 'must not have a query (RFC 8414 §2)')
  return url
}

const HMAC_KEY_BYTES: Record<HmacSigningAlgorithm, number> = { HS256: 32, HS384: 48, HS512: 64 }

/**
 * The credential of the auth method, checked: the secret, or the signing key imported once. Each
 * option that belongs to another method is refused, naming it, rather than ignored.
 */
function resolveCredential(
  options: TokenClientOptions,
  authMethod: ClientCredentials['authMethod'],
  audience: string,
): Pick<ClientCredentials, 'clientSecret' | 'assertion'> {
  if (isTlsAuthMethod(authMethod)) {
    // RFC 8705 §2: the certificate is the credential; anything else given would leave it in doubt.
    for (const name of ['clientSecret', 'privateKey', 'keyId', 'signingAlgorithm', 'certificate'] as const) {
      if (options[name] !== undefined) {
        throw invalidArgument(
          name,
          `must not be given with authMethod '${authMethod}', which authenticates with the tls certificate and sends no ${name === 'clientSecret' ? 'secret' : 'assertion'}`,
        )
      }
    }
    return { clientSecret: undefined }
  }
  if (!isJwtAuthMethod(authMethod)) {
    for (const name of ['privateKey', 'keyId', 'signingAlgorithm', 'certificate'] as const) {
      if (options[name] !== undefined) {
        throw invalidArgument(name, `is only for authMethod 'private_key_jwt'${name === 'keyId' || name === 'signingAlgorithm' ? " or 'client_secret_jwt'" : ''} (authMethod is '${authMethod}')`)
      }
    }
    return { clientSecret: requiredString('clientSecret', options.clientSecret) }
  }
  if (authMethod === 'private_key_jwt') {
    if (options.clientSecret !== undefined) {
      throw invalidArgument('clientSecret', "must not be given with authMethod 'private_key_jwt', which signs with privateKey and sends no secret")
    }
    const key = importSigningKey(options.privateKey, options)
    return {
      clientSecret: undefined,
      assertion: { key: key.key, algorithm: key.algorithm, keyId: key.keyId, x5tS256: key.x5tS256, audience, thumbprint: key.thumbprint },
    }
  }
  for (const name of ['privateKey', 'certificate'] as const) {
    if (options[name] !== undefined) throw invalidArgument(name, `is only for authMethod 'private_key_jwt' (authMethod is 'client_secret_jwt')`)
  }
  const clientSecret = requiredString('clientSecret', options.clientSecret)
  const algorithm = oneOf('signingAlgorithm', options.signingAlgorithm, ['HS256', 'HS384', 'HS512'] as const)
  const bytes = Buffer.byteLength(clientSecret, 'utf8')
  const needed = HMAC_KEY_BYTES[algorithm]
  if (bytes < needed) {
    throw invalidArgument(
      'clientSecret',
      `is ${bytes} bytes; client_secret_jwt with ${algorithm} needs at least ${needed} (${needed * 8} bits, RFC 7518 §3.2)`,
    )
  }
  const keyId = options.keyId === undefined ? undefined : checkKeyId('keyId', options.keyId)
  return {
    clientSecret,
    assertion: { key: Buffer.from(clientSecret, 'utf8'), algorithm, keyId, x5tS256: undefined, audience },
  }
}

function requiredString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw invalidArgument(name, 'must be a non-empty string')
  return value
}

function headerValue(name: string, value: unknown): string {
  const text = requiredString(name, value)
  try {
    validateHeaderValue(name, text)
  } catch {
    throw invalidArgument(name, 'must be a valid HTTP header value (no control characters)')
  }
  return text
}

function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw invalidArgument(name, 'must be a boolean')
  return value
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (value === undefined) return allowed[0] as T
  if (!allowed.includes(value as T)) {
    throw invalidArgument(name, `must be one of ${allowed.map((item) => `'${item}'`).join(', ')}`)
  }
  return value as T
}

function share(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw invalidArgument(name, 'must be a number from 0 to 1')
  return value
}
