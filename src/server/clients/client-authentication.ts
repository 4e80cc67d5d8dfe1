/**
 * Client authentication (RFC 6749 §2.3) at the token, introspection and revocation endpoints, as
 * three steps: {@link identifyClient} finds out how the request authenticates and who it claims to
 * be, {@link rejectUnusableCredentials} refuses credentials that cannot be checked at all, and
 * {@link verifyClient} checks them, throttled per client id (§2.3.1 brute-force protection).
 *
 * The methods are a table, {@link CLIENT_AUTH_METHODS}: each is one file in `./methods/` that says
 * where its credentials travel, how to read them and how to verify them. Adding a method (mTLS...)
 * is one file there and one line in the table (and its name in {@link ReferenceAuthMethod}, which
 * the compiler asks for); the rules between methods (one method per request, one Authorization
 * header, a body `client_id` naming the same client) are written once, here. A method verifies
 * synchronously (secrets) or asynchronously (JWT assertions, through jose), and says why it
 * refused: the `invalid_client` it returns is what the client is answered.
 */
import type { Exchange } from '../exchange/exchange.js'
import type { Step } from '../exchange/endpoint.js'
import { firstValue, type FormParams } from '../exchange/form-body.js'
import { hasRepeatedAuthorization } from '../exchange/request-headers.js'
import { ServerError } from '../exchange/server-error.js'
import type { ServerContext } from '../exchange/server-context.js'
import type { AssertionHeader } from './client-assertion.js'
import type { RegisteredClient } from './client-registry.js'
import { clientSecretBasic, type RawBasicDecider } from './methods/client-secret-basic.js'
import { clientSecretJwt } from './methods/client-secret-jwt.js'
import { clientSecretPost } from './methods/client-secret-post.js'
import { none } from './methods/none.js'
import { privateKeyJwt } from './methods/private-key-jwt.js'
import { selfSignedTlsClientAuth } from './methods/self-signed-tls-client-auth.js'
import { tlsClientAuth } from './methods/tls-client-auth.js'
import { MTLS_PATH_PREFIX } from '../endpoints/paths.js'
import { peerCertificate, type PeerCertificate } from '../tls/peer-certificate.js'

/**
 * How a request to the reference server tried to authenticate, as `server.log` records it: a client
 * authentication method, `none` when it sent no credentials (or credentials of a scheme the server
 * does not take), `multiple` when it sent more than one set.
 *
 * @example
 * const [entry] = server.log.tokenRequests()
 * const method: ReferenceAuthMethod | 'bearer' | undefined = entry?.authMethod
 */
export type ReferenceAuthMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'client_secret_jwt'
  | 'private_key_jwt'
  | 'tls_client_auth'
  | 'self_signed_tls_client_auth'
  | 'none'
  | 'multiple'

/** What a method reads its credentials from. */
export interface CredentialsRequest {
  /** The `Authorization` header, if any. */
  readonly authorization: string | undefined
  /** The form body. */
  readonly params: FormParams
  /** When Basic credentials are taken without form-decoding (the `raw-basic` quirk of the token endpoint). */
  readonly rawBasic: RawBasicDecider | undefined
  /**
   * The client certificate of the connection, at the mutual-TLS endpoint aliases only (`/mtls/token`...);
   * `undefined` everywhere else, and when the client presented none.
   */
  readonly certificate?: PeerCertificate | undefined
}

/** What a method read from a request: who the caller claims to be and what it presents as proof. */
export type MethodClaim =
  | {
      readonly ok: true
      readonly clientId: string | undefined
      /** The secret (an assertion, for JWT methods): unverified. Never log it. */
      readonly credential: string | undefined
      readonly basicFormEncoded: boolean | undefined
      /** JWT methods: the assertion header's `alg` and `kid`, for the log. */
      readonly assertion?: AssertionHeader
    }
  | {
      readonly ok: false
      readonly status: 400 | 401
      readonly error: 'invalid_request' | 'invalid_client'
      readonly description: string
    }

