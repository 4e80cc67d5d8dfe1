/**
 * What `private_key_jwt` and `client_secret_jwt` share (RFC 7521 §4.2, RFC 7523 §2.2 and §3,
 * OpenID Connect Core §9): reading `client_assertion` and `client_assertion_type` from the form,
 * verifying the assertion, and the method built on both ({@link assertionAuthMethod}), which each
 * of the two gives only its algorithms and its keys. jose's `jwtVerify` checks the signature against the allowlisted
 * algorithms and the claims it knows (`iss`, `sub`, `aud`, `exp`, `nbf`, presence of `jti`);
 * written here is only what it leaves to the caller: the maximum lifetime, `iat` in the future,
 * and the `jti` replay cache. Every refusal is a `401 invalid_client` whose description says which
 * rule failed, in fixed text: never the assertion, a claim's value or a key.
 */
import type { KeyObject } from 'node:crypto'
import {
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose'
import type { Clock } from '../../clock.js'
import { invalidArgument } from '../../errors/invalid-argument.js'
import { epochSeconds } from '../../protocol/epoch-seconds.js'
import { firstValue, type FormParams } from '../exchange/form-body.js'
import { ServerError } from '../exchange/server-error.js'
import type { ServerContext } from '../exchange/server-context.js'
import { isPositiveInteger } from '../option-checks.js'
import { AssertionReplayCache } from './assertion-replay-cache.js'
import type { ClientAuthMethod, CredentialsRequest, MethodClaim, VerificationRequest } from './client-authentication.js'
import type { ClientRegistry, RegisteredClient } from './client-registry.js'

/** The `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2). */
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** The form parameters of client assertions (RFC 7521 §4.2); `client_assertion` is never logged. */
export const ASSERTION_PARAMS = Object.freeze(['client_assertion', 'client_assertion_type'] as const)

/**
 * How the server checks the times and `jti` of client assertions (`private_key_jwt`,
 * `client_secret_jwt`): the `clientAssertions` option of `startReferenceServer`.
 */
export interface ClientAssertionOptions {
  /**
   * How far the client's clock may be off, in whole seconds: an assertion is still taken this long
   * after its `exp`, and its `nbf` and `iat` may be this far in the future. The server's `clock`
   * decides what "now" is.
   *
   * @default 15 (oidc-provider's `clockTolerance`)
   * @example
   * { clientAssertions: { clockSkewSeconds: 0 } } // exact, on a test clock
   */
  clockSkewSeconds?: number
  /**
   * The longest lifetime an assertion may claim, in seconds: `exp - iat`, or `exp - now` (plus the
   * clock skew) when it has no `iat`. Assertions are meant to be short-lived and used once (RFC 7523
   * §3 leaves the bound to the server); a client that signs one for ten minutes and reuses it is refused.
   *
   * @default 300 (5 minutes)
   * @example
   * { clientAssertions: { maxLifetimeSeconds: 600 } } // MSAL's ten-minute assertions
   */
  maxLifetimeSeconds?: number
  /**
   * How many `jti`s the replay cache keeps. Only assertions that passed every other check are
   * recorded, each until it expires, so junk requests never fill it. Full of `jti`s still in use,
   * the server answers new assertions `503 temporarily_unavailable` with `Retry-After` until the
   * oldest expires, rather than forget one (a captured assertion would then work again): the bound
   * is reached only by more than `maxJtis` valid assertions within their lifetime. About 140
   * bytes each, however long the client id and `jti` (some 14 MB at the default, when full).
   *
   * @default 100_000
   * @example
   * { clientAssertions: { maxJtis: 1_000_000 } } // a load test with private_key_jwt
   */
  maxJtis?: number
}

/** The defaults of {@link ClientAssertionOptions}. */
export const DEFAULT_CLIENT_ASSERTIONS: Readonly<Required<ClientAssertionOptions>> = Object.freeze({
  clockSkewSeconds: 15,
  maxLifetimeSeconds: 300,
  maxJtis: 100_000,
})

/** The checked options and the replay cache, as the server keeps them. */
export interface ClientAssertionRules {
  readonly clockSkewSeconds: number
  readonly maxLifetimeSeconds: number
  readonly replays: AssertionReplayCache
}

/**
 * Checks the `clientAssertions` option, fills in the defaults and builds the replay cache; a bad
 * value is a `TypeError` (`ERR_INVALID_ARG_VALUE`) naming it.
 *
 * @example
 * const rules = clientAssertionRules({ clockSkewSeconds: 0 }, clock)
 */
export function clientAssertionRules(options: ClientAssertionOptions | undefined, clock: Clock): ClientAssertionRules {
  const name = 'options.clientAssertions'
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw invalidArgument(name, 'must be { clockSkewSeconds?, maxLifetimeSeconds?, maxJtis? }')
  }
  const {
    clockSkewSeconds = DEFAULT_CLIENT_ASSERTIONS.clockSkewSeconds,
    maxLifetimeSeconds = DEFAULT_CLIENT_ASSERTIONS.maxLifetimeSeconds,
    maxJtis = DEFAULT_CLIENT_ASSERTIONS.maxJtis,
  } = options ?? {}
  if (!Number.isSafeInteger(clockSkewSeconds) || clockSkewSeconds < 0) {
    throw invalidArgument(`${name}.clockSkewSeconds`, 'must be a non-negative integer number of seconds')
  }
  if (!isPositiveInteger(maxLifetimeSeconds)) {
    throw invalidArgument(`${name}.maxLifetimeSeconds`, 'must be a positive integer number of seconds')
  }
  return Object.freeze({ clockSkewSeconds, maxLifetimeSeconds, replays: new AssertionReplayCache(maxJtis, clock) })
}

