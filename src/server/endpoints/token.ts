/**
 * The token endpoint (RFC 6749 §3.2, §4.4): POST `/token` with the client credentials grant.
 *
 * Its steps run in the order of the checks (docs/reference-server.md, "The token endpoint"), and the
 * first that fails answers: method (405) → body size (413) → the form: credentials in the query,
 * Content-Type, bad escape, repeated parameter (400) → credentials (400/401) → fault script →
 * throttle (429) → authentication (401) → DPoP: DPoP faults, no proof from a client with
 * `dpopBoundAccessTokens` (400 `invalid_request`), the proof (400 `invalid_dpop_proof`), its nonce
 * (400 `use_dpop_nonce`) → grant_type (400) → scope (400) → resource (400) → token issued (200),
 * bound to the proof's key when there was one (`token_type: DPoP`). While nonces are required
 * every answer carries `DPoP-Nonce`.
 *
 * Quirks shape every answer: the server's until the request names a client id, then that client's
 * own if it has any. Faults are applied as scripted; quirks never change a fault that replaces the answer.
 */
import {
  authenticatedClient,
  CREDENTIAL_PARAMS,
  identifyClient,
  rejectUnusableCredentials,
  verifyClient,
} from '../clients/client-authentication.js'
import type { RegisteredClient } from '../clients/client-registry.js'
import type { Endpoint, Step } from '../exchange/endpoint.js'
import type { Exchange } from '../exchange/exchange.js'
import { firstValue, type FormParams } from '../exchange/form-body.js'
import { ServerError } from '../exchange/server-error.js'
import { checkDpopProof, offerDpopNonce } from '../dpop/token-request-proof.js'
import { readBody, readForm, requireMethod, type FormRules } from '../exchange/steps.js'
import type { TokenResponseFields } from '../test-controls/quirks.js'
import {
  answerTokenResponse,
  applyScriptedDpopFault,
  applyScriptedFault,
  rawBasicByQuirks,
  useClaimedClientQuirks,
  useServerQuirks,
} from '../test-controls/token-controls.js'
import { isResourceIndicator } from '../tokens/resource-indicator.js'
import { grantScope, type GrantedScope } from '../tokens/scope-grant.js'
import { mintAccessToken } from '../tokens/token-format.js'
import { peerCertificate } from '../tls/peer-certificate.js'
import { MTLS_PATH_PREFIX } from './paths.js'

/** The token request's form: `resource` may repeat (RFC 8707); the client's credentials are never logged. */
const TOKEN_FORM: FormRules = Object.freeze({ repeatable: new Set(['resource']), unlogged: CREDENTIAL_PARAMS })

const GRANT_TYPE_REQUIRED = new ServerError(400, 'invalid_request', 'grant_type is required')
const UNSUPPORTED_GRANT_TYPE = new ServerError(400, 'unsupported_grant_type', 'only client_credentials is supported')
const UNAUTHORIZED_CLIENT = new ServerError(400, 'unauthorized_client', 'the client may not use the client_credentials grant')

/** grant_type present (400 `invalid_request`) → `client_credentials` (400) → the client may use it (400). */
const checkGrantType: Step = (exchange) => {
  const grantType = firstValue(exchange.params, 'grant_type')
  if (grantType === undefined) throw GRANT_TYPE_REQUIRED
  if (grantType !== 'client_credentials') throw UNSUPPORTED_GRANT_TYPE
  if (!authenticatedClient(exchange).grantTypes.has(grantType)) throw UNAUTHORIZED_CLIENT
}

/** Grants the scope (400 `invalid_scope`) and the resources (400 `invalid_target`), mints and stores the token, answers. */
function issueAccessToken(exchange: Exchange): void | Promise<void> {
  const { server, params } = exchange
  const client = authenticatedClient(exchange)
  const scope = grantedScope(client, firstValue(params, 'scope'))
  const lifetime = client.tokenLifetime ?? server.tokenLifetime
  const grant = {
    clientId: client.clientId,
    scope: scope.scopes,
    resources: requestedResources(params),
    certificateThumbprint: boundCertificate(exchange),
    dpopJkt: exchange.dpopJkt,
  }
  const { token, record } = mintAccessToken(grant, lifetime, server.clock.now(), {
    format: client.tokenFormat ?? server.tokenFormat,
    keys: server.keys,
    issuer: server.issuer,
    defaultAudience: server.defaultAudience,
  })
  server.tokens.add(token, record)
  const tokenType = exchange.dpopJkt === undefined ? 'Bearer' : 'DPoP'
  const response: TokenResponseFields =
    scope.text === ''
      ? { access_token: token, token_type: tokenType, expires_in: lifetime }
      : { access_token: token, token_type: tokenType, expires_in: lifetime, scope: scope.text }
  return answerTokenResponse(exchange, response)
}

/**
 * The token endpoint's steps.
 *
 * @example
 * await runEndpoint(tokenEndpoint, exchange)
 */
export const tokenEndpoint: Endpoint = [
  useServerQuirks,
  offerDpopNonce,
  requireMethod('POST'),
  readBody,
  readForm(TOKEN_FORM),
  identifyClient({ rawBasic: rawBasicByQuirks }),
  useClaimedClientQuirks,
  rejectUnusableCredentials,
  applyScriptedFault,
  verifyClient,
  applyScriptedDpopFault,
  checkDpopProof,
  checkGrantType,
  issueAccessToken,
]

function grantedScope(client: RegisteredClient, scope: string | undefined): GrantedScope {
  const grant = grantScope(client, scope)
  if (grant === 'malformed') throw new ServerError(400, 'invalid_scope', 'malformed scope')
  if (grant === 'not-allowed') throw new ServerError(400, 'invalid_scope', 'scope not allowed for this client')
  return grant
}

/**
 * The certificate a token is bound to (RFC 8705 §3): at the mutual-TLS alias, the client
 * certificate of the connection, whatever method authenticated the client; nowhere else.
 */
function boundCertificate(exchange: Exchange): string | undefined {
  if (!exchange.server.mutualTls || !exchange.path.startsWith(`${MTLS_PATH_PREFIX}/`)) return undefined
  return peerCertificate(exchange.req)?.thumbprint
}

const NO_RESOURCES: readonly string[] = Object.freeze([])

/** The `resource` values (RFC 8707 §2), empty ones dropped; each must be an absolute URI without a fragment. */
function requestedResources(params: FormParams): readonly string[] {
  const values = params.get('resource')
  if (values === undefined) return NO_RESOURCES
  const resources = values.filter((value) => value !== '')
  if (!resources.every(isResourceIndicator)) {
    throw new ServerError(400, 'invalid_target', 'resource must be an absolute URI without a fragment')
  }
  return resources
}
