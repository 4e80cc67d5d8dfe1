/** The paths the reference server serves, relative to its issuer. */

/** The token endpoint (RFC 6749 §3.2). */
export const TOKEN_PATH = '/token'
/** The JWK Set of the signing keys (RFC 7517 §5), the metadata's `jwks_uri`. */
export const JWKS_PATH = '/jwks'
/** Token introspection (RFC 7662 §2). */
export const INTROSPECTION_PATH = '/introspect'
/** Token revocation (RFC 7009 §2). */
export const REVOCATION_PATH = '/revoke'
/** The protected resource (RFC 6750). */
export const RESOURCE_PATH = '/resource'
/** Authorization server metadata (RFC 8414 §3). */
export const OAUTH_METADATA_PATH = '/.well-known/oauth-authorization-server'
/** The OpenID Connect Discovery location of the same metadata (OpenID Connect Discovery 1.0 §4). */
export const OPENID_CONFIGURATION_PATH = '/.well-known/openid-configuration'

/**
 * With TLS on: the mutual-TLS aliases of the token, introspection and revocation endpoints (RFC 8705
 * §5, `mtls_endpoint_aliases`). Only there does the server look at the client certificate, to
 * authenticate (`tls_client_auth`, `self_signed_tls_client_auth`) and to bind tokens to it, as
 * Duende IdentityServer's `/connect/mtls/*` endpoints do.
 */
export const MTLS_PATH_PREFIX = '/mtls'
/** The mutual-TLS alias of the token endpoint. */
export const MTLS_TOKEN_PATH = `${MTLS_PATH_PREFIX}${TOKEN_PATH}`
/** The mutual-TLS alias of the introspection endpoint. */
export const MTLS_INTROSPECTION_PATH = `${MTLS_PATH_PREFIX}${INTROSPECTION_PATH}`
/** The mutual-TLS alias of the revocation endpoint. */
export const MTLS_REVOCATION_PATH = `${MTLS_PATH_PREFIX}${REVOCATION_PATH}`
