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
