import type { NormalizedParams } from '../request/token-params.js'

/**
 * The part of a cache key that is fixed for one client: token URL, client id, auth method, for
 * `private_key_jwt` the public key's RFC 7638 thumbprint and, with the `tls` option, the client
 * certificate's `x5t#S256` (RFC 8705 §3.1) and, with DPoP, the proof key's RFC 7638 thumbprint (`jkt`,
 * RFC 9449 §6, and whether a Bearer answer is accepted), so that two clients of one id with different
 * keys or certificates never share a token (a certificate-bound token works only with its certificate,
 * a DPoP-bound one only with its key). The secret or private key is never part of a key.
 *
 * @example
 * cacheKeyPrefix('https://id.example.com/token', 'svc', 'private_key_jwt', 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
 * @example
 * cacheKeyPrefix('https://id.example.com/token', 'svc', 'tls_client_auth', undefined, 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2')
 * @example
 * cacheKeyPrefix('https://id.example.com/token', 'svc', 'client_secret_basic', undefined, undefined, { thumbprint: 'oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U', acceptBearer: false })
 */
export function cacheKeyPrefix(
  tokenUrl: string,
  clientId: string,
  authMethod: string,
  keyThumbprint?: string,
  certificateThumbprint?: string,
  dpop?: { readonly thumbprint: string; readonly acceptBearer: boolean },
): string {
  const parts = keyThumbprint === undefined ? [tokenUrl, clientId, authMethod] : [tokenUrl, clientId, authMethod, keyThumbprint]
  // Labelled, so that a certificate's thumbprint can never be read as a key's, nor a DPoP key's as either.
  if (certificateThumbprint !== undefined) parts.push(`x5t#S256=${certificateThumbprint}`)
  if (dpop !== undefined) parts.push(`jkt=${dpop.thumbprint}${dpop.acceptBearer ? ';bearer-accepted' : ''}`)
  return JSON.stringify(parts)
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