/** What the log keeps of an assertion: its header's `alg` and `kid` (never the assertion itself). */
export interface AssertionHeader {
  /** The header's `alg`, when a string of at most 256 characters. */
  readonly alg?: string
  /** The header's `kid`, when a string of at most 256 characters. */
  readonly kid?: string
}

/** The family of algorithms an assertion's header names, which picks the method that verifies it. */
export type AssertionFamily = 'hmac' | 'signature'

/**
 * The family of the request's client assertion: `hmac` for `HS*` (`client_secret_jwt`), `signature`
 * for anything else, unparsable and `none` included (`private_key_jwt`, which refuses them);
 * `undefined` when the form carries neither `client_assertion` nor `client_assertion_type`.
 *
 * @example
 * assertionFamily(new Map([['client_assertion', [jwt]]])) // 'signature' for an ES256 jwt
 */
export function assertionFamily(params: FormParams): AssertionFamily | undefined {
  const assertion = firstValue(params, 'client_assertion')
  if (assertion === undefined) return firstValue(params, 'client_assertion_type') === undefined ? undefined : 'signature'
  const alg = headerOf(assertion)?.alg
  return typeof alg === 'string' && alg.startsWith('HS') ? 'hmac' : 'signature'
}

/**
 * Reads a client assertion (RFC 7521 §4.2): `client_assertion_type` must be the JWT bearer type
 * and `client_assertion` a JWT; the claimed client is its `sub` (RFC 7523 §3: the client id), or
 * the body's `client_id` when it has none. Nothing is verified yet. Each problem is `401 invalid_client`.
 *
 * @example
 * readClientAssertion({ authorization: undefined, params, rawBasic: undefined })
 * // { ok: true, clientId: 'svc', credential: '<the JWT>', assertion: { alg: 'ES256', kid: 'k1' }, ... }
 */
