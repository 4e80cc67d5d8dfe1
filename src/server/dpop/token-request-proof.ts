/**
 * DPoP at the token endpoint (RFC 9449 §5, §8): the steps that offer the server's nonce and check
 * the proof of a token request, whose key the token is then bound to. They run after client
 * authentication and before the grant checks, so an unauthenticated caller learns nothing about
 * its proof; a proof refused is `400 invalid_dpop_proof`, a nonce missing or stale `400
 * use_dpop_nonce` with `DPoP-Nonce`.
 */
import { authenticatedClient } from '../clients/client-authentication.js'
import type { Step } from '../exchange/endpoint.js'
import type { Exchange } from '../exchange/exchange.js'
import { ServerError } from '../exchange/server-error.js'
import { dpopHeaders, verifyDpopProof } from './dpop-proof.js'

const DPOP_REQUIRED = new ServerError(400, 'invalid_request', 'this client requires DPoP-bound tokens')
const REFUSED_BY_FAULT = new ServerError(400, 'invalid_dpop_proof', 'the DPoP proof was refused (a scripted fault)')

/**
 * A step, first in the endpoint: while the server requires nonces (`dpop.nonce: 'required'`),
 * every answer carries the current one in `DPoP-Nonce` (RFC 9449 §8), errors and faults included.
 *
 * @example
 * const tokenEndpoint: Endpoint = [useServerQuirks, offerDpopNonce, requireMethod('POST'), ...]
 */
export const offerDpopNonce: Step = (exchange) => {
  const { dpop } = exchange.server
  if (dpop.nonce === 'required') exchange.res.setHeader('dpop-nonce', dpop.tokenNonces.current())
}

/**
 * A step, after `verifyClient` (and the DPoP fault): a request without a `DPoP` header goes on for
 * a Bearer token, unless the client has `dpopBoundAccessTokens` (400 `invalid_request`); one with a
 * `DPoP` header must carry a valid proof for `POST` at this endpoint's advertised URL
 * (`<issuer>/token` or `<issuer>/mtls/token`), see `verifyDpopProof`, and the token will be bound
 * to its key. An `invalid-dpop-proof` fault refuses the proof unread; a `use-dpop-nonce` fault
 * requires a nonce as `dpop.nonce: 'required'` would.
 *
 * @example
 * const tokenEndpoint: Endpoint = [..., verifyClient, applyScriptedDpopFault, checkDpopProof, checkGrantType, issueAccessToken]
 */
export const checkDpopProof: Step = (exchange) => {
  const proofs = dpopHeaders(exchange.req.rawHeaders)
  if (proofs.length === 0) {
    if (authenticatedClient(exchange).dpopBoundAccessTokens) throw DPOP_REQUIRED
    return
  }
  return verifyTokenRequestProof(exchange, proofs)
}

async function verifyTokenRequestProof(exchange: Exchange, proofs: readonly string[]): Promise<void> {
  const { server, dpopFault } = exchange
  const { dpop } = server
  exchange.dpop = {}
  if (dpopFault?.type === 'invalid-dpop-proof') throw REFUSED_BY_FAULT
  const forced = dpopFault?.type === 'use-dpop-nonce'
  if (forced) exchange.res.setHeader('dpop-nonce', dpop.tokenNonces.current())
  const expected = {
    method: 'POST',
    url: server.issuer + exchange.path,
    nonces: dpop.tokenNonces,
    requireNonce: forced || dpop.nonce === 'required',
  }
  const result = await verifyDpopProof(proofs, expected, dpop, server.clock.now())
  exchange.dpop = result.trace
  if (result.ok) {
    exchange.dpopJkt = result.jkt
    return
  }
  if (result.error === 'invalid_dpop_proof') throw new ServerError(400, 'invalid_dpop_proof', result.description)
  // The nonce to use: the current one, also when the current one is what the header already says.
  throw new ServerError(400, 'use_dpop_nonce', result.description, { 'dpop-nonce': dpop.tokenNonces.current() })
}
