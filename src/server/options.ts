/**
 * The options of the reference server, their defaults, and their validation: every option is
 * checked before anything starts, and a bad one rejects with a `TypeError`
 * (`ERR_INVALID_ARG_VALUE`) that names it and never holds a secret.
 */
import { monotonicClock, type Clock } from '../clock.js'
import { invalidArgument } from '../errors/invalid-argument.js'
import { isLoopbackHost } from '../protocol/loopback.js'
import { clientAssertionRules, type ClientAssertionOptions, type ClientAssertionRules } from './clients/client-assertion.js'
import { ClientRegistry, type ReferenceClient } from './clients/client-registry.js'
import { loadClientsFile } from './clients/clients-file.js'
import { DEFAULT_THROTTLE, FailureThrottle, type ThrottleOptions } from './clients/failure-throttle.js'
import { dpopRules, type DpopOptions, type DpopRules } from './dpop/dpop-options.js'
import { isCountOrInfinity, isNonEmptyString, isPositiveInteger } from './option-checks.js'
import { checkQuirks, type Quirk } from './test-controls/quirks.js'
import { RequestLog, type RequestLogBounds } from './test-controls/request-log.js'
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './tokens/signing-keys.js'
import { isTokenFormat, type TokenFormat } from './tokens/token-format.js'
import { resolveServerTls, type ReferenceServerTlsOptions, type ServerTls } from './tls/server-tls.js'

