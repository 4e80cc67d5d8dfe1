/**
 * The token endpoint (RFC 6749 §3.2, §4.4): POST `/token` with the client credentials grant.
 *
 * Checks run in this order, and the first that fails answers:
 * method (405) → body size (413) → credentials in the query (400) → Content-Type (400) →
 * form parsing: bad escape or repeated parameter (400) → credential extraction (400/401) →
 * fault script → throttle (429) → authentication (401) → grant_type (400) → scope (400) →
 * resource (400) → token issued (200).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Clock } from '../clock.js'
import { extractCredentials } from './client-authentication.js'
import type { ClientRegistry } from './client-registry.js'
import type { FailureThrottle } from './failure-throttle.js'
import { takeFault, type FaultScript } from './faults.js'
import { checkFormContentType, firstValue, parseForm, readBody, type FormParams } from './form-body.js'
import type { RequestLogEntry } from './request-log.js'
import { isResourceIndicator } from './resource-indicator.js'
import { sendError, sendJson, sendRaw, type ServerErrorCode } from './responses.js'
import { parseScope } from './scope.js'
import type { TokenStore } from './token-store.js'

/** What the token endpoint needs from the server. */
export interface TokenEndpointContext {
  readonly registry: ClientRegistry
  readonly throttle: FailureThrottle | undefined
  readonly tokens: TokenStore
  readonly faults: FaultScript
  readonly clock: Clock
  /** Seconds. */
  readonly tokenLifetime: number
  readonly maxBodyBytes: number
  /** Aborted when the server closes: cuts `delay` faults short. */
  readonly signal: AbortSignal
}

/** A log entry while its request is being handled. */
export type PendingEntry = { -readonly [K in keyof RequestLogEntry]: RequestLogEntry[K] }

const REPEATABLE: ReadonlySet<string> = new Set(['resource'])
const THROTTLED = '{"error":"invalid_client","error_description":"too many failed attempts"}'
const TEMPORARILY_UNAVAILABLE = '{"error":"temporarily_unavailable"}'

/**
 * Handles one request to the token endpoint and fills in `entry` (status, error, client id, ...).
 * Resolves once the response is written, the socket dropped, the client gone, or the server closed.
 * `logNow` puts the entry in the log before it is complete: a request held by a `delay` fault is
 * logged when the delay starts (status 0 until it is answered), so the log shows every request seen.
 *
 * @example
 * await handleTokenRequest(context, req, res, entry, query, () => log[appendEntry](entry))
 */
