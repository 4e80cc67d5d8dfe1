/**
 * Where the test controls meet the token endpoint: the steps that put the quirks in effect and take
 * a scripted fault, and the success answer as quirks and faults shape it. The token endpoint lists
 * these among its steps; no other endpoint bends the rules.
 */
import type { RawBasicDecider } from '../clients/methods/client-secret-basic.js'
import { dpopHeaders } from '../dpop/dpop-proof.js'
import type { Step } from '../exchange/endpoint.js'
import { logExchange, type Exchange } from '../exchange/exchange.js'
import { firstValue } from '../exchange/form-body.js'
import { dropConnection, respond } from '../exchange/respond.js'
import type { ServerContext } from '../exchange/server-context.js'
import { deliverInParts, hold } from './delivery.js'
import { takeDpopFault, takeFault } from './faults.js'
import { encodeFields, quirkedTokenFields, type Quirk, type TokenResponseFields } from './quirks.js'

const TEMPORARILY_UNAVAILABLE = '{"error":"temporarily_unavailable"}'

/**
 * A step: the server's quirks are in effect until the request names a client id.
 *
 * @example
 * const tokenEndpoint: Endpoint = [useServerQuirks, requireMethod('POST'), ...]
 */
export const useServerQuirks: Step = (exchange) => {
  exchange.quirks = exchange.server.quirks
}

/**
 * A step, after `identifyClient`: the claimed client's own quirks are in effect if it has any,
 * else still the server's. Claimed, not verified: a quirky server answers a wrong secret quirkily.
 *
 * @example
 * const tokenEndpoint: Endpoint = [..., identifyClient(...), useClaimedClientQuirks, rejectUnusableCredentials, ...]
 */
export const useClaimedClientQuirks: Step = (exchange) => {
  exchange.quirks = quirksFor(exchange.server, exchange.clientId)
}

/**
 * The `raw-basic` quirk's decision for `identifyClient`: Basic credentials are taken raw when the
 * client they name has `raw-basic` in effect, looked up by the user-id as sent, then as form-decoded;
 * for an unknown client id, the server's quirks decide.
 *
 * @example
 * identifyClient({ rawBasic: rawBasicByQuirks })
 */
export function rawBasicByQuirks(server: ServerContext): RawBasicDecider {
  return (rawUserId, decodedUserId) => {
    const client = server.registry.get(rawUserId) ?? (decodedUserId === undefined ? undefined : server.registry.get(decodedUserId))
    return (client?.quirks ?? server.quirks).includes('raw-basic')
  }
}

/**
 * A step: takes the first scripted fault matching the request's claimed client id and scope.
 * `status`, `body` and `drop` answer at once; `delay` (before headers) holds the request, logged
 * with status 0 meanwhile, then lets it go on; the others shape the success answer
 * ({@link answerTokenResponse}).
 *
 * @example
 * const tokenEndpoint: Endpoint = [..., rejectUnusableCredentials, applyScriptedFault, verifyClient, ...]
 */
export const applyScriptedFault: Step = (exchange) => {
  const fault = exchange.server.faults[takeFault](exchange.clientId, firstValue(exchange.params, 'scope'))
  if (fault === undefined) return
  exchange.fault = fault
  switch (fault.type) {
    case 'status':
      return respond(exchange, fault.status, fault.body ?? TEMPORARILY_UNAVAILABLE, fault.contentType ?? 'application/json', fault.headers)
    case 'body':
      return respond(exchange, fault.status ?? 200, fault.body, fault.contentType ?? 'application/json')
    case 'drop':
      return dropConnection(exchange)
    case 'delay':
      return fault.when === 'body' ? undefined : holdRequest(exchange, fault.ms)
  }
}

/**
 * A step, after `verifyClient`: a request with a `DPoP` header takes the first scripted DPoP fault
 * (`use-dpop-nonce`, `invalid-dpop-proof`) matching its client id and scope, for `checkDpopProof`
 * to apply. Requests without a proof, and those refused before, leave DPoP faults waiting.
 *
 * @example
 * const tokenEndpoint: Endpoint = [..., verifyClient, applyScriptedDpopFault, checkDpopProof, ...]
 */
export const applyScriptedDpopFault: Step = (exchange) => {
  if (dpopHeaders(exchange.req.rawHeaders).length === 0) return
  exchange.dpopFault = exchange.server.faults[takeDpopFault](exchange.clientId, firstValue(exchange.params, 'scope'))
}

/** Holds a request `ms` of real time before it goes on, logged meanwhile with status 0. */
async function holdRequest(exchange: Exchange, ms: number): Promise<void> {
  logExchange(exchange)
  // Cut short when the server closes or the client gives up: nobody is left to answer.
  if (await hold(ms, exchange.server.signal, exchange.res)) exchange.done = true
}

/**
 * Answers a token response as the quirks in effect shape it (`lowercase-bearer`, `*-expires-in`,
 * `no-scope-echo`, `form-response`), with a `token` fault's fields merged in last, delivered whole
 * or as a `truncate` or mid-body `delay` fault says.
 *
 * @example
 * return answerTokenResponse(exchange, { access_token, token_type: 'Bearer', expires_in: 3600 })
 */
export function answerTokenResponse(exchange: Exchange, success: TokenResponseFields): void | Promise<void> {
  const { quirks, fault } = exchange
  let fields = quirkedTokenFields(success, quirks)
  if (fault?.type === 'token') fields = withFields(fields, fault.fields)
  const { body, contentType } = encodeFields(fields, quirks)
  if (fault?.type === 'truncate') return deliverInParts(exchange, 200, body, contentType, { type: 'truncate' })
  if (fault?.type === 'delay' && fault.when === 'body') {
    return deliverInParts(exchange, 200, body, contentType, { type: 'pause', ms: fault.ms })
  }
  respond(exchange, 200, body, contentType)
}

/** The quirks in effect for a claimed client id: its own, else the server's. */
function quirksFor(server: ServerContext, clientId: string | undefined): readonly Quirk[] {
  if (clientId === undefined) return server.quirks
  return server.registry.get(clientId)?.quirks ?? server.quirks
}

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