/** Options of {@link startReferenceServer}. */
export interface ReferenceServerOptions {
  /**
   * The registered clients. Each needs at least one credential: a secret, public keys (`jwks`, for
   * `private_key_jwt`) or a `jwtSecret` (for `client_secret_jwt`). Secrets must be non-empty VSCHAR
   * (%x20-7E) and are hashed at start, the plaintext is not kept. A secret may also be given
   * already hashed (`secretHash`, see `generateClientSecret`).
   *
   * @default []
   * @example
   * { clients: [{ clientId: 'svc', clientSecret: 's3cr:et%', scopes: ['api:read'] }] }
   */
  clients?: ReferenceClient[]
  /**
   * A JSON file of further clients, `{ "clients": [ { "clientId", "secretHash" | "clientSecret",
   * "scopes", ... } ] }`, registered after `clients` (a client id may appear only once overall).
   * Every field of `ReferenceClient` is allowed; `expiresAt` of a secret is an ISO 8601 date-time.
   * With `secretHash` (`sha256:<base64url>`) the file holds no plaintext secret.
   *
   * @default undefined (no file)
   * @example
   * { clientsFile: new URL('./clients.json', import.meta.url).pathname }
   */
  clientsFile?: string
  /**
   * The format of access tokens: `opaque` (32 random bytes, base64url) or `jwt` (RFC 9068, signed
   * with the server's key, verifiable against `jwks_uri`). A client may override it.
   *
   * @default 'opaque'
   * @example
   * { tokenFormat: 'jwt' }
   */
  tokenFormat?: TokenFormat
  /**
   * The algorithm of the signing key the server generates at start (and at each `rotateKeys()`):
   * `ES256` (P-256; signatures in the JOSE r||s form), `RS256` (RSA 2048) or `EdDSA` (Ed25519).
   *
   * @default 'ES256'
   * @example
   * { tokenFormat: 'jwt', signingAlgorithm: 'EdDSA' }
   */
  signingAlgorithm?: SigningAlgorithm
  /**
   * The audience (`aud`) of tokens requested without `resource` (with `resource`, the audience is
   * the resources asked for, RFC 8707). Several values make `aud` an array.
   *
   * @default the issuer
   * @example
   * { audience: 'https://api.example.com' }
   */
  audience?: string | string[]
  /**
   * The interface to listen on. Plain HTTP, so only loopback hosts are allowed unless
   * `allowNonLoopback` is set (RFC 6749 §3.2, checklist item 3). An IPv6 host is bracketed in URLs.
   *
   * @default '127.0.0.1'
   * @example
   * { host: '::1' } // server.issuer === 'http://[::1]:<port>'
   */
  host?: string
  /**
   * Allows a host that is not loopback (such as `0.0.0.0`), which exposes client secrets on the
   * network in cleartext. For containers that must reach the server from outside.
   *
   * @default false
   * @example
   * { host: '0.0.0.0', allowNonLoopback: true }
   */
  allowNonLoopback?: boolean
  /**
   * The issuer identifier to publish instead of the origin the server listens on: the URL other
   * hosts reach it by, say `http://auth:8400` in a container network. It becomes `issuer` and every
   * endpoint URL in the metadata (`token_endpoint`, `jwks_uri`, ...), the `iss` of JWT access tokens
   * and introspection, the default `aud`, and `server.issuer`, `server.tokenUrl` and the other URLs
   * of the server (`server.url` stays the origin listened on). An absolute `http:` or `https:` URL
   * with no path, query, fragment or credentials (the server answers at its root, and discovery
   * needs an issuer without a path to be found at the same place under RFC 8414 and OpenID Connect),
   * written as the URL parser writes an origin: `http://Auth:80/` becomes `http://auth`. The
   * server does not listen on it; make it point at `host` and `port`.
   *
   * @default the origin listened on, `http://<host>:<port>`
   * @example
   * { host: '0.0.0.0', allowNonLoopback: true, port: 8400, issuer: 'http://auth:8400' }
   */
  issuer?: string
  /**
   * The port; 0 picks a free one (read it from `server.port`).
   *
   * @default 0
   * @example
   * { port: 8080 }
   */
  port?: number
  /**
   * The lifetime of issued tokens in seconds (`expires_in`), unless a client sets its own.
   *
   * @default 3600
   * @example
   * { tokenLifetime: 300 }
   */
  tokenLifetime?: number
  /**
   * The largest request body accepted, in bytes; a larger one is answered 413 with a JSON error.
   *
   * @default 16384
   * @example
   * { maxBodyBytes: 1024 }
   */
  maxBodyBytes?: number
  /**
   * Brute-force protection per client id, or `false` to turn it off. Once `maxFailures` failed
   * authentications fall within `windowMs`, every request for that client id, even with the right
   * secret, is answered 429 with `Retry-After` and `{"error":"invalid_client"}` until the window frees.
   *
   * @default { maxFailures: 5, windowMs: 60_000 }
   * @example
   * { throttle: false }
   */
  throttle?: ThrottleOptions | false
  /**
   * How `private_key_jwt` and `client_secret_jwt` assertions are checked: the clock skew allowed,
   * the longest lifetime taken, and how many `jti`s the replay cache keeps (RFC 7523 §3). Each
   * left out takes its default.
   *
   * @default { clockSkewSeconds: 15, maxLifetimeSeconds: 300, maxJtis: 100_000 }
   * @example
   * { clock, clientAssertions: { clockSkewSeconds: 0 } } // exact times on a test clock
   */
  clientAssertions?: ClientAssertionOptions
  /**
   * How DPoP proofs (RFC 9449) are checked at the token endpoint (and its mutual-TLS alias) and at
   * the protected resource: whether nonces are required (`nonce`, `resourceNonce`), how long a
   * nonce lasts, how old a proof may be and the clock skew, how many proof `jti`s the replay cache
   * keeps, and which algorithms are taken. DPoP is accepted with or without this option: a token
   * request with a valid `DPoP` proof gets a DPoP-bound token (`token_type: DPoP`, `cnf.jkt`), and the
   * metadata lists `dpop_signing_alg_values_supported`, with or without this option. Giving it (`{}`
   * is enough) also makes the resource offer a `DPoP` challenge beside the Bearer one to a request
   * without credentials. Each member left out takes its default. See "DPoP" in docs/reference-server.md.
   *
   * @default undefined (DPoP accepted and advertised in the metadata; { nonce: 'off', resourceNonce: false, nonceLifetimeSeconds: 300, proofLifetimeSeconds: 60, clockSkewSeconds: 15, maxJtis: 100_000, algorithms: every asymmetric one })
   * @example
   * { dpop: {} } // the DPoP challenge at the resource too, no nonces
   * { dpop: { nonce: 'required', resourceNonce: true, algorithms: ['ES256', 'EdDSA'] } }
   */
  dpop?: DpopOptions
  /**
   * The time source of throttle windows, secret expiry, token issue and expiry (`expires_in`
   * bookkeeping, JWT `iat`/`exp`, introspection, the protected resource), and of client assertions
   * (their `exp`, `nbf`, `iat` and the `jti` replay cache). Must count epoch
   * milliseconds (secret `expiresAt` dates are compared with it) and never go backwards.
   *
   * @default monotonicClock
   * @example
   * let now = Date.now()
   * const server = await startReferenceServer({ clients, clock: { now: () => now } })
   * now += 61_000 // the throttle window has passed
   */
  clock?: Clock
  /**
   * How many entries `server.log` keeps (the latest ones), a non-negative integer or `Infinity`;
   * 0 turns the log off, for benchmarks. `logBounds` caps what each entry and the whole log hold.
   *
   * @default 10000
   * @example
   * { logLimit: 0 }
   */
  logLimit?: number
  /**
   * What `server.log` keeps of each request and in all: at most `maxParamsPerEntry` parameter
   * values and `maxParamBytesPerEntry` bytes of them per entry (an entry that left some out says how
   * many in `droppedParams`), and entries weighing `maxTotalBytes` in all (past it the oldest go).
   * Each bound is a count or `Infinity`; one left out takes its default. An ordinary request is
   * logged whole; a flood of junk requests cannot take more than about 32 MiB of heap.
   *
   * @default { maxParamsPerEntry: 32, maxParamBytesPerEntry: 4096, maxTotalBytes: 33_554_432 }
   * @example
   * { logBounds: { maxParamsPerEntry: 2_000, maxParamBytesPerEntry: Infinity } } // log a huge form whole
   */
  logBounds?: Partial<RequestLogBounds>
  /**
   * How many issued tokens the server remembers (for introspection, revocation and the resource);
   * past that the oldest are forgotten, and then introspect as inactive. Expired tokens are dropped
   * anyway. Bounds the server's memory under load.
   *
   * @default 100000
   * @example
   * { maxTokens: 1_000_000 }
   */
  maxTokens?: number
  /**
   * Quirk profiles: ways the token endpoint bends the rules as real servers do, combinable (see
   * `Quirk` and `QUIRKS`). A client's own `quirks` replace these for its requests. Introspection,
   * revocation, metadata and the resource stay strict.
   *
   * @default [] (strictly compliant)
   * @example
   * { quirks: ['errors-as-400'] } // every token endpoint error is 400, invalid_client too, as Duende answers
   * { quirks: ['form-response', 'lowercase-bearer', 'no-expires-in'] }
   */
  quirks?: Quirk[]
  /**
   * HTTPS, with mutual TLS (RFC 8705): `true` makes a throwaway CA (`server.certificateAuthority`),
   * a server certificate it signs for 127.0.0.1, ::1, localhost and the host, and takes client
   * certificates it signs; or give the server's certificate and key, and the CAs client certificates
   * must chain to (`clientCa`). The server asks every client for a certificate and never requires
   * one: it looks at it at the mutual-TLS aliases (`/mtls/token`, `/mtls/introspect`,
   * `/mtls/revoke`, advertised as `mtls_endpoint_aliases`) to authenticate (`tls_client_auth`,
   * `self_signed_tls_client_auth`) and to bind tokens to it (`cnf.x5t#S256`), and at `/resource` to
   * check that binding. See "Mutual TLS" in docs/reference-server.md.
   *
   * @default undefined (plain HTTP)
   * @example
   * const server = await startReferenceServer({ tls: true, clients: [{ clientId: 'svc', tlsClientAuth: { subjectDn: 'CN=svc' }, scopes: [] }] })
   * const identity = server.certificateAuthority!.issue({ subject: { commonName: 'svc' }, usage: 'client' })
   */
  tls?: true | ReferenceServerTlsOptions
}