export function readClientAssertion(request: CredentialsRequest): MethodClaim {
  const { params } = request
  const assertion = firstValue(params, 'client_assertion')
  const type = firstValue(params, 'client_assertion_type')
  if (assertion === undefined) return unreadable('client_assertion is required with client_assertion_type')
  if (type === undefined) return unreadable('client_assertion_type is required with client_assertion')
  if (type !== JWT_BEARER) return unreadable(`client_assertion_type must be ${JWT_BEARER}`)
  const header = headerOf(assertion)
  let claims: JWTPayload
  try {
    claims = decodeJwt(assertion)
  } catch {
    return unreadable('client_assertion is not a JWT')
  }
  if (header === undefined) return unreadable('client_assertion is not a JWT')
  const { sub } = claims
  const clientId = typeof sub === 'string' && sub !== '' ? sub : firstValue(params, 'client_id')
  if (clientId === undefined) return unreadable('client_assertion has no sub naming the client')
  return { ok: true, clientId, credential: assertion, basicFormEncoded: undefined, assertion: loggedHeader(header) }
}

/** How one method verifies assertions: its name for messages, and the algorithms it takes. */
export interface AssertionMethod {
  readonly name: 'private_key_jwt' | 'client_secret_jwt'
  readonly algorithms: readonly string[]
}

/**
 * What sets one JWT assertion method apart from the other: its name and algorithms, the family of
 * `alg` it is used for, and where it finds the key that verifies a client's assertions.
 */
export interface AssertionAuthMethodSpec<Name extends AssertionMethod['name']> extends AssertionMethod {
  readonly name: Name
  /** The assertions it verifies: those whose header's `alg` is of this family (see {@link assertionFamily}). */
  readonly family: AssertionFamily
  /**
   * The description of the `401 invalid_client` for an unknown client and for one without a key for
   * this method: both read alike, so the answer tells nobody which ids exist.
   */
  readonly unregisteredDescription: string
  /**
   * The key that verifies the client's `assertion`; `undefined` when the client registered none for
   * this method, or a refusal when the key it registered cannot verify this assertion.
   */
  verificationKey(registry: ClientRegistry, clientId: string, assertion: string): JWTVerifyGetKey | KeyObject | ServerError | undefined
}

/**
 * A client authentication method that takes a JWT client assertion in the form (`client_assertion`,
 * RFC 7523 §2.2) and verifies it with {@link verifyClientAssertion}: `private_key_jwt` and
 * `client_secret_jwt` are this, each with its own algorithms and keys.
 *
 * @example
 * export const privateKeyJwt = assertionAuthMethod({
 *   name: 'private_key_jwt',
 *   family: 'signature',
 *   algorithms: PRIVATE_KEY_JWT_ALGORITHMS,
 *   unregisteredDescription: 'the client has no jwks registered for private_key_jwt',
 *   verificationKey: (registry, clientId) => registry.keySet(clientId)?.getKey,
 * })
 */
export function assertionAuthMethod<Name extends AssertionMethod['name']>(
  spec: AssertionAuthMethodSpec<Name>,
): ClientAuthMethod & { readonly name: Name } {
  const { name, family, verificationKey } = spec
  const method: AssertionMethod = { name, algorithms: spec.algorithms }
  const unregistered = refusal(spec.unregisteredDescription)
  return {
    name,
    presentedIn: 'form',
    credentialParams: ['client_assertion'],
    clientIdFrom: 'the client_assertion sub',
    isUsedBy: (request) => assertionFamily(request.params) === family,
    read: readClientAssertion,
    verify(request, server) {
      const client = server.registry.get(request.clientId)
      if (client === undefined || request.credential === undefined) return unregistered
      const key = verificationKey(server.registry, request.clientId, request.credential)
      if (key === undefined) return unregistered
      if (key instanceof ServerError) return key
      return verifyClientAssertion(request.credential, key, method, client, request, server)
    },
  }
}

/**
 * Verifies a client assertion for `client` (RFC 7523 §3, OpenID Connect Core §9), in this order:
 * `alg` not `none` → signature, with an allowlisted algorithm and the client's key (by `kid` when
 * the header names one) → `iss` and `sub` are the client id → `aud` contains the issuer, the token
 * endpoint or the endpoint called → `exp` present and not past → `nbf` not in the future → `jti`
 * present → `iat` not in the future → lifetime within `maxLifetimeSeconds` → `jti` not used before.
 * Times allow `clockSkewSeconds`. Resolves with the client, its `jti` now recorded, or with the
 * `401 invalid_client` to answer.
 *
 * @example
 * return verifyClientAssertion(assertion, keys.getKey, { name: 'private_key_jwt', algorithms }, client, request, server)
 */
