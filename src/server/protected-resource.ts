/**
 * A protected resource (RFC 6750): `/resource` on the reference server, any method, the access
 * token in `Authorization: Bearer`. It answers who the token belongs to, so a client, a fetch
 * wrapper or an interceptor can be tested end to end, retries on `invalid_token` included.
 *
 * Checks run in this order: body within `maxBodyBytes` (413) → query: no `access_token`, a
 * well-formed `scope` (400 `invalid_request`) → Authorization: none or another scheme (401, no
 * error) / malformed or repeated (400 `invalid_request`) → token active (401 `invalid_token`) →
 * required scope granted (403 `insufficient_scope`) → 200.
 */
import { epochSeconds } from '../protocol/epoch-seconds.js'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { hasRepeatedAuthorization } from './authenticated-form.js'
import { bearerChallenge, parseBearerAuthorization, type BearerChallenge } from './bearer-authorization.js'
import { findActiveToken } from './active-token.js'
import { readBody } from './form-body.js'
import { sendError, sendJson, sendRaw } from './responses.js'
import { parseScope } from './scope.js'
import type { PendingEntry, ServerContext } from './server-context.js'
import { audienceClaim } from './token-format.js'

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
 * Handles one request to the protected resource and fills in `entry`. The access token is never
 * logged or echoed.
 *
 * @example
 * await handleResourceRequest(context, req, res, entry, query)
 */
export async function handleResourceRequest(
  context: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  entry: PendingEntry,
  query: string | undefined,
): Promise<void> {
  const challenge = (status: number, attributes: BearerChallenge): void => {
    entry.status = status
    const header = { 'www-authenticate': bearerChallenge(attributes) }
    if (attributes.error === undefined) return sendRaw(res, status, '', undefined, header)
    entry.error = attributes.error
    sendError(res, status, attributes.error, attributes.errorDescription ?? attributes.error, header)
  }

  const body = await readBody(req, context.maxBodyBytes)
  if (body === undefined) {
    entry.status = 413
    entry.error = 'invalid_request'
    return sendError(res, 413, 'invalid_request', 'request body too large', { connection: 'close' })
  }

  const search = new URLSearchParams(query ?? '')
  entry.params = queryForLog(search)
  if (search.has('access_token')) {
    return challenge(400, {
      error: 'invalid_request',
      errorDescription: 'send the access token in the Authorization header, not the query',
    })
  }
  const scopeValues = search.getAll('scope').filter((value) => value !== '')
  if (scopeValues.length > 1) return challenge(400, { error: 'invalid_request', errorDescription: 'scope repeated' })
  let required: string[] = []
  if (scopeValues.length === 1) {
    const parsed = parseScope(scopeValues[0] as string)
    if (parsed === undefined) return challenge(400, { error: 'invalid_request', errorDescription: 'malformed scope' })
    required = parsed
  }

  const authorization = req.headers.authorization
  const bearer = parseBearerAuthorization(
    authorization,
    authorization !== undefined && hasRepeatedAuthorization(req.rawHeaders),
  )
  if (bearer === 'missing') return challenge(401, {})
  entry.authMethod = 'bearer'
  if (bearer === 'malformed') {
    return challenge(400, { error: 'invalid_request', errorDescription: 'malformed Bearer credentials' })
  }

  const record = findActiveToken(context, bearer.token)
  if (record === undefined) {
    return challenge(401, {
      error: 'invalid_token',
      errorDescription: 'the access token is unknown, expired or revoked',
    })
  }
  entry.clientId = record.clientId
  const missing = required.filter((scope) => !record.scope.includes(scope))
  if (missing.length > 0) {
    return challenge(403, {
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
    method: req.method ?? '',
    bodyLength: body.length,
  }
  entry.status = 200
  sendJson(res, 200, JSON.stringify(response))
}

/** The query parameters for the log: every value, never `access_token`. */
function queryForLog(search: URLSearchParams): Record<string, string[]> {
  const params = new Map<string, string[]>()
  for (const [name, value] of search) {
    if (name === 'access_token') continue
    const values = params.get(name)
    if (values === undefined) params.set(name, [value])
    else values.push(value)
  }
  return Object.fromEntries(params)
}