const DEFAULT_HOST = '127.0.0.1'
const DEFAULT_TOKEN_LIFETIME = 3600
const DEFAULT_MAX_BODY_BYTES = 16 * 1024
const DEFAULT_LOG_LIMIT = 10_000
const DEFAULT_MAX_TOKENS = 100_000
const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = 'ES256'

/** The options checked, with their defaults, and the parts of the server built from them. */
export interface ResolvedOptions {
  readonly host: string
  readonly port: number
  /** The `issuer` option as an origin; `undefined` means the origin listened on. */
  readonly issuer: string | undefined
  readonly signingAlgorithm: SigningAlgorithm
  readonly registry: ClientRegistry
  readonly throttle: FailureThrottle | undefined
  readonly clientAssertions: ClientAssertionRules
  readonly dpop: DpopRules
  readonly clock: Clock
  /** Seconds. */
  readonly tokenLifetime: number
  readonly tokenFormat: TokenFormat
  /** The `aud` of tokens issued without `resource`; `undefined` means the issuer. */
  readonly audience: readonly string[] | undefined
  readonly maxBodyBytes: number
  readonly maxTokens: number
  readonly quirks: readonly Quirk[]
  readonly log: RequestLog
  /** HTTPS settings; `undefined` for plain HTTP. */
  readonly tls: ServerTls | undefined
}

/**
 * Checks the options, fills in the defaults, and builds what they describe (the client registry,
 * the throttle, the request log). Rejects with a `TypeError` (`ERR_INVALID_ARG_VALUE`) naming the
 * first bad option, or with the file system's error for an unreadable `clientsFile`.
 *
 * @example
 * const resolved = await resolveOptions({ clients: [{ clientId: 'svc', clientSecret: 'x', scopes: [] }] })
 * resolved.host // '127.0.0.1'
 */
