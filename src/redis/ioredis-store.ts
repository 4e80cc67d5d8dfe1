import type { SharedTokenStore } from '../shared-cache/shared-token-store.js'
import type { IoredisConnection } from './redis-connection.js'
import { scriptedStore } from './scripted-store.js'

/**
 * The store on an ioredis `Redis` or `Cluster`. ioredis connects on its own (also with `lazyConnect`,
 * at the first command) and queues commands until it is ready, so any status is accepted.
 */
export function ioredisStore(redis: IoredisConnection): SharedTokenStore {
  return scriptedStore(
    {
      evalOnKey: (script, key, args) => redis.eval(script, 1, key, ...args),
      readWithTtl: (key, maxLength) => Promise.all([redis.getrange(key, 0, maxLength), redis.pttl(key)]),
    },
    redis.isCluster ? 'redis (ioredis cluster)' : 'redis (ioredis)',
  )
}
