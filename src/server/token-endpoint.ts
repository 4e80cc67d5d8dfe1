/**
 * The token endpoint (RFC 6749 §3.2, §4.4): POST `/token` with the client credentials grant.
 *
 * Checks run in this order, and the first that fails answers:
 * method (405) → body size (413) → credentials in the query (400) → Content-Type (400) →
 * form parsing: bad escape or repeated parameter (400) → credential extraction (400/401) →
 * fault script → throttle (429) → authentication (401) → grant_type (400) → scope (400) →
 * resource (400) → token issued (200).
 *
 * Quirks (see `quirks.ts`) shape the answer: the server's until the request names a client id, then
 * that client's own if it has any. Faults are applied as scripted; quirks never change them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  authenticateCaller,
  callerCredentials,
  failWith,
  readAuthenticatedForm,
  type FormRules,
} from './authenticated-form.js'
import type { RawBasicDecider } from './client-authentication.js'
import { takeFault } from './faults.js'
import { firstValue } from './form-body.js'
import { encodeFields, quirkedTokenFields, type Quirk, type TokenResponseFields } from './quirks.js'
import { isResourceIndicator } from './resource-indicator.js'
import { deliver, hold, WHOLE, type Delivery } from './response-delivery.js'
import { sendRaw } from './responses.js'
import { grantScope } from './scope-grant.js'
import type { PendingEntry, ServerContext } from './server-context.js'
import { mintAccessToken } from './token-format.js'

const RULES: FormRules = {
  repeatable: new Set(['resource']),
  unlogged: new Set(['client_secret']),
}
const TEMPORARILY_UNAVAILABLE = '{"error":"temporarily_unavailable"}'

/**
 * Handles one request to the token endpoint and fills in `entry` (status, error, client id, ...).
 * Resolves once the response is written, the socket dropped, the client gone, or the server closed.
 * `logNow` puts the entry in the log before it is complete: a request held by a `delay` fault is
 * logged when the delay starts (status 0 until it is answered, or 200 for a delay mid-body), so the
 * log shows every request seen.
 *
 * @example
 * await handleTokenRequest(context, req, res, entry, query, () => log[appendEntry](entry))
 */
