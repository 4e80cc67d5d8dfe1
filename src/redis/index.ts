/**
 * Redis for the shared token cache, so that the processes of a service share their tokens:
 * {@link redisStore} turns a node-redis (`redis` 5 or later) or ioredis (5 or later) connection, to
 * one server or a cluster, into a `SharedTokenStore` (from `oauth2-client-credentials`). Neither
 * driver is a dependency of this package: install the one you use.
 *
 * @example
 * import { createClient } from 'redis'
 * import { redisStore } from 'oauth2-client-credentials/redis'
 *
 * const redis = await createClient({ url: process.env.REDIS_URL }).on('error', console.error).connect()
 * const store = redisStore(redis)
 *
 * @module oauth2-client-credentials/redis
 */
export { redisTokenCache } from './redis-token-cache.js'
export { redisStore } from './redis-store.js'
export type { RedisConnection } from './redis-store.js'
export type { IoredisConnection, NodeRedisConnection } from './redis-connection.js'
