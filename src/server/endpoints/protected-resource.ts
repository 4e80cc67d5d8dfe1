/**
 * A protected resource (RFC 6750): `/resource` on the reference server, any method, the access
 * token in `Authorization: Bearer`. It answers who the token belongs to, so a client, a fetch
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
 * error) / malformed or repeated (400 `invalid_request`) → token active (401 `invalid_token`) → a
 * certificate-bound token over a connection presenting its certificate (401 `invalid_token`) →
 * required scope granted (403 `insufficient_scope`) → 200. The access token is never logged or echoed.
 *
 * @example
 * await runEndpoint(protectedResourceEndpoint, exchange)
 */
export const protectedResourceEndpoint: Endpoint = [readBody, serveResource]

function serveResource(exchange: Exchange): void {
  const required = requiredScopes(exchange)
  const record = presentedToken(exchange)
  if (required.some((scope) => !record.scope.includes(scope))) {
    throw refusal(403, {
      error: 'insufficient_scope',
      errorDescription: 'the access token lacks a required scope',
      scope: required.join(' '),
    })
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

/** The record of the active token in the Authorization header. */
function presentedToken(exchange: Exchange): IssuedToken {
  const { req } = exchange
  const authorization = req.headers.authorization
  const bearer = parseBearerAuthorization(authorization, authorization !== undefined && hasRepeatedAuthorization(req.rawHeaders))
  // No Bearer credentials: the bare challenge, without an error code (RFC 6750 §3.1).
  if (bearer === 'missing') throw refusal(401, {})
  exchange.authMethod = 'bearer'
  if (bearer === 'malformed') throw refusal(400, { error: 'invalid_request', errorDescription: 'malformed Bearer credentials' })
  const record = findActiveToken(exchange.server, bearer.token)
  if (record === undefined) {
    throw refusal(401, { error: 'invalid_token', errorDescription: 'the access token is unknown, expired or revoked' })
  }
  exchange.clientId = record.clientId
  const bound = record.certificateThumbprint
  exchange.clientCertificate = exchange.server.mutualTls ? peerCertificate(req) : undefined
  if (bound !== undefined && exchange.clientCertificate?.thumbprint !== bound) {
    throw refusal(401, {
      error: 'invalid_token',
      errorDescription: 'the access token is bound to a client certificate that this connection did not present (RFC 8705, section 3)',
    })
  }
  return record
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
