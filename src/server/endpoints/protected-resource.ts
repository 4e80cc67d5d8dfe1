/**
 * A protected resource (RFC 6750, RFC 9449 §7): `/resource` on the reference server, any method,
 * the access token in `Authorization: Bearer`, or, for a DPoP-bound token, in `Authorization: DPoP`
 * with a `DPoP` proof. It answers who the token belongs to, so a client, a fetch
 * wrapper or an interceptor can be tested end to end, retries on `invalid_token` included.
 */
import { epochSeconds } from '../../protocol/epoch-seconds.js'
import type { Endpoint } from '../exchange/endpoint.js'
import type { Exchange } from '../exchange/exchange.js'
import type { FormParams } from '../exchange/form-body.js'
import { hasRepeatedAuthorization } from '../exchange/request-headers.js'
import { respondJson } from '../exchange/respond.js'
import { ServerError } from '../exchange/server-error.js'
import { readBody } from '../exchange/steps.js'
import { dpopChallenge, parseDpopAuthorization } from '../dpop/dpop-authorization.js'
import { checkResourceProof, dpopRefusal, offerResourceNonce } from '../dpop/resource-request-proof.js'
import { peerCertificate } from '../tls/peer-certificate.js'
import { findActiveToken } from '../tokens/active-token.js'
import { bearerChallenge, parseBearerAuthorization, type BearerChallenge } from '../tokens/bearer-authorization.js'
import { parseScope } from '../tokens/scope.js'
import { audienceClaim } from '../tokens/token-format.js'
import type { IssuedToken } from '../tokens/token-store.js'

/** The JSON body of a successful resource request. */
export interface ResourceResponse {
  /** The client the token was issued to. */
  readonly client_id: string
  /** The token's subject: the client id for client credentials. */
  readonly sub: string
  /** The granted scopes joined with single spaces; `''` when none were granted. */
  readonly scope: string
  /** The token's audience: one string, or an array of several. */
  readonly aud: string | readonly string[]
  /** The token's expiry, whole seconds since the epoch. */
  readonly exp: number
  /** The request method, as received. */
  readonly method: string
  /** How many bytes the request body had (0 without a body). */
  readonly bodyLength: number
}

/**
 * The protected resource: body within `maxBodyBytes` (413) → query: no `access_token`, a
 * well-formed `scope` (400 `invalid_request`) → Authorization: none or another scheme (401, no
 * error; the DPoP challenge beside the Bearer one with the `dpop` option) / malformed or repeated
 * (400 `invalid_request`) → token active (401 `invalid_token`) → the scheme fits the token: a
 * DPoP-bound token only with `DPoP`, any other only with `Bearer` (401 `invalid_token`) → with
 * `DPoP`, the proof: present, valid, `ath`, signed by the token's key (401 `invalid_dpop_proof`),
 * the resource's nonce when required (401 `use_dpop_nonce`) → a certificate-bound token over a
 * connection presenting its certificate (401 `invalid_token`) → required scope granted (403
 * `insufficient_scope`) → 200. Challenges are of the request's scheme (`DPoP` for a DPoP-bound
 * token sent as Bearer). The access token and the proof are never logged or echoed.
 *
 * @example
 * await runEndpoint(protectedResourceEndpoint, exchange)
 */
export const protectedResourceEndpoint: Endpoint = [offerResourceNonce, readBody, serveResource]

/** The scheme the token came with, which the resource's challenges then use. */
type Scheme = 'Bearer' | 'DPoP'

async function serveResource(exchange: Exchange): Promise<void> {
  const required = requiredScopes(exchange)
  const { record, scheme } = await presentedToken(exchange)
  if (required.some((scope) => !record.scope.includes(scope))) {
    const challenge = {
      error: 'insufficient_scope',
      errorDescription: 'the access token lacks a required scope',
      scope: required.join(' '),
    } as const
    throw scheme === 'DPoP' ? dpopRefusal(exchange, 403, challenge) : refusal(403, challenge)
  }
  const response: ResourceResponse = {
    client_id: record.clientId,
    sub: record.clientId,
    scope: record.scope.join(' '),
    aud: audienceClaim(record.audience),
    exp: epochSeconds(record.expiresAt),
    method: exchange.req.method ?? '',
    bodyLength: exchange.body?.length ?? 0,
  }
  respondJson(exchange, 200, JSON.stringify(response))
}

const QUERY_UNLOGGED: ReadonlySet<string> = new Set(['access_token'])

