/**
 * Authorization server metadata (RFC 8414, checklist item 29): what the server publishes about
 * itself, at `/.well-known/oauth-authorization-server` and, identical, at
 * `/.well-known/openid-configuration` (where openid-client looks by default). GET and HEAD only.
 */
import { CLIENT_AUTH_METHODS } from '../clients/client-authentication.js'
import type { Endpoint } from '../exchange/endpoint.js'
import { respondJson } from '../exchange/respond.js'
import { requireMethod } from '../exchange/steps.js'
import { INTROSPECTION_PATH, JWKS_PATH, REVOCATION_PATH, TOKEN_PATH } from './paths.js'

/** The client authentication methods of the token, introspection and revocation endpoints: the names in `CLIENT_AUTH_METHODS`. */
export const AUTH_METHODS_SUPPORTED: readonly ['client_secret_basic', 'client_secret_post'] = Object.freeze(
  CLIENT_AUTH_METHODS.map((method) => method.name) satisfies readonly ('client_secret_basic' | 'client_secret_post')[],
) as readonly ['client_secret_basic', 'client_secret_post']

/** The metadata document (RFC 8414 §2), as served. */
export interface AuthorizationServerMetadata {
  /** Identical to `server.issuer`: `http://127.0.0.1:<port>` or `http://[::1]:<port>`, no trailing slash. */
  readonly issuer: string
  /** `<issuer>/token`. */
  readonly token_endpoint: string
  /** `<issuer>/jwks`: the JWK Set that verifies JWT access tokens. */
  readonly jwks_uri: string
  /** `<issuer>/introspect` (RFC 7662). */
  readonly introspection_endpoint: string
  /** `<issuer>/revoke` (RFC 7009). */
  readonly revocation_endpoint: string
  /** Only `client_credentials`. */
  readonly grant_types_supported: readonly ['client_credentials']
  /** Empty: there is no authorization endpoint, so no response type (the member is REQUIRED by RFC 8414 §2). */
  readonly response_types_supported: readonly []
  /** Every scope some registered client may ask for. */
  readonly scopes_supported: readonly string[]
  /** `client_secret_basic` and `client_secret_post`. */
  readonly token_endpoint_auth_methods_supported: typeof AUTH_METHODS_SUPPORTED
  /** The same methods as the token endpoint. */
  readonly introspection_endpoint_auth_methods_supported: typeof AUTH_METHODS_SUPPORTED
  /** The same methods as the token endpoint. */
  readonly revocation_endpoint_auth_methods_supported: typeof AUTH_METHODS_SUPPORTED
}

/**
 * The metadata of a server with this issuer and these scopes.
 *
 * @example
 * authorizationServerMetadata('http://127.0.0.1:41234', ['api:read']).token_endpoint
 * // 'http://127.0.0.1:41234/token'
 */
export function authorizationServerMetadata(issuer: string, scopes: readonly string[]): AuthorizationServerMetadata {
  return {
    issuer,
    token_endpoint: issuer + TOKEN_PATH,
    jwks_uri: issuer + JWKS_PATH,
    introspection_endpoint: issuer + INTROSPECTION_PATH,
    revocation_endpoint: issuer + REVOCATION_PATH,
    grant_types_supported: ['client_credentials'],
    response_types_supported: [],
    scopes_supported: scopes,
    token_endpoint_auth_methods_supported: AUTH_METHODS_SUPPORTED,
    introspection_endpoint_auth_methods_supported: AUTH_METHODS_SUPPORTED,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS_SUPPORTED,
  }
}

/**
 * The metadata endpoint, at both well-known paths: GET or HEAD (405 otherwise) → 200.
 *
 * @example
 * await runEndpoint(metadataEndpoint, exchange)
 */
export const metadataEndpoint: Endpoint = [
  requireMethod('GET'),
  (exchange) => {
    const { issuer, registry } = exchange.server
    respondJson(exchange, 200, JSON.stringify(authorizationServerMetadata(issuer, registry.scopes())))
  },
]