/** One client authentication method: a file in `./methods/` and a line in {@link CLIENT_AUTH_METHODS}. */
export interface ClientAuthMethod {
  /** Its name in the metadata (`token_endpoint_auth_methods_supported`) and in the log's `authMethod`. */
  readonly name: Exclude<ReferenceAuthMethod, 'multiple'>
  /** Where its credentials travel: an `Authorization` header no method takes is refused. */
  readonly presentedIn: 'authorization-header' | 'form' | 'nowhere'
  /** Form parameters that carry its credential: never logged. */
  readonly credentialParams: readonly string[]
  /** Where it takes the client id from, for the error when the body's `client_id` names another client. */
  readonly clientIdFrom: string
  /** True when the request carries this method's credentials, well-formed or not. */
  isUsedBy(request: CredentialsRequest): boolean
  /** Reads the claimed client id and credential, or says why they cannot be used. */
  read(request: CredentialsRequest): MethodClaim
  /**
   * The registered client when the credential proves the claimed client id; else the `401
   * invalid_client` to answer, whose description says why (in fixed text, never echoing the credential).
   */
  verify(request: VerificationRequest, server: ServerContext): Verification | Promise<Verification>
}

/** What a method verifies: the claim it read, and where it was presented. */
export interface VerificationRequest {
  /** The claimed client id. */
  readonly clientId: string
  /** The presented secret or assertion, unverified; `undefined` when none was sent. Never log it. */
  readonly credential: string | undefined
  /**
   * The URL of the endpoint called, as the server advertises it (`<issuer>/token`,
   * `<issuer>/introspect`...): an assertion's `aud` may name it.
   */
  readonly endpointUrl: string
  /** The mutual-TLS methods: the certificate presented (see {@link CredentialsRequest.certificate}). */
  readonly certificate?: PeerCertificate | undefined
}

/** The outcome of {@link ClientAuthMethod.verify}: the client authenticated, or the refusal to answer. */
export type Verification = RegisteredClient | ServerError

/**
 * The client authentication methods the server takes, in the order they are looked for. A request
 * that uses none of them gets {@link none}, which never authenticates: there are no public clients.
 */
export const CLIENT_AUTH_METHODS = [
  clientSecretBasic,
  clientSecretPost,
  clientSecretJwt,
  privateKeyJwt,
  tlsClientAuth,
  selfSignedTlsClientAuth,
] as const satisfies readonly ClientAuthMethod[]

/** Every form parameter that carries a credential of some method: never logged. */
export const CREDENTIAL_PARAMS: ReadonlySet<string> = new Set(CLIENT_AUTH_METHODS.flatMap((method) => method.credentialParams))

/** Credentials taken from a request; the credential is still unverified. */
export interface ExtractedCredentials {
  readonly ok: true
  readonly method: Exclude<ReferenceAuthMethod, 'multiple'>
  /** The claimed client id; `undefined` when none was sent. */
  readonly clientId: string | undefined
  /** The presented secret; `undefined` when none was sent. Never log it. */
  readonly credential: string | undefined
  /** Basic only: true when form-decoding changed the user-id or the password. */
  readonly basicFormEncoded: boolean | undefined
  /** JWT methods: the assertion header's `alg` and `kid`, for the log. */
  readonly assertion: AssertionHeader | undefined
  /** The method that verifies them. */
  readonly using: ClientAuthMethod
  /** The client certificate, when the method is a mutual-TLS one. */
  readonly certificate?: PeerCertificate | undefined
}

/** A request whose credentials are unusable: answered with `status` and `error` before anything else is looked at. */
export interface CredentialsFailure {
  readonly ok: false
  readonly method: ReferenceAuthMethod
  readonly clientId: string | undefined
  readonly basicFormEncoded: boolean | undefined
  readonly status: 400 | 401
  readonly error: 'invalid_request' | 'invalid_client'
  readonly description: string
}

