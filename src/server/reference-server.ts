/**
 * The reference token server: a minimal, strictly compliant OAuth 2.0 client-credentials
 * authorization server on `node:http`, for tests and benchmarks. This file is its lifecycle: start
 * (options in `options.ts`), the routes table (endpoints in `endpoints/`), and close.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { introspectionEndpoint } from './endpoints/introspection.js'
import { jwksEndpoint } from './endpoints/jwks.js'
import { metadataEndpoint } from './endpoints/metadata.js'
import {
  INTROSPECTION_PATH,
  JWKS_PATH,
  MTLS_INTROSPECTION_PATH,
  MTLS_REVOCATION_PATH,
  MTLS_TOKEN_PATH,
  OAUTH_METADATA_PATH,
  OPENID_CONFIGURATION_PATH,
  RESOURCE_PATH,
  REVOCATION_PATH,
  TOKEN_PATH,
} from './endpoints/paths.js'
import { protectedResourceEndpoint } from './endpoints/protected-resource.js'
import { revocationEndpoint } from './endpoints/revocation.js'
import { tokenEndpoint } from './endpoints/token.js'
import { runEndpoint, type Endpoint } from './exchange/endpoint.js'
import { createExchange } from './exchange/exchange.js'
import { ServerError } from './exchange/server-error.js'
import type { ServerContext } from './exchange/server-context.js'
import type { DpopControls, NonceRotation } from './dpop/dpop-nonces.js'
import type { DpopRules } from './dpop/dpop-options.js'
import { resolveOptions, type ReferenceServerOptions, type ResolvedOptions } from './options.js'
import { FaultScript } from './test-controls/faults.js'
import type { RequestLog } from './test-controls/request-log.js'
import { SigningKeys, type JwkSet } from './tokens/signing-keys.js'
import { TokenStore } from './tokens/token-store.js'
import type { TestCertificateAuthority } from './tls/test-certificates.js'

export type { ReferenceServerOptions } from './options.js'

/** A running reference server; see {@link startReferenceServer}. */
export interface ReferenceServer {
  /** The token endpoint, `<issuer>/token`, e.g. `http://127.0.0.1:41234/token`. */
  readonly tokenUrl: string
  /**
   * With `tls`: the token endpoint's mutual-TLS alias, `<issuer>/mtls/token` (RFC 8705 §5), where
   * the server authenticates clients by certificate and binds tokens to it; `undefined` without `tls`.
   *
   * @example
   * new TokenClient({ tokenUrl: server.mtlsTokenUrl!, clientId: 'svc', authMethod: 'tls_client_auth', tls: { ...identity, ca } })
   */
  readonly mtlsTokenUrl: string | undefined
  /**
   * With `tls: true`: the throwaway CA the server made at start. It signed the server's certificate
   * (trust it: `ca: server.certificateAuthority.cert`) and issues client certificates the server
   * takes for `tls_client_auth`. `undefined` otherwise.
   *
   * @example
   * const identity = server.certificateAuthority!.issue({ subject: { commonName: 'svc' }, usage: 'client' })
   */
  readonly certificateAuthority: TestCertificateAuthority | undefined
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
  /**
   * DPoP (RFC 9449): the algorithms taken, the current nonces of the token endpoint and of the
   * resource, and their rotation, for tests that sign proofs themselves or change a nonce mid-run.
   *
   * @example
   * const nonce = server.dpop.nonce
   * server.dpop.rotateNonce() // the old nonce is still taken, once the new one is current
   */
  readonly dpop: DpopControls
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

/** Every path the server serves, and what serves it. */
const ROUTES: ReadonlyMap<string, Endpoint> = new Map<string, Endpoint>([
  [TOKEN_PATH, tokenEndpoint],
  [INTROSPECTION_PATH, introspectionEndpoint],
  [REVOCATION_PATH, revocationEndpoint],
  [RESOURCE_PATH, protectedResourceEndpoint],
  [JWKS_PATH, jwksEndpoint],
  [OAUTH_METADATA_PATH, metadataEndpoint],
  [OPENID_CONFIGURATION_PATH, metadataEndpoint],
])

/** Over TLS, the mutual-TLS aliases as well (RFC 8705 §5). */
const TLS_ROUTES: ReadonlyMap<string, Endpoint> = new Map<string, Endpoint>([
  ...ROUTES,
  [MTLS_TOKEN_PATH, tokenEndpoint],
  [MTLS_INTROSPECTION_PATH, introspectionEndpoint],
  [MTLS_REVOCATION_PATH, revocationEndpoint],
])

const NOT_FOUND = new ServerError(404, 'not_found', 'no such endpoint, the token endpoint is /token')

/** Every other path. */
const UNKNOWN_PATH: Endpoint = [
  () => {
    throw NOT_FOUND
  },
]

const CONNECT_BODY = '{"error":"invalid_request","error_description":"this server accepts only POST and GET"}'
const CONNECT_REFUSED =
  'HTTP/1.1 405 Method Not Allowed\r\nAllow: POST\r\nContent-Type: application/json\r\n' +
  'Cache-Control: no-store\r\nPragma: no-cache\r\nConnection: close\r\n' +
  `Content-Length: ${Buffer.byteLength(CONNECT_BODY)}\r\n\r\n${CONNECT_BODY}`

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
  const resolved = await resolveOptions(options)
  const instance = new ReferenceTokenServer(resolved, await SigningKeys.generate(resolved.signingAlgorithm))
  await instance.listen(resolved.port)
  return instance
}

