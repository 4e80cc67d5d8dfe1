/**
 * DPoP at the protected resource (RFC 9449 §7, §9): the step that offers the resource's own nonce,
 * and the check of the proof that comes with an `Authorization: DPoP` token: a valid proof for
 * this method at `<issuer>/resource`, with `ath` the hash of the token, signed by the key the token
 * is bound to, and with the resource's nonce when `dpop.resourceNonce` is on. Refusals are `401`
 * with a `WWW-Authenticate: DPoP` challenge: `invalid_dpop_proof`, or `use_dpop_nonce` with `DPoP-Nonce`.
 */
import type { Step } from '../exchange/endpoint.js'
import type { Exchange } from '../exchange/exchange.js'
import { ServerError } from '../exchange/server-error.js'
import { RESOURCE_PATH } from '../endpoints/paths.js'
import { dpopChallenge, type DpopChallenge } from './dpop-authorization.js'
import { dpopHeaders, verifyDpopProof } from './dpop-proof.js'

/**
 * A step, first at the resource: while the resource requires nonces (`dpop.resourceNonce`), every
 * answer carries its current one in `DPoP-Nonce` (RFC 9449 §9).
 *
 * @example
 * const protectedResourceEndpoint: Endpoint = [offerResourceNonce, readBody, serveResource]
 */
export const offerResourceNonce: Step = (exchange) => {
  const { dpop } = exchange.server
  if (dpop.resourceNonce) exchange.res.setHeader('dpop-nonce', dpop.resourceNonces.current())
}

/**
 * An error of the resource answered with a DPoP challenge, and a JSON body unless it has no error code.
 *
 * @example
 * throw dpopRefusal(exchange, 401, { error: 'invalid_token', errorDescription: 'the access token is unknown, expired or revoked' })
 */
export function dpopRefusal(
  exchange: Exchange,
  status: number,
  challenge: DpopChallenge,
  headers: Readonly<Record<string, string>> = {},
): ServerError {
  const description = challenge.errorDescription ?? challenge.error ?? 'no DPoP credentials'
  const www = { 'www-authenticate': dpopChallenge(challenge, exchange.server.dpop.algorithms), ...headers }
  return new ServerError(status, challenge.error, description, www)
}

/**
 * Checks the DPoP proof of a resource request that sent `accessToken`, a token bound to `boundJkt`
 * (see `verifyDpopProof` for the order); resolves once it passed, or throws the `401` to answer.
 *
 * @example
 * await checkResourceProof(exchange, token, record.dpopJkt)
 */
export async function checkResourceProof(exchange: Exchange, accessToken: string, boundJkt: string): Promise<void> {
  const { server, req } = exchange
  const { dpop } = server
  const proofs = dpopHeaders(req.rawHeaders)
  if (proofs.length === 0) {
    throw dpopRefusal(exchange, 401, { error: 'invalid_dpop_proof', errorDescription: 'the request has no DPoP proof (a DPoP header)' })
  }
  const expected = {
    method: req.method ?? '',
    url: server.issuer + RESOURCE_PATH,
    nonces: dpop.resourceNonces,
    requireNonce: dpop.resourceNonce,
    accessToken,
    boundJkt,
  }
  const result = await verifyDpopProof(proofs, expected, dpop, server.clock.now())
  exchange.dpop = result.trace
  if (result.ok) return
  if (result.error === 'invalid_dpop_proof') {
    throw dpopRefusal(exchange, 401, { error: 'invalid_dpop_proof', errorDescription: result.description })
  }
  throw dpopRefusal(
    exchange,
    401,
    { error: 'use_dpop_nonce', errorDescription: result.description },
    { 'dpop-nonce': dpop.resourceNonces.current() },
  )
}