/**
 * Works out the authentication method and the claimed credentials of a request (RFC 6749 §2.3).
 * Refuses a second Authorization header (400), an Authorization scheme no method takes (401
 * `invalid_client`), credentials a method cannot read (its own status), two methods at once (400
 * `invalid_request`, §2.3) and a body `client_id` that names another client than the credentials (400).
 *
 * @param authorization - the `Authorization` header, if any.
 * @param repeatedAuthorization - true when the request carried more than one `Authorization` header.
 * @param rawBasic - when it says so, Basic credentials are taken raw (see `parseBasicAuthorization`).
 * @param certificate - the connection's client certificate, at the mutual-TLS endpoint aliases.
 * @example
 * extractCredentials(undefined, false, new Map([['client_id', ['svc']], ['client_secret', ['x']]]))
 * // { ok: true, method: 'client_secret_post', clientId: 'svc', credential: 'x', ... }
 */
export function extractCredentials(
  authorization: string | undefined,
  repeatedAuthorization: boolean,
  params: FormParams,
  rawBasic?: RawBasicDecider,
  certificate?: PeerCertificate,
): ExtractedCredentials | CredentialsFailure {
  const request: CredentialsRequest = { authorization, params, rawBasic, certificate }
  const bodyId = firstValue(params, 'client_id')
  if (authorization !== undefined && repeatedAuthorization) {
    return failure('multiple', bodyId, undefined, 400, 'invalid_request', 'more than one Authorization header')
  }
  const used: ClientAuthMethod[] = CLIENT_AUTH_METHODS.filter((method) => method.isUsedBy(request))
  if (authorization !== undefined && !used.some((method) => method.presentedIn === 'authorization-header')) {
    return failure('none', bodyId, undefined, 401, 'invalid_client', 'unsupported authentication scheme, use Basic')
  }
  const claims: ExtractedCredentials[] = []
  for (const method of used.length === 0 ? [none] : used) {
    const claim: MethodClaim = method.read(request)
    if (!claim.ok) return failure(method.name, undefined, undefined, claim.status, claim.error, claim.description)
    const { clientId, credential, basicFormEncoded, assertion } = claim
    claims.push({ ok: true, method: method.name, clientId, credential, basicFormEncoded, assertion, using: method, certificate })
  }
  const first = claims[0] as ExtractedCredentials
  if (claims.length > 1) {
    const description = 'more than one client authentication method'
    return failure('multiple', first.clientId, first.basicFormEncoded, 400, 'invalid_request', description)
  }
  if (bodyId !== undefined && bodyId !== first.clientId) {
    const description = `client_id does not match ${first.using.clientIdFrom}`
    return failure(first.method, first.clientId, first.basicFormEncoded, 400, 'invalid_request', description)
  }
  return first
}

/**
 * Options of {@link identifyClient}.
 *
 * @example
 * identifyClient({ rawBasic: (server) => (rawUserId) => server.registry.get(rawUserId) !== undefined })
 */
export interface IdentifyOptions {
  /** When Basic credentials are taken without form-decoding: the token endpoint's `raw-basic` quirk. */
  readonly rawBasic?: (server: ServerContext) => RawBasicDecider
}

/**
 * A step that works out how the request authenticates and who it claims to be, and notes method,
 * claimed client id and Basic form-encoding in the exchange. It never answers: unusable credentials
 * are refused by {@link rejectUnusableCredentials}, so the token endpoint can pick the claimed
 * client's quirks for that answer first.
 *
 * @example
 * const steps: Endpoint = [..., identifyClient(), rejectUnusableCredentials, verifyClient]
 */
export function identifyClient(options: IdentifyOptions = {}): Step {
  return (exchange) => {
    const { req } = exchange
    const authorization = req.headers.authorization
    const atMutualTls = exchange.server.mutualTls && exchange.path.startsWith(`${MTLS_PATH_PREFIX}/`)
    const certificate = atMutualTls ? peerCertificate(req) : undefined
    exchange.clientCertificate = certificate
    let credentials = extractCredentials(
      authorization,
      authorization !== undefined && hasRepeatedAuthorization(req.rawHeaders),
      exchange.params,
      options.rawBasic?.(exchange.server),
      certificate,
    )
    if (credentials.ok && credentials.method === 'none' && exchange.server.mutualTls && !atMutualTls && peerCertificate(req) !== undefined) {
      // A client id and a certificate, at the plain endpoint: a mutual-TLS client that missed the alias.
      const description = `client certificates are looked at only at the mutual-TLS endpoint aliases (${exchange.server.issuer}${MTLS_PATH_PREFIX}${exchange.path}, mtls_endpoint_aliases in the metadata)`
      credentials = failure('none', credentials.clientId, undefined, 401, 'invalid_client', description)
    }
    exchange.credentials = credentials
    exchange.authMethod = credentials.method
    exchange.clientId = credentials.clientId
    exchange.basicFormEncoded = credentials.basicFormEncoded
    if (credentials.ok) exchange.assertion = credentials.assertion
  }
}

