/**
 * The JWK Set of the signing keys (RFC 7517 §5) at `/jwks`, the metadata's `jwks_uri`: the public
 * keys that verify JWT access tokens, the current one first. GET and HEAD only.
 */
import type { Endpoint } from '../exchange/endpoint.js'
import { respondJson } from '../exchange/respond.js'
import { requireMethod } from '../exchange/steps.js'

/**
 * The JWK Set endpoint: GET or HEAD (405 otherwise) → 200.
 *
 * @example
 * await runEndpoint(jwksEndpoint, exchange)
 */
export const jwksEndpoint: Endpoint = [
  requireMethod('GET'),
  (exchange) => respondJson(exchange, 200, JSON.stringify(exchange.server.keys.jwks())),
]
