import { sharedTokenCache, type SharedTokenCache, type SharedTokenCacheOptions } from '../shared-cache/shared-token-cache.js'
import { redisStore, type RedisConnection } from './redis-store.js'

/**
 * A shared cache on Redis, for the `sharedCache` option of `TokenClient`: processes whose clients
 * share a Redis, token URL, client id and credential share tokens, and a fleet of any size makes one
 * token request per token. Takes a connected node-redis client (`createClient()` or `createCluster()`,
 * v5+) or an ioredis `Redis` or `Cluster` (v5+), whichever the application already has; the two
 * read each other's entries. The package imports neither: they are optional peer dependencies.
 *
 * What Redis holds: under `<prefix>{<HMAC of the cache key>}` an AES-256-GCM sealed entry whose time
 * to live ends at the token's usable end, and beside it, briefly, the lease of the process fetching
 * the next one. Redis trouble never fails a call (see {@link SharedTokenCacheOptions.onError}).
 * Closing the Redis connection is the application's, after the clients that use it.
 *
 * @param redis A connected node-redis client or cluster, or an ioredis `Redis` or `Cluster`.
 * @throws {TypeError} with code `ERR_INVALID_ARG_VALUE` for a value that is neither, a node-redis
 *   client that is not connected yet, or a wrong option.
 * @example
 * import { createClient } from 'redis'
 * import { TokenClient } from 'oauth2-client-credentials'
 * import { redisTokenCache } from 'oauth2-client-credentials/redis'
 *
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect()
 * const client = new TokenClient({ tokenUrl, clientId, clientSecret, sharedCache: redisTokenCache(redis) })
 * @example
 * import { Redis } from 'ioredis'
 * const sharedCache = redisTokenCache(new Redis(process.env.REDIS_URL!), { onError: (error) => log.warn(error.code) })
 */
export function redisTokenCache(redis: RedisConnection, options?: SharedTokenCacheOptions): SharedTokenCache {
  return sharedTokenCache(redisStore(redis), options)
}
