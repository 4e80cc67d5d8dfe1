import type { NormalizedParams } from '../request/token-params.js'

/**
 * The part of a cache key that is fixed for one client: token URL, client id, auth method, for
 * `private_key_jwt` the public key's RFC 7638 thumbprint and, with the `tls` option, the client
 * certificate's `x5t#S256` (RFC 8705 §3.1), so that two clients of one id with different keys or
 * certificates never share a token (a certificate-bound token works only with its certificate). The
 * secret or private key is never part of a key.
 *
 * @example
 * cacheKeyPrefix('https://id.example.com/token', 'svc', 'private_key_jwt', 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
 * @example
 * cacheKeyPrefix('https://id.example.com/token', 'svc', 'tls_client_auth', undefined, 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2')
 */
export function cacheKeyPrefix(
  tokenUrl: string,
  clientId: string,
  authMethod: string,
  keyThumbprint?: string,
  certificateThumbprint?: string,
): string {
  const parts = keyThumbprint === undefined ? [tokenUrl, clientId, authMethod] : [tokenUrl, clientId, authMethod, keyThumbprint]
  // Labelled, so that a certificate's thumbprint can never be read as a key's.
  return JSON.stringify(certificateThumbprint === undefined ? parts : [...parts, `x5t#S256=${certificateThumbprint}`])
}

/**
 * The cache key of one token request: the client's prefix, the normalised scope set and the
 * normalised extra parameters. Equal requests give equal keys whatever order they were written in.
 *
 * @example
 * tokenCacheKey(prefix, ['a', 'b'], []) === tokenCacheKey(prefix, ['a', 'b'], [])
 */
export function tokenCacheKey(prefix: string, scopes: readonly string[], params: NormalizedParams): string {
  return `${prefix}\n${scopes.join(' ')}\n${params.length === 0 ? '' : JSON.stringify(params)}`
}
