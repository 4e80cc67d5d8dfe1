/**
 * Authorization server metadata (RFC 8414, checklist item 29): what the server publishes about
 * itself, at `/.well-known/oauth-authorization-server` and, identical, at
 * `/.well-known/openid-configuration` (where openid-client looks by default). GET and HEAD only.
 */
import { CLIENT_AUTH_METHODS, type ReferenceAuthMethod } from '../clients/client-authentication.js'
import { CLIENT_SECRET_JWT_ALGORITHMS, PRIVATE_KEY_JWT_ALGORITHMS } from '../clients/client-keys.js'
import type { Endpoint } from '../exchange/endpoint.js'
import { respondJson } from '../exchange/respond.js'
import { requireMethod } from '../exchange/steps.js'
import { INTROSPECTION_PATH, JWKS_PATH, REVOCATION_PATH, TOKEN_PATH } from './paths.js'

/** A method the server advertises: a name in `CLIENT_AUTH_METHODS` (`none` and `multiple` are only what the log says). */
type AdvertisedAuthMethod = Exclude<ReferenceAuthMethod, 'none' | 'multiple'>

/** The client authentication methods of the token, introspection and revocation endpoints: the names in `CLIENT_AUTH_METHODS`. */
export const AUTH_METHODS_SUPPORTED: readonly AdvertisedAuthMethod[] = Object.freeze(
  CLIENT_AUTH_METHODS.map((method) => method.name) satisfies readonly AdvertisedAuthMethod[],
)

/**
 * The algorithms of client assertions (`private_key_jwt`, then `client_secret_jwt`), for the
 * `*_endpoint_auth_signing_alg_values_supported` members (RFC 8414 §2). Never `none`.
 */
export const AUTH_SIGNING_ALGORITHMS_SUPPORTED: readonly string[] = Object.freeze([
  ...PRIVATE_KEY_JWT_ALGORITHMS,
  ...CLIENT_SECRET_JWT_ALGORITHMS,
])

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
  /** `client_secret_basic`, `client_secret_post`, `client_secret_jwt` and `private_key_jwt`. */
  readonly token_endpoint_auth_methods_supported: readonly Exclude<ReferenceAuthMethod, 'none' | 'multiple'>[]
  /**
   * The algorithms of `private_key_jwt` (RS256/384/512, PS256/384/512, ES256/384/512, EdDSA,
   * Ed25519) and `client_secret_jwt` (HS256/384/512) assertions; never `none`.
   */
  readonly token_endpoint_auth_signing_alg_values_supported: readonly string[]
  /** The same methods as the token endpoint. */
  readonly introspection_endpoint_auth_methods_supported: readonly Exclude<ReferenceAuthMethod, 'none' | 'multiple'>[]
  /** The same algorithms as the token endpoint. */
  readonly introspection_endpoint_auth_signing_alg_values_supported: readonly string[]
  /** The same methods as the token endpoint. */
  readonly revocation_endpoint_auth_methods_supported: readonly Exclude<ReferenceAuthMethod, 'none' | 'multiple'>[]
  /** The same algorithms as the token endpoint. */
  readonly revocation_endpoint_auth_signing_alg_values_supported: readonly string[]
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
    token_endpoint_auth_signing_alg_values_supported: AUTH_SIGNING_ALGORITHMS_SUPPORTED,
    introspection_endpoint_auth_methods_supported: AUTH_METHODS_SUPPORTED,
    introspection_endpoint_auth_signing_alg_values_supported: AUTH_SIGNING_ALGORITHMS_SUPPORTED,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS_SUPPORTED,
    revocation_endpoint_auth_signing_alg_values_supported: AUTH_SIGNING_ALGORITHMS_SUPPORTED,
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
