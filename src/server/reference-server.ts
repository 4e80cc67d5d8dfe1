/**
 * The reference token server: a minimal, strictly compliant OAuth 2.0 client-credentials
 * authorization server on `node:http`, for tests and benchmarks. It serves the token endpoint,
 * metadata, a JWK Set, introspection, revocation and a protected resource; every other path is 404.
 */
import { isLoopbackHost } from '../protocol/loopback.js'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { monotonicClock, type Clock } from '../clock.js'
import { invalidArgument } from '../errors/invalid-argument.js'
import { ClientRegistry, isPositiveInteger, type ReferenceClient } from './client-registry.js'
import { loadClientsFile } from './clients-file.js'
import { handleJwksRequest, handleMetadataRequest } from './discovery.js'
import { DEFAULT_THROTTLE, FailureThrottle, type ThrottleOptions } from './failure-throttle.js'
import { FaultScript } from './faults.js'
import { handleIntrospectionRequest } from './introspection-endpoint.js'
import {
  INTROSPECTION_PATH,
  JWKS_PATH,
  OAUTH_METADATA_PATH,
  OPENID_CONFIGURATION_PATH,
  RESOURCE_PATH,
  REVOCATION_PATH,
  TOKEN_PATH,
} from './paths.js'
import { handleResourceRequest } from './protected-resource.js'
import { checkQuirks, type Quirk } from './quirks.js'
import { RequestLog, appendEntry, isCountOrInfinity, type RequestLogBounds } from './request-log.js'
import { sendError } from './responses.js'
import { handleRevocationRequest } from './revocation-endpoint.js'
import type { EndpointHandler, PendingEntry, ServerContext } from './server-context.js'
import { SIGNING_ALGORITHMS, SigningKeys, type JwkSet, type SigningAlgorithm } from './signing-keys.js'
import { handleTokenRequest } from './token-endpoint.js'
import { isTokenFormat, type TokenFormat } from './token-format.js'
import { TokenStore } from './token-store.js'

