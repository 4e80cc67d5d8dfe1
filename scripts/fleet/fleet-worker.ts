// One process of a fleet (forked by scripts/fleet/fleet.ts, never on its own): a TokenClient with a
// shared cache on Redis, driven over IPC by its parent, which counts the token requests at the server.
//
// Argument: one JSON object, a FleetWorkerConfig (see fleet.ts).
import type * as Package from '../../src/index.js'
import type * as PackageRedis from '../../src/redis/index.js'
import type { SharedCacheError, SharedTokenCacheOptions, SharedTokenStore, TokenClient } from '../../src/index.js'
import type { FleetReply, FleetRequest, FleetWorkerConfig, StoreCounts } from './fleet.js'
import { runProbe, type ProbeContext } from './fleet-probes.js'

const config = JSON.parse(process.argv[2] ?? '{}') as FleetWorkerConfig
const send = (message: FleetReply): void => void process.send?.(message)

// The package as the config says: its sources (through tsx), or dist/ by its name, as it ships.
const dist = config.build === 'dist'
const lib = (await import(dist ? 'oauth2-client-credentials' : '../../src/index.js')) as typeof Package
const redisLib = (await import(dist ? 'oauth2-client-credentials/redis' : '../../src/redis/index.js')) as typeof PackageRedis

async function connect(): Promise<{ redis: unknown; quit: () => Promise<unknown> }> {
  const nodes = config.redis.nodes
  if (config.driver.startsWith('ioredis')) {
    const { Redis, Cluster } = (await import(config.driver)) as typeof import('ioredis')
    const redis = config.redis.cluster
      ? new Cluster(nodes)
      : new Redis({ host: nodes[0]!.host, port: nodes[0]!.port })
    redis.on('error', () => {}) // reconnects on its own; trouble is reported through onError
    return { redis, quit: () => redis.quit().catch(() => redis.disconnect()) }
  }
  const { createClient, createCluster } = (await import(config.driver)) as typeof import('redis')
  const redis = config.redis.cluster
    ? createCluster({ rootNodes: nodes.map((node) => ({ url: `redis://${node.host}:${node.port}` })) })
    : createClient({ url: `redis://${nodes[0]!.host}:${nodes[0]!.port}` })
  redis.on('error', () => {}) // reconnects on its own; trouble is reported through onError
  await redis.connect()
  return { redis, quit: () => redis.quit().catch(() => redis.destroy()) }
}

const emptyCounts = (): StoreCounts => ({ get: 0, hits: 0, set: 0, takeLease: 0, leasesWon: 0, renewLease: 0, releaseLease: 0, deleteIfEquals: 0, failed: 0 })
let counts = emptyCounts()

/** The store with every operation counted on its way to the driver. */
function observed(store: SharedTokenStore): SharedTokenStore {
  const count = <T>(operation: Exclude<keyof StoreCounts, 'hits' | 'leasesWon' | 'failed'>, call: () => Promise<T>, after?: (value: T) => void): Promise<T> => {
    counts[operation]++
    return call().then(
      (value) => {
        after?.(value)
        return value
      },
      (error: unknown) => {
        counts.failed++
        throw error
      },
    )
  }
  return {
    ...(store.description !== undefined && { description: store.description }),
    get: (name, maxLength) => count('get', () => store.get(name, maxLength), (value) => void (value !== null && value !== undefined && counts.hits++)),
    set: (name, value, ttlMs) => count('set', () => store.set(name, value, ttlMs)),
    deleteIfEquals: (name, expected) => count('deleteIfEquals', () => store.deleteIfEquals(name, expected)),
    takeLease: (name, owner, ttlMs) => count('takeLease', () => store.takeLease(name, owner, ttlMs), (won) => void (won && counts.leasesWon++)),
    renewLease: (name, owner, ttlMs) => count('renewLease', () => store.renewLease(name, owner, ttlMs)),
    releaseLease: (name, owner) => count('releaseLease', () => store.releaseLease(name, owner)),
  }
}

const connection = config.plain === true ? undefined : await connect()
const options: SharedTokenCacheOptions = {
  ...config.sharedCache,
  onError: (error: SharedCacheError) => send({ event: 'sharedCacheError', code: error.code, reason: error.reason, message: error.message }),
}
const sharedCache =
  connection === undefined
    ? undefined
    : config.observe === true
      ? lib.sharedTokenCache(observed(redisLib.redisStore(connection.redis as never)), options)
      : redisLib.redisTokenCache(connection.redis as never, options)

/** A client of the config; `shared: false` makes one without the shared cache (a process as today). */
function newClient(shared: boolean): TokenClient {
  return new lib.TokenClient({
    tokenUrl: config.tokenUrl,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    ...(config.cache && { cache: config.cache }),
    retry: { retries: 2, minDelayMs: 20, maxDelayMs: 100 },
    ...(shared && sharedCache !== undefined && { sharedCache }),
  })
}

let client = newClient(true)

const probes: ProbeContext = {
  config,
  current: () => client,
  newClient,
  rawGet(name) {
    if (connection === undefined) throw new Error('a plain worker has no Redis connection')
    return (connection.redis as { get(name: string): Promise<unknown> }).get(name)
  },
}

async function handle(request: FleetRequest): Promise<FleetReply> {
  switch (request.op) {
    case 'get': {
      const started = performance.now()
      const results = await Promise.allSettled(Array.from({ length: request.concurrency }, () => client.getToken(request.scope)))
      return {
        id: request.id,
        tokens: results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.accessToken] : [])),
        errors: results.flatMap((result) => (result.status === 'rejected' ? [String((result.reason as { code?: string }).code ?? result.reason)] : [])),
        ms: performance.now() - started,
      }
    }
    case 'steady': {
      const tokens = new Set<string>()
      const errors: string[] = []
      let calls = 0
      const end = performance.now() + request.durationMs
      while (performance.now() < end) {
        try {
          tokens.add((await client.getToken(request.scope)).accessToken)
        } catch (error) {
          errors.push(String((error as { code?: string }).code ?? error))
        }
        calls++
        await new Promise((resolve) => setTimeout(resolve, request.intervalMs))
      }
      return { id: request.id, tokens: [...tokens], errors, ms: calls }
    }
    case 'invalidate':
      client.invalidate(request.scope)
      return { id: request.id, tokens: [], errors: [], ms: 0 }
    case 'renew': {
      const started = performance.now()
      await client.close()
      client = newClient(true)
      return { id: request.id, tokens: [], errors: [], ms: performance.now() - started }
    }
    case 'stats': {
      const data = counts
      counts = emptyCounts()
      return { id: request.id, tokens: [], errors: config.observe === true ? [] : ['stats needs observe: true'], ms: 0, data }
    }
    case 'probe': {
      const started = performance.now()
      const data = await runProbe(probes, request)
      return { id: request.id, tokens: [], errors: [], ms: performance.now() - started, data }
    }
    case 'close':
      await client.close()
      await probes.plain?.close()
      await connection?.quit()
      return { id: request.id, tokens: [], errors: [], ms: 0 }
  }
}

process.on('message', (request: FleetRequest) => {
  void handle(request).then(send, (error: unknown) => send({ id: request.id, tokens: [], errors: [error instanceof Error ? (error.stack ?? error.message) : String(error)], ms: 0 }))
  if (request.op === 'close') process.channel?.unref()
})
// The parent is gone (it crashed, or was killed): so is this process, with nothing left behind.
process.on('disconnect', () => process.exit(0))
send({ event: 'ready' })