export async function handleTokenRequest(
  context: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  entry: PendingEntry,
  query: string | undefined,
  logNow: () => void,
): Promise<void> {
  const fail = failWith(res, entry)
  useQuirks(entry, context.quirks)
  const params = await readAuthenticatedForm(context, req, res, entry, query, RULES)
  if (params === undefined) return
  const credentials = callerCredentials(req, params, entry, rawBasicDecider(context))
  useQuirks(entry, quirksFor(context, credentials.clientId))
  if (!credentials.ok) {
    authenticateCaller(context, res, entry, credentials)
    return
  }

  const scopeParam = firstValue(params, 'scope')
  const fault = context.faults[takeFault](credentials.clientId, scopeParam)
  let extraFields: Readonly<Record<string, unknown>> | undefined
  let delivery: Delivery = WHOLE
  if (fault !== undefined) {
    entry.fault = fault.type
    switch (fault.type) {
      case 'status':
        delete entry.quirks
        entry.status = fault.status
        return sendRaw(
          res,
          fault.status,
          fault.body ?? TEMPORARILY_UNAVAILABLE,
          fault.contentType ?? 'application/json',
          fault.headers,
        )
      case 'body':
        delete entry.quirks
        entry.status = fault.status ?? 200
        return sendRaw(res, entry.status, fault.body, fault.contentType ?? 'application/json')
      case 'drop':
        delete entry.quirks
        entry.status = 0
        req.socket.destroy()
        return
      case 'delay':
        if (fault.when === 'body') {
          delivery = { type: 'pause', ms: fault.ms }
          break
        }
        logNow()
        // Cut short when the server closes or the client gives up: nobody is left to answer.
        if (await hold(fault.ms, context.signal, res)) return
        break
      case 'truncate':
        delivery = { type: 'truncate' }
        break
      case 'token':
        extraFields = fault.fields
        break
    }
  }

  const client = authenticateCaller(context, res, entry, credentials)
  if (client === undefined) return
  const clientId = client.clientId

  const grantType = firstValue(params, 'grant_type')
  if (grantType === undefined) return fail(400, 'invalid_request', 'grant_type is required')
  if (grantType !== 'client_credentials') {
    return fail(400, 'unsupported_grant_type', 'only client_credentials is supported')
  }
  if (!client.grantTypes.has(grantType)) {
    return fail(400, 'unauthorized_client', 'the client may not use the client_credentials grant')
  }

  const grant = grantScope(client, scopeParam)
  if (grant === 'malformed') return fail(400, 'invalid_scope', 'malformed scope')
  if (grant === 'not-allowed') return fail(400, 'invalid_scope', 'scope not allowed for this client')

  let resources: readonly string[] = NO_RESOURCES
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
  const { token: accessToken, record } = mintAccessToken(
    { clientId, scope: grant.scopes, resources },
    lifetime,
    context.clock.now(),
    {
      format: client.tokenFormat ?? context.tokenFormat,
      keys: context.keys,
      issuer: context.issuer,
      defaultAudience: context.defaultAudience,
    },
  )
  context.tokens.add(accessToken, record)
  const success: TokenResponseFields =
    grant.text !== ''
      ? { access_token: accessToken, token_type: 'Bearer', expires_in: lifetime, scope: grant.text }
      : { access_token: accessToken, token_type: 'Bearer', expires_in: lifetime }
  const quirks = entry.quirks ?? NO_QUIRKS
  let response = quirkedTokenFields(success, quirks)
  if (extraFields !== undefined) response = withFields(response, extraFields)
  const { body, contentType } = encodeFields(response, quirks)
  entry.status = 200
  if (delivery === WHOLE) return sendRaw(res, 200, body, contentType)
  // A pause mid-body holds the request like a delay before headers does: log it now.
  if (delivery.type === 'pause') logNow()
  await deliver(
    res,
    200,
    { 'content-type': contentType, 'cache-control': 'no-store', pragma: 'no-cache' },
    body,
    delivery,
    context.signal,
  )
}

const NO_RESOURCES: readonly string[] = Object.freeze([])

/** The response members with a `token` fault's fields put in (set, or removed where `undefined`). */
function withFields(
  response: Readonly<Record<string, unknown>>,
  fields: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const changed: Record<string, unknown> = { ...response }
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) delete changed[name]
    else changed[name] = value
  }
  return changed
}

const NO_QUIRKS: readonly Quirk[] = []

/** Notes the quirks in effect in the log entry, where the error responder also reads them. */
function useQuirks(entry: PendingEntry, quirks: readonly Quirk[]): void {
  if (quirks.length > 0) entry.quirks = quirks
  else delete entry.quirks
}

/** The quirks in effect for a claimed client id: its own, else the server's. */
function quirksFor(context: ServerContext, clientId: string | undefined): readonly Quirk[] {
  if (clientId === undefined) return context.quirks
  return context.registry.get(clientId)?.quirks ?? context.quirks
}

/**
 * Basic credentials are taken raw when the client they name has `raw-basic` in effect: looked up by
 * the user-id as sent, then as form-decoded; for an unknown client id, the server's quirks decide.
 */
function rawBasicDecider(context: ServerContext): RawBasicDecider {
  return (rawUserId, decodedUserId) => {
    const byRaw = context.registry.get(rawUserId)
    if (byRaw !== undefined) return (byRaw.quirks ?? context.quirks).includes('raw-basic')
    const byDecoded = decodedUserId === undefined ? undefined : context.registry.get(decodedUserId)
    return (byDecoded?.quirks ?? context.quirks).includes('raw-basic')
  }
}