export async function resolveOptions(options: ReferenceServerOptions): Promise<ResolvedOptions> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'must be an object')
  const {
    clients = [],
    clientsFile,
    tokenFormat = 'opaque',
    signingAlgorithm = DEFAULT_SIGNING_ALGORITHM,
    audience,
    host = DEFAULT_HOST,
    allowNonLoopback = false,
    issuer,
    port = 0,
    tokenLifetime = DEFAULT_TOKEN_LIFETIME,
    maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
    throttle = DEFAULT_THROTTLE,
    clientAssertions,
    dpop,
    clock = monotonicClock,
    logLimit = DEFAULT_LOG_LIMIT,
    logBounds,
    maxTokens = DEFAULT_MAX_TOKENS,
    quirks = [],
    tls,
  } = options
  if (!isNonEmptyString(host)) throw invalidArgument('options.host', 'must be a non-empty string')
  if (!allowNonLoopback && !isLoopbackHost(host)) {
    throw invalidArgument('options.host', 'must be a loopback address for plain HTTP unless allowNonLoopback is set')
  }
  const publishedIssuer = issuer === undefined ? undefined : issuerOrigin(issuer)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalidArgument('options.port', 'must be an integer from 0 to 65535')
  }
  if (!isPositiveInteger(tokenLifetime)) {
    throw invalidArgument('options.tokenLifetime', 'must be a positive integer number of seconds')
  }
  if (!isPositiveInteger(maxBodyBytes)) throw invalidArgument('options.maxBodyBytes', 'must be a positive integer')
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
    throw invalidArgument('options.clock', 'must have a now() method')
  }
  if (!isPositiveInteger(maxTokens)) throw invalidArgument('options.maxTokens', 'must be a positive integer')
  if (!isCountOrInfinity(logLimit)) throw invalidArgument('options.logLimit', 'must be a non-negative integer or Infinity')
  // Validates logBounds before any key is generated.
  const log = new RequestLog(logLimit, logBounds)
  if (!isTokenFormat(tokenFormat)) throw invalidArgument('options.tokenFormat', "must be 'opaque' or 'jwt'")
  if (!SIGNING_ALGORITHMS.includes(signingAlgorithm)) {
    throw invalidArgument('options.signingAlgorithm', "must be 'ES256', 'RS256' or 'EdDSA'")
  }
  const audiences = audience === undefined ? undefined : typeof audience === 'string' ? [audience] : audience
  if (audiences !== undefined && (!Array.isArray(audiences) || audiences.length === 0 || !audiences.every(isNonEmptyString))) {
    throw invalidArgument('options.audience', 'must be a non-empty string or a non-empty array of them')
  }
  if (clientsFile !== undefined && !isNonEmptyString(clientsFile)) {
    throw invalidArgument('options.clientsFile', 'must be a file path')
  }
  const serverQuirks = checkQuirks(quirks, 'options.quirks')
  const assertionRules = clientAssertionRules(clientAssertions, clock)
  const dpopChecks = dpopRules(dpop, clock)
  const registry = new ClientRegistry(clients, clientsFile === undefined ? [] : await loadClientsFile(clientsFile))
  const serverTls = resolveServerTls(tls, host, publishedIssuer)
  return {
    host,
    port,
    issuer: publishedIssuer,
    signingAlgorithm,
    registry,
    throttle: throttle === false ? undefined : new FailureThrottle(throttle, clock),
    clientAssertions: assertionRules,
    dpop: dpopChecks,
    clock,
    tokenLifetime,
    tokenFormat,
    audience: audiences === undefined ? undefined : Object.freeze([...new Set(audiences)]),
    maxBodyBytes,
    maxTokens,
    quirks: serverQuirks,
    log,
    tls: serverTls,
  }
}

/**
 * The `issuer` option as the issuer identifier: an http(s) origin as the URL parser writes it
 * (lower-case host, no default port, no trailing slash), or a `TypeError` naming the option.
 */
function issuerOrigin(issuer: unknown): string {
  const problem = 'must be an absolute http: or https: URL with no path, query, fragment or credentials, such as http://auth:8400'
  if (typeof issuer !== 'string' || !URL.canParse(issuer)) throw invalidArgument('options.issuer', problem)
  const url = new URL(issuer)
  // '?' and '#' are checked in the text: the parser drops an empty query or fragment.
  const bare = url.pathname === '/' && !issuer.includes('?') && !issuer.includes('#') && url.username === '' && url.password === ''
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !bare) throw invalidArgument('options.issuer', problem)
  return url.origin
}
