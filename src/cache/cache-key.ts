import type { NormalizedParams } from '../request/token-params.js'

/**
 * The part of a cache key that is fixed for one client: token URL, client id and auth method.
 * The secret is never part of a key.
 */
export function cacheKeyPrefix(tokenUrl: string, clientId: string, authMethod: string): string {
  return JSON.stringify([tokenUrl, clientId, authMethod])
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
