import type { NormalizedParams } from '../request/token-params.js'

/**
 * The part of a cache key that is fixed for one client: token URL, client id, auth method and, for
 * `private_key_jwt`, the public key's RFC 7638 thumbprint, so that two clients of one id with
 * different keys never share a token. The secret or private key is never part of a key.
 *
 * @example
 * cacheKeyPrefix('https://id.example.com/token', 'svc', 'private_key_jwt', 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
 */
export function cacheKeyPrefix(tokenUrl: string, clientId: string, authMethod: string, keyThumbprint?: string): string {
  return JSON.stringify(keyThumbprint === undefined ? [tokenUrl, clientId, authMethod] : [tokenUrl, clientId, authMethod, keyThumbprint])
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