/** The scopes `?scope=` asks for (none without it); the log shows the query, never `access_token`. */
function requiredScopes(exchange: Exchange): readonly string[] {
  const params = queryParams(exchange.query)
  exchange.params = params
  exchange.unlogged = QUERY_UNLOGGED
  if (params.has('access_token')) {
    throw refusal(400, {
      error: 'invalid_request',
      errorDescription: 'send the access token in the Authorization header, not the query',
    })
  }
  const scopeValues = (params.get('scope') ?? []).filter((value) => value !== '')
  if (scopeValues.length > 1) throw refusal(400, { error: 'invalid_request', errorDescription: 'scope repeated' })
  if (scopeValues.length === 0) return []
  const parsed = parseScope(scopeValues[0] as string)
  if (parsed === undefined) throw refusal(400, { error: 'invalid_request', errorDescription: 'malformed scope' })
  return parsed
}

const UNKNOWN_TOKEN = 'the access token is unknown, expired or revoked'

/** The record of the active token in the Authorization header, and the scheme it came with. */
async function presentedToken(exchange: Exchange): Promise<{ record: IssuedToken; scheme: Scheme }> {
  const { req } = exchange
  const authorization = req.headers.authorization
  const repeated = authorization !== undefined && hasRepeatedAuthorization(req.rawHeaders)
  // Two Authorization headers, whatever their schemes, are the Bearer reading's 'malformed'.
  const dpop = repeated ? 'missing' : parseDpopAuthorization(authorization)
  if (dpop !== 'missing') {
    exchange.authMethod = 'dpop'
    if (dpop === 'malformed') {
      throw dpopRefusal(exchange, 400, { error: 'invalid_request', errorDescription: 'malformed DPoP credentials' })
    }
    const record = findActiveToken(exchange.server, dpop.token)
    if (record === undefined) throw dpopRefusal(exchange, 401, { error: 'invalid_token', errorDescription: UNKNOWN_TOKEN })
    exchange.clientId = record.clientId
    if (record.dpopJkt === undefined) {
      throw dpopRefusal(exchange, 401, {
        error: 'invalid_token',
        errorDescription: 'the access token is not DPoP-bound: send it with the Bearer scheme',
      })
    }
    await checkResourceProof(exchange, dpop.token, record.dpopJkt)
    checkCertificate(exchange, record, 'DPoP')
    return { record, scheme: 'DPoP' }
  }
  const bearer = parseBearerAuthorization(authorization, repeated)
  // No credentials: the bare challenge, without an error code (RFC 6750 §3.1, RFC 9449 §7.1).
  if (bearer === 'missing') throw bareChallenge(exchange)
  exchange.authMethod = 'bearer'
  if (bearer === 'malformed') throw refusal(400, { error: 'invalid_request', errorDescription: 'malformed Bearer credentials' })
  const record = findActiveToken(exchange.server, bearer.token)
  if (record === undefined) throw refusal(401, { error: 'invalid_token', errorDescription: UNKNOWN_TOKEN })
  exchange.clientId = record.clientId
  if (record.dpopJkt !== undefined) {
    throw dpopRefusal(exchange, 401, {
      error: 'invalid_token',
      errorDescription: 'the access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof',
    })
  }
  checkCertificate(exchange, record, 'Bearer')
  return { record, scheme: 'Bearer' }
}

/** A certificate-bound token (RFC 8705 §3) must come over a connection presenting its certificate. */
function checkCertificate(exchange: Exchange, record: IssuedToken, scheme: Scheme): void {
  const bound = record.certificateThumbprint
  exchange.clientCertificate = exchange.server.mutualTls ? peerCertificate(exchange.req) : undefined
  if (bound === undefined || exchange.clientCertificate?.thumbprint === bound) return
  const challenge = {
    error: 'invalid_token',
    errorDescription: 'the access token is bound to a client certificate that this connection did not present (RFC 8705, section 3)',
  } as const
  throw scheme === 'DPoP' ? dpopRefusal(exchange, 401, challenge) : refusal(401, challenge)
}

/**
 * The answer to a request without credentials: the bare Bearer challenge and, when the server
 * advertises DPoP, a bare DPoP challenge as a second `WWW-Authenticate` header.
 */
function bareChallenge(exchange: Exchange): ServerError {
  const { dpop } = exchange.server
  if (!dpop.offeredAtResource) return refusal(401, {})
  const challenges = [bearerChallenge({}), dpopChallenge({}, dpop.algorithms)]
  return new ServerError(401, undefined, 'no credentials', { 'www-authenticate': challenges })
}

/** An error answered with a Bearer challenge, and a JSON body unless it has no error code. */
function refusal(status: number, challenge: BearerChallenge): ServerError {
  const headers = { 'www-authenticate': bearerChallenge(challenge) }
  return new ServerError(status, challenge.error, challenge.errorDescription ?? challenge.error ?? 'no Bearer credentials', headers)
}

/** The query's parameters, each with every value, as `URLSearchParams` reads them. */
function queryParams(query: string | undefined): FormParams {
  const params: FormParams = new Map()
  for (const [name, value] of new URLSearchParams(query ?? '')) {
    const values = params.get(name)
    if (values === undefined) params.set(name, [value])
    else values.push(value)
  }
  return params
}
