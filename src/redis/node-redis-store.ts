import { invalidArgument } from '../errors/invalid-argument.js'
import type { SharedTokenStore } from '../shared-cache/shared-token-store.js'
import type { NodeRedisConnection } from './redis-connection.js'
import { scriptedStore } from './scripted-store.js'

/**
 * The store on a node-redis client or cluster. node-redis sends nothing before `connect()` (its
 * commands reject with `ClientClosedError`), so a client that is not open is refused here, where the
 * mistake is made, rather than turning every store call into a miss.
 */
export function nodeRedisStore(client: NodeRedisConnection): SharedTokenStore {
  if (!client.isOpen) {
    throw invalidArgument('redis', 'is a node-redis client that is not open: await client.connect() first, then call redisStore(client)')
  }
  // A cluster has `masters`; a client does not.
  const description = 'masters' in client ? 'redis (node-redis cluster)' : 'redis (node-redis)'
  return scriptedStore(
    {
      evalOnKey: (script, key, args) => client.eval(script, { keys: [key], arguments: [...args] }),
      // Sent together: node-redis writes the commands of one tick in one go.
      readWithTtl: (key, maxLength) => Promise.all([client.getRange(key, 0, maxLength), client.pTTL(key)]),
    },
    description,
  )
}