export async function handleTokenRequest(
  context: TokenEndpointContext,
  req: IncomingMessage,
  res: ServerResponse,
  entry: PendingEntry,
  query: string | undefined,
  logNow: () => void,
): Promise<void> {
  const fail = (status: number, error: ServerErrorCode, description: string, headers?: Record<string, string>) => {
    entry.status = status
    entry.error = error
    sendError(res, status, error, description, headers)
  }

  if (req.method !== 'POST') {
    return fail(405, 'invalid_request', 'the token endpoint accepts only POST', { allow: 'POST' })
  }

  const body = await readBody(req, context.maxBodyBytes)
  if (body === undefined) {
    return fail(413, 'invalid_request', 'request body too large', { connection: 'close' })
  }
  if (query !== undefined && hasQueryCredentials(query)) {
    return fail(400, 'invalid_request', 'client credentials must not be sent in the query string')
  }
  switch (checkFormContentType(req.headers['content-type'])) {
    case 'not-form':
      return fail(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded')
    case 'bad-charset':
      return fail(400, 'invalid_request', 'the form body must be UTF-8')
  }

  let params: FormParams
  let repeated: string | undefined
  try {
    ;({ params, repeated } = parseForm(body.toString('utf8'), REPEATABLE))
  } catch {
    return fail(400, 'invalid_request', 'malformed percent escape in the body')
  }
  entry.params = paramsForLog(params)
  if (repeated !== undefined) {
    // Only a plain name is echoed: the description must not carry quotes or backslashes.
    const what = /^[a-z_]{1,40}$/.test(repeated) ? `parameter ${repeated}` : 'a parameter'
    return fail(400, 'invalid_request', `${what} repeated`)
  }

  const authorization = req.headers.authorization
  const credentials = extractCredentials(
    authorization,
    authorization !== undefined && hasRepeatedAuthorization(req.rawHeaders),
    params,
  )
  entry.authMethod = credentials.method
  if (credentials.clientId !== undefined) entry.clientId = credentials.clientId
  if (credentials.basicFormEncoded !== undefined) entry.basicFormEncoded = credentials.basicFormEncoded
  if (!credentials.ok) return fail(credentials.status, credentials.error, credentials.description)
  const { clientId, secret } = credentials

  const scopeParam = firstValue(params, 'scope')
  const fault = context.faults[takeFault](clientId, scopeParam)
  let extraFields: Record<string, unknown> | undefined
  if (fault !== undefined) {
    entry.fault = fault.type
    switch (fault.type) {
      case 'status':
        entry.status = fault.status
        return sendRaw(
          res,
          fault.status,
          fault.body ?? TEMPORARILY_UNAVAILABLE,
          fault.contentType ?? 'application/json',
          fault.headers,
        )
      case 'body':
        entry.status = fault.status ?? 200
        return sendRaw(res, entry.status, fault.body, fault.contentType ?? 'application/json')
      case 'drop':
        entry.status = 0
        req.socket.destroy()
        return
      case 'delay':
        logNow()
        // Cut short when the server closes or the client gives up: nobody is left to answer.
        if (await hold(fault.ms, context.signal, res)) return
        break
      case 'token':
        extraFields = fault.fields
        break
    }
  }

  const throttle = context.throttle
  if (throttle !== undefined && clientId !== undefined) {
    const retryAfter = throttle.retryAfterSeconds(clientId)
    if (retryAfter !== undefined) {
      entry.status = 429
      entry.error = 'invalid_client'
      return sendJson(res, 429, THROTTLED, { 'retry-after': String(retryAfter) })
    }
  }
  if (clientId === undefined) return fail(401, 'invalid_client', 'client authentication required')
  const client = secret === undefined ? undefined : context.registry.authenticate(clientId, secret, context.clock.now())
  if (client === undefined) {
    throttle?.recordFailure(clientId)
    return fail(401, 'invalid_client', 'client authentication failed')
  }
  throttle?.reset(clientId)

  const grantType = firstValue(params, 'grant_type')
  if (grantType === undefined) return fail(400, 'invalid_request', 'grant_type is required')
  if (grantType !== 'client_credentials') {
    return fail(400, 'unsupported_grant_type', 'only client_credentials is supported')
  }
  if (!client.grantTypes.has(grantType)) {
    return fail(400, 'unauthorized_client', 'the client may not use the client_credentials grant')
  }

  let granted: readonly string[] = client.scopes
  if (scopeParam !== undefined) {
    const requested = parseScope(scopeParam)
    if (requested === undefined) return fail(400, 'invalid_scope', 'malformed scope')
    for (const scope of requested) {
      if (!client.scopeSet.has(scope)) return fail(400, 'invalid_scope', 'scope not allowed for this client')
    }
    granted = requested
  }

  let resources: string[] = []
  const resourceValues = params.get('resource')
  if (resourceValues !== undefined) {
    resources = resourceValues.filter((value) => value !== '')
    for (const resource of resources) {
      if (!isResourceIndicator(resource)) {
        return fail(400, 'invalid_target', 'resource must be an absolute URI without a fragment')
      }
    }
  }

  const lifetime = client.tokenLifetime ?? context.tokenLifetime
  const accessToken = context.tokens.issue({ clientId, scope: granted, resources }, lifetime, context.clock.now())
  const response: Record<string, unknown> = { access_token: accessToken, token_type: 'Bearer', expires_in: lifetime }
  if (granted.length > 0) response['scope'] = granted.join(' ')
  if (extraFields !== undefined) {
    for (const [name, value] of Object.entries(extraFields)) {
      if (value === undefined) delete response[name]
      else response[name] = value
    }
  }
  entry.status = 200
  sendJson(res, 200, JSON.stringify(response))
}

/** Waits `ms` of real time; resolves true early when the server closes or the connection does. */
function hold(ms: number, closing: AbortSignal, res: ServerResponse): Promise<boolean> {
  if (closing.aborted || res.destroyed) return Promise.resolve(true)
  return new Promise((resolve) => {
    const done = (cutShort: boolean): void => {
      clearTimeout(timer)
      closing.removeEventListener('abort', onGone)
      res.off('close', onGone)
      resolve(cutShort)
    }
    const onGone = (): void => done(true)
    const timer = setTimeout(() => done(false), ms)
    closing.addEventListener('abort', onGone)
    res.on('close', onGone)
  })
}

/** The body parameters for the log: every value, never `client_secret`. */
function paramsForLog(params: FormParams): Record<string, string[]> {
  const entries: [string, string[]][] = []
  for (const [name, values] of params) if (name !== 'client_secret') entries.push([name, values])
  return Object.fromEntries(entries)
}

function hasQueryCredentials(query: string): boolean {
  const search = new URLSearchParams(query)
  return search.has('client_id') || search.has('client_secret')
}

function hasRepeatedAuthorization(rawHeaders: readonly string[]): boolean {
  let count = 0
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index] as string
    if (name.length === 13 && name.toLowerCase() === 'authorization' && ++count > 1) return true
  }
  return false
}