/** Options of {@link startReferenceServer}. */
export interface ReferenceServerOptions {
  /**
   * The registered clients. Each needs at least one secret; secrets must be non-empty VSCHAR
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
   * The time source of throttle windows, secret expiry, token issue and expiry (`expires_in`
   * bookkeeping, JWT `iat`/`exp`, introspection, the protected resource). Must count epoch
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
}

/** A running reference server; see {@link startReferenceServer}. */
export interface ReferenceServer {
  /** The token endpoint, `<issuer>/token`, e.g. `http://127.0.0.1:41234/token`. */
  readonly tokenUrl: string
  /**
   * The issuer identifier: the origin, e.g. `http://127.0.0.1:41234` or `http://[::1]:41234`, or
   * the `issuer` option; identical to `issuer` in the metadata and to the `iss` of JWT access tokens.
   */
  readonly issuer: string
  /**
   * The JWK Set of the signing keys (`jwks_uri` in the metadata), e.g. `http://127.0.0.1:41234/jwks`.
   *
   * @example
   * const jwks = createRemoteJWKSet(new URL(server.jwksUri)) // jose, in a test
   */
  readonly jwksUri: string
  /**
   * The introspection endpoint (RFC 7662), e.g. `http://127.0.0.1:41234/introspect`.
   *
   * @example
   * const body = new URLSearchParams({ token })
   * await fetch(server.introspectionUrl, { method: 'POST', headers: { authorization }, body })
   */
  readonly introspectionUrl: string
  /**
   * The revocation endpoint (RFC 7009), e.g. `http://127.0.0.1:41234/revoke`.
   *
   * @example
   * const body = new URLSearchParams({ token })
   * await fetch(server.revocationUrl, { method: 'POST', headers: { authorization }, body })
   */
  readonly revocationUrl: string
  /**
   * The protected resource (RFC 6750), e.g. `http://127.0.0.1:41234/resource`; add `?scope=api:write`
   * to require a scope.
   *
   * @example
   * await fetch(server.resourceUrl, { headers: { authorization: `Bearer ${accessToken}` } })
   */
  readonly resourceUrl: string
  /**
   * The published signing keys as a JWK Set (what `GET /jwks` answers), current key first.
   *
   * @example
   * const jwks = createLocalJWKSet(server.jwks) // jose, in a test
   */
  readonly jwks: JwkSet
  /**
   * Generates a new signing key and makes it current; resolves with its `kid`. The previous key
   * stays published, so tokens it signed still verify, until the next rotation drops it; from then
   * on introspection and the resource treat tokens it signed as inactive too.
   *
   * @example
   * const kid = await server.rotateKeys()
   */
  rotateKeys(): Promise<string>
  /**
   * The origin the server listens on, e.g. `http://127.0.0.1:41234`: the same as `issuer` unless
   * the `issuer` option publishes another.
   */
  readonly url: string
  /** The port listened on. */
  readonly port: number
  /** Every request the server answered; never holds a secret. */
  readonly log: RequestLog
  /** Scripted faults for coming token requests. */
  readonly faults: FaultScript
  /** The tokens issued and not yet expired. */
  readonly tokens: TokenStore
  /**
   * Stops listening and ends every open connection, keep-alive ones and requests held by a
   * `delay` fault included. Calling it again returns the same promise.
   *
   * @example
   * after(() => server.close())
   */
  close(): Promise<void>
}

const DEFAULT_HOST = '127.0.0.1'
const DEFAULT_TOKEN_LIFETIME = 3600
const DEFAULT_MAX_BODY_BYTES = 16 * 1024
const DEFAULT_LOG_LIMIT = 10_000
const DEFAULT_MAX_TOKENS = 100_000
const CONNECT_BODY = '{"error":"invalid_request","error_description":"this server accepts only POST and GET"}'
const CONNECT_REFUSED =
  'HTTP/1.1 405 Method Not Allowed\r\nAllow: POST\r\nContent-Type: application/json\r\n' +
  'Cache-Control: no-store\r\nPragma: no-cache\r\nConnection: close\r\n' +
  `Content-Length: ${Buffer.byteLength(CONNECT_BODY)}\r\n\r\n${CONNECT_BODY}`
const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = 'ES256'

/**
 * Starts the reference token server and resolves once it listens. Options are validated first: a
 * bad one rejects with a `TypeError` (`ERR_INVALID_ARG_VALUE`) that names it and never holds a secret.
 *
 * @example
 * const server = await startReferenceServer({
 *   clients: [{ clientId: 'svc', clientSecret: 's3cr:et%', scopes: ['api:read'] }],
 * })
 * const response = await fetch(server.tokenUrl, {
 *   method: 'POST',
 *   headers: { authorization: 'Basic ' + btoa('svc:s3cr%3Aet%25') },
 *   body: new URLSearchParams({ grant_type: 'client_credentials' }),
 * })
 * await server.close()
 */
export async function startReferenceServer(options: ReferenceServerOptions): Promise<ReferenceServer> {
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
    clock = monotonicClock,
    logLimit = DEFAULT_LOG_LIMIT,
    logBounds,
    maxTokens = DEFAULT_MAX_TOKENS,
    quirks = [],
  } = options
  if (typeof host !== 'string' || host === '') throw invalidArgument('options.host', 'must be a non-empty string')
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
  const isAudience = (value: unknown): boolean => typeof value === 'string' && value !== ''
  if (audiences !== undefined && (!Array.isArray(audiences) || audiences.length === 0 || !audiences.every(isAudience))) {
    throw invalidArgument('options.audience', 'must be a non-empty string or a non-empty array of them')
  }
  if (clientsFile !== undefined && (typeof clientsFile !== 'string' || clientsFile === '')) {
    throw invalidArgument('options.clientsFile', 'must be a file path')
  }
  const serverQuirks = checkQuirks(quirks, 'options.quirks')
  const registry = new ClientRegistry(clients, clientsFile === undefined ? [] : await loadClientsFile(clientsFile))
  const failureThrottle = throttle === false ? undefined : new FailureThrottle(throttle, clock)

  const instance = new ReferenceTokenServer(
    host,
    publishedIssuer,
    {
      registry,
      throttle: failureThrottle,
      tokens: new TokenStore(maxTokens),
      faults: new FaultScript(),
      keys: await SigningKeys.generate(signingAlgorithm),
      clock,
      tokenLifetime,
      tokenFormat,
      audience: audiences === undefined ? undefined : Object.freeze([...new Set(audiences)]),
      maxBodyBytes,
      quirks: serverQuirks,
    },
    log,
  )
  await instance.listen(port)
  return instance
}

type ContextSettings = Omit<ServerContext, 'signal' | 'issuer' | 'defaultAudience'>