export async function verifyClientAssertion(
  assertion: string,
  key: JWTVerifyGetKey | KeyObject,
  method: AssertionMethod,
  client: RegisteredClient,
  request: VerificationRequest,
  server: Pick<ServerContext, 'issuer' | 'tokenUrl' | 'clock' | 'clientAssertions'>,
): Promise<RegisteredClient | ServerError> {
  const header = headerOf(assertion)
  if (header?.alg === 'none') return refusal('unsigned assertions (alg none) are never accepted')
  const { clockSkewSeconds, replays } = server.clientAssertions
  const now = server.clock.now()
  const { clientId, endpointUrl } = request
  const options: JWTVerifyOptions = {
    algorithms: [...method.algorithms],
    issuer: clientId,
    subject: clientId,
    audience: [...new Set([server.issuer, server.tokenUrl, endpointUrl])],
    requiredClaims: ['exp', 'jti'],
    currentDate: new Date(now),
    clockTolerance: clockSkewSeconds,
  }
  let claims: JWTPayload
  try {
    claims = await verifyWithAnyKey(assertion, key, options)
  } catch (error) {
    return refusal(joseRefusal(error, method, header?.kid !== undefined))
  }
  const problem = assertionTimeProblem(claims, epochSeconds(now), server.clientAssertions)
  if (problem !== undefined) return refusal(problem)
  // Checked and recorded in one synchronous stretch: two requests with one assertion cannot both pass.
  const until = ((claims.exp as number) + clockSkewSeconds) * 1000
  const check = replays.use(clientId, claims.jti as string, until)
  if (check === 'replay') return refusal('the assertion jti was used before (a replay)')
  if (check === 'full') return replayCacheFull(replays)
  return client
}

/**
 * What is wrong with the verified claims of an assertion that jose leaves to the caller, or
 * `undefined` when nothing is: `jti` a non-empty string, `iat` (optional) not after `now` plus the
 * skew, and a lifetime of at most `maxLifetimeSeconds`: `exp - iat`, or without `iat` `exp - now`,
 * which may exceed it by the skew (the client's clock may run ahead). `now` in epoch seconds; jose
 * has already checked that `exp` is there and that every time claim present is a number.
 *
 * @example
 * assertionTimeProblem({ jti: 'a', iat: 100, exp: 500 }, 100, { clockSkewSeconds: 15, maxLifetimeSeconds: 300 })
 * // 'the assertion lives longer than 300 seconds (exp - iat)'
 */
export function assertionTimeProblem(
  claims: JWTPayload,
  now: number,
  rules: Pick<ClientAssertionRules, 'clockSkewSeconds' | 'maxLifetimeSeconds'>,
): string | undefined {
  const { jti, iat } = claims
  const exp = claims.exp as number
  if (typeof jti !== 'string' || jti === '') return 'the assertion jti must be a non-empty string'
  if (iat !== undefined && iat > now + rules.clockSkewSeconds) return 'the assertion was issued in the future (iat)'
  const max = rules.maxLifetimeSeconds
  if (iat !== undefined && exp - iat > max) return `the assertion lives longer than ${max} seconds (exp - iat)`
  if (iat === undefined && exp - now > max + rules.clockSkewSeconds) {
    return `the assertion lives longer than ${max} seconds (exp - now, it has no iat)`
  }
  return undefined
}

/**
 * `jwtVerify`, and when the client's key set holds several keys that fit the header (no `kid`),
 * each in turn until one verifies: jose's documented use of `JWKSMultipleMatchingKeys`.
 */
