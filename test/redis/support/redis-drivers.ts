// The four drivers the Redis store is tested with (node-redis 6 and 5, ioredis 6 and 5), each able to
// connect to one server or to a cluster and to look at a key with its own commands, so that a test
// checks what the store wrote without going through the store.
import { Cluster as IoredisCluster6, Redis as Ioredis6 } from 'ioredis'
import { Cluster as IoredisCluster5, Redis as Ioredis5 } from 'ioredis-v5'
import * as nodeRedis6 from 'redis'
import * as nodeRedis5 from 'redis-v5'
import type { IoredisConnection, NodeRedisConnection, RedisConnection } from '../../../src/redis/index.js'
import type { RedisNode } from '../../helpers/redis-server.js'

/** One driver's connection, as a test uses it. */
export interface DriverConnection {
  /** What the test gives `redisStore()`. */
  readonly redis: RedisConnection
  /** The same connection with Buffer replies, where the driver has such a mode (node-redis type mappings). */
  readonly bufferReplies?: RedisConnection
  /** `PTTL key`, with the driver's own command. */
  pttl(key: string): Promise<number>
  /** `SET key value` without a time to live, with the driver's own command. */
  setForever(key: string, value: string): Promise<unknown>
  /** `GET key` as bytes, with the driver's own command. */
  getBytes(key: string): Promise<Buffer | null>
  /** Closes the connection at once, rejecting whatever is queued. */
  close(): void
}

/** How a test connects. */
export interface ConnectOptions {
  /**
   * Reject commands at once while disconnected instead of queueing them (node-redis
   * `disableOfflineQueue`, ioredis `enableOfflineQueue: false` and `maxRetriesPerRequest: 0`).
   */
  readonly failFast?: boolean
}

/** A driver under test. */
export interface Driver {
  /** `node-redis 6`, `ioredis 5`... */
  readonly name: string
  /** The name it is installed under in node_modules (`redis-v5` is `npm:redis@5`), which a store process is told. */
  readonly packageName: 'redis' | 'redis-v5' | 'ioredis' | 'ioredis-v5'
  readonly family: 'node-redis' | 'ioredis'
  standalone(node: RedisNode, options?: ConnectOptions): Promise<DriverConnection>
  cluster(nodes: readonly RedisNode[]): Promise<DriverConnection>
}

const ignore = () => {}

/** What the tests use of a node-redis client or cluster, v5 or v6 (their types differ too much to unite). */
interface NodeRedisTestClient extends NodeRedisConnection {
  on(event: 'error', listener: (error: Error) => void): unknown
  connect(): Promise<unknown>
  pTTL(key: string): Promise<number>
  set(key: string, value: string): Promise<unknown>
  destroy(): void
}

/** How to make one version's clients: a client, a cluster, the same with Buffer replies. */
interface NodeRedisFactory {
  client(url: string, failFast: boolean): NodeRedisTestClient
  cluster(urls: string[]): NodeRedisTestClient
  withBufferReplies(client: NodeRedisTestClient): NodeRedisConnection
}

function nodeRedisDriver(name: string, packageName: 'redis' | 'redis-v5', factory: NodeRedisFactory): Driver {
  const open = async (client: NodeRedisTestClient): Promise<DriverConnection> => {
    client.on('error', ignore)
    await client.connect()
    const buffers = factory.withBufferReplies(client)
    return {
      redis: client,
      bufferReplies: buffers,
      pttl: (key) => client.pTTL(key),
      setForever: (key, value) => client.set(key, value),
      getBytes: async (key) => (await buffers.get(key)) as Buffer | null,
      close: () => client.destroy(),
    }
  }
  return {
    name,
    packageName,
    family: 'node-redis',
    standalone: (node, options = {}) => open(factory.client(`redis://${node.host}:${node.port}`, options.failFast === true)),
    cluster: (nodes) => open(factory.cluster(nodes.map((node) => `redis://${node.host}:${node.port}`))),
  }
}

/** What the tests use of an ioredis `Redis` or `Cluster`, v5 or v6. */
interface IoredisTestClient extends IoredisConnection {
  on(event: 'error', listener: (error: Error) => void): unknown
  connect(): Promise<unknown>
  pttl(key: string): Promise<number>
  set(key: string, value: string): Promise<unknown>
  getBuffer(key: string): Promise<Buffer | null>
  disconnect(): void
}

/** How to make one version's connections. */
interface IoredisFactory {
  redis(node: RedisNode, failFast: boolean): IoredisTestClient
  cluster(nodes: readonly RedisNode[]): IoredisTestClient
}

function ioredisDriver(name: string, packageName: 'ioredis' | 'ioredis-v5', factory: IoredisFactory): Driver {
  const open = async (redis: IoredisTestClient): Promise<DriverConnection> => {
    redis.on('error', ignore)
    await redis.connect()
    return {
      redis,
      pttl: (key) => redis.pttl(key),
      setForever: (key, value) => redis.set(key, value),
      getBytes: (key) => redis.getBuffer(key),
      close: () => redis.disconnect(),
    }
  }
  return {
    name,
    packageName,
    family: 'ioredis',
    standalone: (node, options = {}) => open(factory.redis(node, options.failFast === true)),
    cluster: (nodes) => open(factory.cluster(nodes)),
  }
}

const ioredisOptions = (failFast: boolean) => ({ lazyConnect: true, ...(failFast ? { enableOfflineQueue: false, maxRetriesPerRequest: 0 } : {}) })
const clusterNodes = (nodes: readonly RedisNode[]) => nodes.map((node) => ({ host: node.host, port: node.port }))

/** node-redis 6 and 5, ioredis 6 and 5 (v6 of both speaks RESP3 by default, v5 RESP2). */
export const DRIVERS: readonly Driver[] = [
  nodeRedisDriver('node-redis 6', 'redis', {
    client: (url, failFast) => nodeRedis6.createClient({ url, disableOfflineQueue: failFast }),
    cluster: (urls) => nodeRedis6.createCluster({ rootNodes: urls.map((url) => ({ url })) }),
    withBufferReplies: (client) => (client as ReturnType<typeof nodeRedis6.createClient>).withTypeMapping({ [nodeRedis6.RESP_TYPES.BLOB_STRING]: Buffer }),
  }),
  nodeRedisDriver('node-redis 5', 'redis-v5', {
    client: (url, failFast) => nodeRedis5.createClient({ url, disableOfflineQueue: failFast }),
    cluster: (urls) => nodeRedis5.createCluster({ rootNodes: urls.map((url) => ({ url })) }),
    withBufferReplies: (client) => (client as ReturnType<typeof nodeRedis5.createClient>).withTypeMapping({ [nodeRedis5.RESP_TYPES.BLOB_STRING]: Buffer }),
  }),
  ioredisDriver('ioredis 6', 'ioredis', {
    redis: (node, failFast) => new Ioredis6({ host: node.host, port: node.port, ...ioredisOptions(failFast) }),
    cluster: (nodes) => new IoredisCluster6(clusterNodes(nodes), { lazyConnect: true }),
  }),
  ioredisDriver('ioredis 5', 'ioredis-v5', {
    redis: (node, failFast) => new Ioredis5({ host: node.host, port: node.port, ...ioredisOptions(failFast) }),
    cluster: (nodes) => new IoredisCluster5(clusterNodes(nodes), { lazyConnect: true }),
  }),
]

/** The driver installed as `name`. */
export function driver(name: Driver['packageName']): Driver {
  const found = DRIVERS.find((each) => each.packageName === name)
  if (found === undefined) throw new Error(`no driver ${name}`)
  return found
}