const ROUTES: ReadonlyMap<string, EndpointHandler> = new Map<string, EndpointHandler>([
  [TOKEN_PATH, handleTokenRequest],
  [INTROSPECTION_PATH, handleIntrospectionRequest],
  [REVOCATION_PATH, handleRevocationRequest],
  [RESOURCE_PATH, handleResourceRequest],
  [JWKS_PATH, handleJwksRequest],
  [OAUTH_METADATA_PATH, handleMetadataRequest],
  [OPENID_CONFIGURATION_PATH, handleMetadataRequest],
])

class ReferenceTokenServer implements ReferenceServer {
  tokenUrl = ''
  issuer = ''
  url = ''
  jwksUri = ''
  introspectionUrl = ''
  revocationUrl = ''
  resourceUrl = ''
  port = 0
  readonly log: RequestLog
  readonly faults: FaultScript
  readonly tokens: TokenStore
  readonly #host: string
  readonly #publishedIssuer: string | undefined
  readonly #server: Server
  readonly #context: ServerContext
  readonly #keys: SigningKeys
  readonly #closing = new AbortController()
  #closed: Promise<void> | undefined
  #issuerAudience: readonly string[] = Object.freeze([''])

  constructor(host: string, publishedIssuer: string | undefined, settings: ContextSettings, log: RequestLog) {
    this.#host = host
    this.#publishedIssuer = publishedIssuer
    // The issuer is known only once the server listens; endpoints read it per request.
    const issuer = (): string => this.issuer
    const issuerAudience = (): readonly string[] => this.#issuerAudience
    this.#context = {
      ...settings,
      signal: this.#closing.signal,
      get issuer() {
        return issuer()
      },
      get defaultAudience() {
        return settings.audience ?? issuerAudience()
      },
    }
    this.log = log
    this.faults = settings.faults
    this.tokens = settings.tokens
    this.#keys = settings.keys
    this.#server = createServer((req, res) => this.#onRequest(req, res))
    // Node hands CONNECT to a 'connect' listener and, without one, drops the socket unanswered.
    this.#server.on('connect', (_req, socket: Socket) => socket.end(CONNECT_REFUSED))
  }

  get jwks(): JwkSet {
    return this.#keys.jwks()
  }

  rotateKeys(): Promise<string> {
    return this.#keys.rotate()
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = this.#server
      const onError = (error: Error): void => reject(error)
      server.once('error', onError)
      server.listen({ host: this.#host, port }, () => {
        server.off('error', onError)
        this.port = (server.address() as AddressInfo).port
        this.url = `http://${this.#host.includes(':') ? `[${this.#host}]` : this.#host}:${this.port}`
        this.issuer = this.#publishedIssuer ?? this.url
        this.#issuerAudience = Object.freeze([this.issuer])
        this.tokenUrl = this.issuer + TOKEN_PATH
        this.jwksUri = this.issuer + JWKS_PATH
        this.introspectionUrl = this.issuer + INTROSPECTION_PATH
        this.revocationUrl = this.issuer + REVOCATION_PATH
        this.resourceUrl = this.issuer + RESOURCE_PATH
        resolve()
      })
    })
  }

  close(): Promise<void> {
    this.#closed ??= new Promise((resolve, reject) => {
      this.#closing.abort()
      this.#server.close((error) => (error ? reject(error) : resolve()))
      this.#server.closeAllConnections()
    })
    return this.#closed
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/'
    const question = url.indexOf('?')
    const path = question === -1 ? url : url.slice(0, question)
    const entry: PendingEntry = {
      at: this.#context.clock.now(),
      method: req.method ?? '',
      path,
      status: 0,
      authMethod: 'none',
      params: {},
    }
    const handler = ROUTES.get(path)
    if (handler === undefined) {
      entry.status = 404
      entry.error = 'not_found'
      sendError(res, 404, 'not_found', 'no such endpoint, the token endpoint is /token')
      this.log[appendEntry](entry)
      return
    }
    let logged = false
    const logNow = (): void => {
      if (logged) return
      logged = true
      this.log[appendEntry](entry)
    }
    const query = question === -1 ? undefined : url.slice(question + 1)
    handler(this.#context, req, res, entry, query, logNow).then(
      () => logNow(),
      () => {
        // The client went away mid-body (nobody to answer), or a bug (answer if we still can).
        if (!res.headersSent && !res.destroyed && !req.socket.destroyed) {
          entry.status = 500
          entry.error = 'server_error'
          sendError(res, 500, 'server_error', 'the request could not be processed')
        }
        logNow()
      },
    )
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