async function verifyWithAnyKey(
  assertion: string,
  key: JWTVerifyGetKey | KeyObject,
  options: JWTVerifyOptions,
): Promise<JWTPayload> {
  try {
    return (typeof key === 'function' ? await jwtVerify(assertion, key, options) : await jwtVerify(assertion, key, options)).payload
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error
    for await (const candidate of error) {
      try {
        return (await jwtVerify(assertion, candidate, options)).payload
      } catch (inner) {
        if (inner instanceof errors.JWSSignatureVerificationFailed) continue
        throw inner
      }
    }
    throw new errors.JWSSignatureVerificationFailed()
  }
}

/** The description of what jose refused; an error that is not jose's is a bug, and rethrown. */
function joseRefusal(error: unknown, method: AssertionMethod, hasKid: boolean): string {
  if (!(error instanceof errors.JOSEError)) throw error
  if (error instanceof errors.JWTClaimValidationFailed) return claimRefusal(error.claim, error.reason)
  switch (error.code) {
    case errors.JOSEAlgNotAllowed.code:
    case errors.JOSENotSupported.code:
      return `the assertion alg is not one ${method.name} takes (token_endpoint_auth_signing_alg_values_supported)`
    case errors.JWKSNoMatchingKey.code:
      return hasKid
        ? 'no registered key of the client has the assertion kid'
        : 'no registered key of the client fits the assertion alg'
    case errors.JWSSignatureVerificationFailed.code:
      return 'the assertion signature does not verify'
    case errors.JWTExpired.code:
      return 'the assertion has expired (exp)'
    case errors.JWSInvalid.code:
    case errors.JWTInvalid.code:
      return 'client_assertion is not a valid signed JWT'
    default:
      return 'the assertion could not be verified with the registered keys'
  }
}

// The claims jose checks for us, by name: the only ones its errors can name here.
const CLAIM_CHECK_FAILED: Readonly<Record<string, string>> = {
  iss: 'the assertion iss must be the client id',
  sub: 'the assertion sub must be the client id',
  aud: 'the assertion aud must contain the issuer or the token endpoint URL',
  nbf: 'the assertion is not valid yet (nbf)',
}

function claimRefusal(claim: string, reason: string): string {
  const known = /^[a-z]{1,8}$/.test(claim) ? claim : 'a'
  if (reason === 'missing') return `the assertion has no ${known} claim`
  if (reason === 'invalid') return `the assertion ${known} claim must be a number`
  return CLAIM_CHECK_FAILED[known] ?? `the assertion ${known} claim is not acceptable`
}

function refusal(description: string): ServerError {
  return new ServerError(401, 'invalid_client', description)
}

function unreadable(description: string): MethodClaim {
  return { ok: false, status: 401, error: 'invalid_client', description }
}

/** The protected header, or `undefined` when the assertion has none that parses. */
function headerOf(assertion: string): Record<string, unknown> | undefined {
  try {
    return decodeProtectedHeader(assertion) as Record<string, unknown>
  } catch {
    return undefined
  }
}

// An alg or kid longer than this is left out of the log: header values are the client's input.
const MAX_LOGGED_HEADER_VALUE = 256

function loggedHeader(header: Readonly<Record<string, unknown>>): AssertionHeader {
  const logged: { alg?: string; kid?: string } = {}
  const { alg, kid } = header
  if (typeof alg === 'string' && alg.length <= MAX_LOGGED_HEADER_VALUE) logged.alg = alg
  if (typeof kid === 'string' && kid.length <= MAX_LOGGED_HEADER_VALUE) logged.kid = kid
  return logged
}

/**
 * The answer when the `jti` replay cache is full of `jti`s still in use: `503
 * temporarily_unavailable` with `Retry-After` until the oldest expires. A server that forgot an
 * unexpired `jti` instead would let a flood of one client's (or key's) requests make another's
 * captured assertion or proof usable again.
 *
 * @example
 * if (check === 'full') throw replayCacheFull(replays)
 */
export function replayCacheFull(replays: AssertionReplayCache): ServerError {
  return new ServerError(503, 'temporarily_unavailable', 'too many jtis in use: the replay cache is full, try again later', {
    'retry-after': String(replays.retryAfterSeconds()),
  })
}