class ReferenceTokenServer implements ReferenceServer {
  tokenUrl = ''
  mtlsTokenUrl: string | undefined = undefined
  readonly certificateAuthority: TestCertificateAuthority | undefined
  issuer = ''
  url = ''
  jwksUri = ''
  introspectionUrl = ''
  revocationUrl = ''
  resourceUrl = ''
  port = 0
  readonly log: RequestLog
  readonly faults = new FaultScript()
  readonly dpop: DpopControls
  readonly tokens: TokenStore
  readonly #host: string
  readonly #publishedIssuer: string | undefined
  readonly #server: Server
  readonly #routes: ReadonlyMap<string, Endpoint>
  readonly #scheme: 'http' | 'https'
  readonly #context: ServerContext
  readonly #keys: SigningKeys
  readonly #closing = new AbortController()
  #closed: Promise<void> | undefined
  #issuerAudience: readonly string[] = Object.freeze([''])

  constructor(options: ResolvedOptions, keys: SigningKeys) {
    this.#host = options.host
    this.#publishedIssuer = options.issuer
    this.log = options.log
    this.tokens = new TokenStore(options.maxTokens)
    this.#keys = keys
    this.dpop = dpopControls(options.dpop)
    const { tls } = options
    this.certificateAuthority = tls?.authority
    this.#routes = tls === undefined ? ROUTES : TLS_ROUTES
    this.#scheme = tls === undefined ? 'http' : 'https'
    // The issuer is known only once the server listens; endpoints read it per request.
    const issuer = (): string => this.issuer
    const tokenUrl = (): string => this.tokenUrl
    const issuerAudience = (): readonly string[] => this.#issuerAudience
    const { audience } = options
    this.#context = {
      registry: options.registry,
      throttle: options.throttle,
      clientAssertions: options.clientAssertions,
      dpop: options.dpop,
      tokens: this.tokens,
      keys,
      clock: options.clock,
      tokenLifetime: options.tokenLifetime,
      tokenFormat: options.tokenFormat,
      maxBodyBytes: options.maxBodyBytes,
      get issuer() {
        return issuer()
      },
      get tokenUrl() {
        return tokenUrl()
      },
      get defaultAudience() {
        return audience ?? issuerAudience()
      },
      signal: this.#closing.signal,
      faults: this.faults,
      quirks: options.quirks,
      log: this.log,
      mutualTls: tls !== undefined,
    }
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => this.#onRequest(req, res)
    // Over TLS every client is asked for a certificate and none is required, nor its chain: the
    // endpoints decide what a certificate (or its absence) means (peer-certificate.ts).
    this.#server =
      tls === undefined
        ? createServer(onRequest)
        : createHttpsServer({ cert: tls.cert, key: tls.key, ca: [...tls.clientCa], requestCert: true, rejectUnauthorized: false }, onRequest)
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
        this.url = `${this.#scheme}://${this.#host.includes(':') ? `[${this.#host}]` : this.#host}:${this.port}`
        this.issuer = this.#publishedIssuer ?? this.url
        this.#issuerAudience = Object.freeze([this.issuer])
        this.tokenUrl = this.issuer + TOKEN_PATH
        if (this.#scheme === 'https') this.mtlsTokenUrl = this.issuer + MTLS_TOKEN_PATH
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
    const exchange = createExchange(this.#context, req, res)
    void runEndpoint(this.#routes.get(exchange.path) ?? UNKNOWN_PATH, exchange)
  }
}

/** `server.dpop`: a view of the server's DPoP rules and nonces. */
function dpopControls(rules: DpopRules): DpopControls {
  const { tokenNonces, resourceNonces } = rules
  return Object.freeze({
    algorithms: rules.algorithms,
    get nonce() {
      return tokenNonces.current()
    },
    get resourceNonce() {
      return resourceNonces.current()
    },
    rotateNonce: (options?: NonceRotation) => tokenNonces.rotate(options),
    rotateResourceNonce: (options?: NonceRotation) => resourceNonces.rotate(options),
  })
}