/**
 * A step that refuses the credentials {@link identifyClient} found unusable (400 or 401).
 *
 * @example
 * const steps: Endpoint = [..., identifyClient(), rejectUnusableCredentials, verifyClient]
 */
export const rejectUnusableCredentials: Step = (exchange) => {
  const credentials = identified(exchange)
  if (!credentials.ok) throw new ServerError(credentials.status, credentials.error, credentials.description)
}

const TOO_MANY_FAILURES = 'too many failed attempts'
const REQUIRED = new ServerError(401, 'invalid_client', 'client authentication required')

/**
 * A step that authenticates the caller: throttled client id (429 with `Retry-After`) → no client id
 * (401) → the method verifies the credential (401 with the method's reason, counted by the
 * throttle). Sets `exchange.client`. Synchronous for secrets; a JWT assertion's check is awaited.
 *
 * @example
 * const steps: Endpoint = [..., identifyClient(), rejectUnusableCredentials, verifyClient]
 */
export const verifyClient: Step = (exchange) => {
  const credentials = identified(exchange)
  if (!credentials.ok) throw new Error('verifyClient runs after rejectUnusableCredentials')
  const { clientId } = credentials
  const { throttle } = exchange.server
  if (throttle !== undefined && clientId !== undefined) {
    const retryAfter = throttle.retryAfterSeconds(clientId)
    if (retryAfter !== undefined) {
      throw new ServerError(429, 'invalid_client', TOO_MANY_FAILURES, { 'retry-after': String(retryAfter) })
    }
  }
  if (clientId === undefined) throw REQUIRED
  const request: VerificationRequest = {
    clientId,
    credential: credentials.credential,
    endpointUrl: exchange.server.issuer + exchange.path,
    certificate: credentials.certificate,
  }
  const verification = credentials.using.verify(request, exchange.server)
  if (verification instanceof Promise) return verification.then((result) => settle(exchange, clientId, result))
  settle(exchange, clientId, verification)
}

/** Counts a refusal against the client id and throws it, or notes the authenticated client. */
function settle(exchange: Exchange, clientId: string, verification: Verification): void {
  const { throttle } = exchange.server
  if (verification instanceof ServerError) {
    throttle?.recordFailure(clientId)
    throw verification
  }
  throttle?.reset(clientId)
  exchange.client = verification
}

/**
 * Client authentication as one list of steps, for endpoints with nothing to do in between
 * (introspection, revocation), as oidc-provider spreads `...clientAuth`.
 *
 * @example
 * const introspectionEndpoint: Endpoint = [requireMethod('POST'), readBody, readForm(rules), ...authenticateClient, introspect]
 */
export const authenticateClient: readonly Step[] = [identifyClient(), rejectUnusableCredentials, verifyClient]

/**
 * The client {@link verifyClient} authenticated; a step after it uses this.
 *
 * @example
 * const client = authenticatedClient(exchange)
 */
export function authenticatedClient(exchange: Exchange): RegisteredClient {
  if (exchange.client === undefined) throw new Error('the client is known only after verifyClient')
  return exchange.client
}

function identified(exchange: Exchange): ExtractedCredentials | CredentialsFailure {
  if (exchange.credentials === undefined) throw new Error('the credentials are known only after identifyClient')
  return exchange.credentials
}

function failure(
  method: ReferenceAuthMethod,
  clientId: string | undefined,
  basicFormEncoded: boolean | undefined,
  status: 400 | 401,
  error: 'invalid_request' | 'invalid_client',
  description: string,
): CredentialsFailure {
  return { ok: false, method, clientId, basicFormEncoded, status, error, description }
}
