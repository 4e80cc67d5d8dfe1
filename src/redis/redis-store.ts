import { invalidArgument } from '../errors/invalid-argument.js'
import type { SharedTokenStore } from '../shared-cache/shared-token-store.js'
import { ioredisStore } from './ioredis-store.js'
import { nodeRedisStore } from './node-redis-store.js'
import type { IoredisConnection, NodeRedisConnection } from './redis-connection.js'

/** What {@link redisStore} accepts: a connected node-redis client or cluster, or an ioredis `Redis` or `Cluster`. */
export type RedisConnection = NodeRedisConnection | IoredisConnection

/**
 * A {@link SharedTokenStore} on Redis, for processes that share tokens: pass the connection your
 * service already has, a node-redis client or cluster (`redis` 5 or later, connected) or an ioredis
 * `Redis` or `Cluster` (`ioredis` 5 or later). Which one it is, is found out at run time; this
 * package imports neither, and installing the one you use is up to you.
 *
 * Reads are `GET`; every write is one Lua script (`EVAL`) on one key, so a lease is taken and given
 * back atomically and a cluster routes each call to its key's slot. The store does not time out or
 * retry: the driver's own settings apply (node-redis and ioredis queue commands while they reconnect),
 * and the shared cache times every call out itself. Add an `'error'` listener to the connection, as
 * node-redis and ioredis ask: a lost connection is emitted there as well.
 *
 * @param redis A connected node-redis client or cluster, or an ioredis `Redis` or `Cluster`.
 * @returns The store; its `description` is `redis (node-redis)`, `redis (node-redis cluster)`,
 *   `redis (ioredis)` or `redis (ioredis cluster)`.
 * @throws TypeError (code `ERR_INVALID_ARG_VALUE`) for a node-redis client that is not open yet (call
 *   `await client.connect()` first), and for a value that is neither driver's connection.
 *
 * @example
 * import { createClient } from 'redis'
 * import { redisStore } from 'oauth2-client-credentials/redis'
 *
 * const redis = await createClient({ url: process.env.REDIS_URL }).on('error', console.error).connect()
 * const store = redisStore(redis)
 *
 * @example
 * import { Redis } from 'ioredis'
 * import { redisStore } from 'oauth2-client-credentials/redis'
 *
 * const store = redisStore(new Redis(process.env.REDIS_URL!))
 */
export function redisStore(redis: RedisConnection): SharedTokenStore {
  if (isNodeRedis(redis)) return nodeRedisStore(redis)
  if (isIoredis(redis)) return ioredisStore(redis)
  throw invalidArgument(
    'redis',
    'must be a node-redis client or cluster (createClient() or createCluster() of redis 5 or later) or an ioredis Redis or Cluster (ioredis 5 or later)',
  )
}

/** Both drivers have `get` and `eval`; node-redis alone has a boolean `isOpen`. */
function isNodeRedis(value: unknown): value is NodeRedisConnection {
  return hasGetAndEval(value) && typeof (value as { isOpen?: unknown }).isOpen === 'boolean'
}

/** ioredis alone has a string `status` and a boolean `isCluster`. */
function isIoredis(value: unknown): value is IoredisConnection {
  if (!hasGetAndEval(value)) return false
  const { status, isCluster } = value as { status?: unknown; isCluster?: unknown }
  return typeof status === 'string' && typeof isCluster === 'boolean'
}

function hasGetAndEval(value: unknown): value is { get: unknown; eval: unknown } {
  if (typeof value !== 'object' || value === null) return false
  const { get, eval: evaluate } = value as { get?: unknown; eval?: unknown }
  return typeof get === 'function' && typeof evaluate === 'function'
}
