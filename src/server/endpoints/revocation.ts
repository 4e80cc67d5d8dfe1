/**
 * Token revocation (RFC 7009, checklist item 31): POST `/revoke` with `token=...`; the caller
 * authenticates as at the token endpoint. The answer is `200` with an empty body whether the token
 * was revoked, unknown, expired, or issued to another client; only in the first case is anything
 * revoked. `token_type_hint` is ignored (§2.1 allows that).
 */
import { authenticateClient, authenticatedClient } from '../clients/client-authentication.js'
import type { Endpoint } from '../exchange/endpoint.js'
import type { Exchange } from '../exchange/exchange.js'
import { respond } from '../exchange/respond.js'
import { readBody, readForm, requireMethod } from '../exchange/steps.js'
import { subjectToken, TOKEN_SUBJECT_FORM } from './token-subject.js'

/**
 * The revocation endpoint: the form and the caller's authentication as at the token endpoint
 * (405, 413, 400, 401, 429) → `token` present (400 `invalid_request`) → 200. The token is never logged.
 *
 * @example
 * await runEndpoint(revocationEndpoint, exchange)
 */
export const revocationEndpoint: Endpoint = [
  requireMethod('POST'),
  readBody,
  readForm(TOKEN_SUBJECT_FORM),
  ...authenticateClient,
  revoke,
]

/**
 * A client may revoke only its own tokens: another client's token is left alone and the answer is
 * the same `200` as for an unknown token, so a client cannot learn that someone else's token exists.
 */
function revoke(exchange: Exchange): void {
  const { tokens, clock } = exchange.server
  const client = authenticatedClient(exchange)
  const token = subjectToken(exchange)
  if (tokens.get(token, clock.now())?.clientId === client.clientId) tokens.delete(token)
  respond(exchange, 200, '', undefined)
}
