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
import {
  INTROSPECTION_PATH,
  JWKS_PATH,
  MTLS_INTROSPECTION_PATH,
  MTLS_REVOCATION_PATH,
  MTLS_TOKEN_PATH,
  REVOCATION_PATH,
  TOKEN_PATH,
} from './paths.js'

/** A method the server advertises: a name in `CLIENT_AUTH_METHODS` (`none` and `multiple` are only what the log says). */
type AdvertisedAuthMethod = Exclude<ReferenceAuthMethod, 'none' | 'multiple'>

/**
 * The client authentication methods of the token, introspection and revocation endpoints over TLS:
 * the names in `CLIENT_AUTH_METHODS`.
 */
export const AUTH_METHODS_SUPPORTED_OVER_TLS: readonly AdvertisedAuthMethod[] = Object.freeze(
  CLIENT_AUTH_METHODS.map((method) => method.name) satisfies readonly AdvertisedAuthMethod[],
)

/** The methods over plain HTTP: all but the mutual-TLS ones. */
export const AUTH_METHODS_SUPPORTED: readonly AdvertisedAuthMethod[] = Object.freeze(
  AUTH_METHODS_SUPPORTED_OVER_TLS.filter((name) => name !== 'tls_client_auth' && name !== 'self_signed_tls_client_auth'),
)

/**
 * The algorithms of client assertions (`private_key_jwt`, then `client_secret_jwt`), for the
 * `*_endpoint_auth_signing_alg_values_supported` members (RFC 8414 §2). Never `none`.
 */
export const AUTH_SIGNING_ALGORITHMS_SUPPORTED: readonly string[] = Object.freeze([
  ...PRIVATE_KEY_JWT_ALGORITHMS,
  ...CLIENT_SECRET_JWT_ALGORITHMS,
])

/** Where the server looks at client certificates (RFC 8705 §5): `mtls_endpoint_aliases` in the metadata. */
export interface MtlsEndpointAliases {
  /** `<issuer>/mtls/token`. */
  readonly token_endpoint: string
  /** `<issuer>/mtls/introspect`. */
  readonly introspection_endpoint: string
  /** `<issuer>/mtls/revoke`. */
  readonly revocation_endpoint: string
}

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
  /**
   * `client_secret_basic`, `client_secret_post`, `client_secret_jwt` and `private_key_jwt`; over
   * TLS also `tls_client_auth` and `self_signed_tls_client_auth` (RFC 8705).
   */
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
  /**
   * Over TLS only: where the server looks at client certificates (RFC 8705 §5), `<issuer>/mtls/token`,
   * `<issuer>/mtls/introspect` and `<issuer>/mtls/revoke`.
   */
  readonly mtls_endpoint_aliases?: MtlsEndpointAliases
  /** Over TLS only: `true`, tokens issued at the mutual-TLS alias are bound to the client certificate (RFC 8705 §3.3). */
  readonly tls_client_certificate_bound_access_tokens?: true
  /**
   * The algorithms DPoP proofs may be signed with (RFC 9449 §5.1): `dpop.algorithms`, by default
   * ES256/384/512, EdDSA, Ed25519, RS256/384/512, PS256/384/512. The server always takes DPoP.
   */
  readonly dpop_signing_alg_values_supported?: readonly string[]
}

/**
 * The metadata of a server with this issuer and these scopes, over plain HTTP or TLS, advertising
 * DPoP with these algorithms when they are given.
 *
 * @example
 * authorizationServerMetadata('http://127.0.0.1:41234', ['api:read']).token_endpoint
 * // 'http://127.0.0.1:41234/token'
 */
export function authorizationServerMetadata(
  issuer: string,
  scopes: readonly string[],
  overTls = false,
  dpopAlgorithms?: readonly string[],
): AuthorizationServerMetadata {
  const methods = overTls ? AUTH_METHODS_SUPPORTED_OVER_TLS : AUTH_METHODS_SUPPORTED
  const metadata: AuthorizationServerMetadata = {
    issuer,
    token_endpoint: issuer + TOKEN_PATH,
    jwks_uri: issuer + JWKS_PATH,
    introspection_endpoint: issuer + INTROSPECTION_PATH,
    revocation_endpoint: issuer + REVOCATION_PATH,
    grant_types_supported: ['client_credentials'],
    response_types_supported: [],
    scopes_supported: scopes,
    token_endpoint_auth_methods_supported: methods,
    token_endpoint_auth_signing_alg_values_supported: AUTH_SIGNING_ALGORITHMS_SUPPORTED,
    introspection_endpoint_auth_methods_supported: methods,
    introspection_endpoint_auth_signing_alg_values_supported: AUTH_SIGNING_ALGORITHMS_SUPPORTED,
    revocation_endpoint_auth_methods_supported: methods,
    revocation_endpoint_auth_signing_alg_values_supported: AUTH_SIGNING_ALGORITHMS_SUPPORTED,
  }
  const withDpop = dpopAlgorithms === undefined ? metadata : { ...metadata, dpop_signing_alg_values_supported: dpopAlgorithms }
  if (!overTls) return withDpop
  return {
    ...withDpop,
    mtls_endpoint_aliases: {
      token_endpoint: issuer + MTLS_TOKEN_PATH,
      introspection_endpoint: issuer + MTLS_INTROSPECTION_PATH,
      revocation_endpoint: issuer + MTLS_REVOCATION_PATH,
    },
    tls_client_certificate_bound_access_tokens: true,
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
    const { issuer, registry, mutualTls, dpop } = exchange.server
    const metadata = authorizationServerMetadata(issuer, registry.scopes(), mutualTls, dpop.algorithms)
    respondJson(exchange, 200, JSON.stringify(metadata))
  },
]
