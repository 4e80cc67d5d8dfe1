// What the shared cache tests on a real redis-server set up alike: the server, the connection the
// clients' caches share and one of the test's own, a token server, and TokenClients that each stand
// for one process of a fleet (they share nothing but Redis), whose shared caches report their
// trouble into one list; started before the tests of a describe, reset before each, closed after.
import { after, before, beforeEach } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createClient } from 'redis'
import { TokenClient, type SharedCacheError, type SharedTokenCacheOptions, type TokenClientOptions } from '../../src/index.js'
import { redisTokenCache } from '../../src/redis/index.js'
import { startRedisServer, type RedisServer } from './redis-server.js'
import { LEAK_PROBE_SECRET } from './secrets.js'

/** A node-redis connection, as the fixture makes them. */
export type RedisConnection = ReturnType<typeof createClient>

/** What the fixture needs of a token server: a counting token server or the reference server. */
export interface TokenEndpoint {
  readonly tokenUrl: string
  /** Puts the server's test settings back before each test, when it has any. */
  reset?(): void
  close(): Promise<void>
}

/** How to set up a {@link SharedCacheFixture}. */
export interface SharedCacheFixtureOptions<Tokens extends TokenEndpoint> {
  /** The client id of every process client; each has the secret `LEAK_PROBE_SECRET`. */
  readonly clientId: string
  /** Starts the token server the clients ask; it is closed after the tests. */
  readonly startTokenServer: () => Promise<Tokens>
  /**
   * Options every process client gets, under those of the call.
   *
   * @default {}
   * @example
   * sharedCacheFixture({ clientId, startTokenServer: startCountingTokenServer, clientOptions: { retry: false } })
   */
  readonly clientOptions?: Partial<TokenClientOptions>
}

/** A redis-server, a token server and the fleet's TokenClients; what is started is there once the tests run. */
export interface SharedCacheFixture<Tokens extends TokenEndpoint> {
  /** The redis-server, without persistence. */
  readonly redisServer: RedisServer
  /** The connection the process clients' shared caches use by default. */
  readonly redis: RedisConnection
  /** A connection of the test's own, no client's, for what another party does to Redis (KEYS, SET, FLUSHALL...). */
  readonly admin: RedisConnection
  /** The token server the clients ask. */
  readonly tokenServer: Tokens
  /** Every client made in the current test: closed before the next one. A client a test makes itself goes here too. */
  readonly clients: TokenClient[]
  /** What the process clients' shared caches reported through `onError`, in the current test. */
  readonly troubles: SharedCacheError[]
  /**
   * A new client that stands for one process: `redisTokenCache(connection, { onError, ...options })`
   * as its shared cache, whose `onError` adds to {@link troubles}.
   */
  processClient(
    options?: SharedTokenCacheOptions,
    extra?: Partial<TokenClientOptions>,
    connection?: Parameters<typeof redisTokenCache>[0],
  ): TokenClient
  /** The names of the entries in Redis (leases left out), sorted. */
  storedEntryNames(): Promise<string[]>
}

/**
 * The set-up of the shared cache tests of a `describe`, whose hooks it registers (call it in the
 * describe's body): `before()` starts the redis-server, its two connections and the token server;
 * `beforeEach()` closes the clients, empties Redis, forgets the troubles and resets the token
 * server; `after()` closes the clients and stops everything. What it starts can be read once the
 * tests run; `processClient`, `storedEntryNames`, `clients` and `troubles` can be taken out at once.
 *
 * @example
 * describe('sharing', { skip: skipWithoutRedis() }, () => {
 *   const fixture = sharedCacheFixture({ clientId: 'svc', startTokenServer: startCountingTokenServer })
 *   const { processClient } = fixture
 *   test('a second process reads the first one\'s token', async () => {
 *     const first = await processClient().getToken('orders:read')
 *     await until(async () => (await fixture.storedEntryNames()).length === 1)
 *     assert.equal((await processClient().getToken('orders:read')).accessToken, first.accessToken)
 *   })
 * })
 */
export function sharedCacheFixture<Tokens extends TokenEndpoint>(options: SharedCacheFixtureOptions<Tokens>): SharedCacheFixture<Tokens> {
  let redisServer: RedisServer | undefined
  let redis: RedisConnection | undefined
  let admin: RedisConnection | undefined
  let tokenServer: Tokens | undefined
  const clients: TokenClient[] = []
  const troubles: SharedCacheError[] = []
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('what the shared cache fixture starts is there in the tests of its describe, not before or after')
    return value
  }
  const closeClients = () => Promise.all(clients.splice(0).map((client) => client.close()))
  const connect = async (url: string): Promise<RedisConnection> => {
    const connection: RedisConnection = createClient({ url })
    connection.on('error', () => {})
    await connection.connect()
    return connection
  }
  before(async () => {
    redisServer = await startRedisServer()
    redis = await connect(redisServer.url)
    admin = await connect(redisServer.url)
    tokenServer = await options.startTokenServer()
  })
  beforeEach(async () => {
    await closeClients()
    await started(admin).flushAll()
    troubles.length = 0
    started(tokenServer).reset?.()
  })
  after(async () => {
    await closeClients()
    redis?.destroy()
    admin?.destroy()
    await tokenServer?.close()
    await redisServer?.stop()
    redisServer = redis = admin = tokenServer = undefined
  })
  return {
    get redisServer() {
      return started(redisServer)
    },
    get redis() {
      return started(redis)
    },
    get admin() {
      return started(admin)
    },
    get tokenServer() {
      return started(tokenServer)
    },
    clients,
    troubles,
    processClient(cacheOptions = {}, extra = {}, connection = started(redis)) {
      const client = new TokenClient({
        tokenUrl: started(tokenServer).tokenUrl,
        clientId: options.clientId,
        clientSecret: LEAK_PROBE_SECRET,
        ...options.clientOptions,
        sharedCache: redisTokenCache(connection, { onError: (error) => troubles.push(error), ...cacheOptions }),
        ...extra,
      })
      clients.push(client)
      return client
    },
    async storedEntryNames() {
      return (await started(admin).keys('*')).filter((name) => !name.endsWith(':lease')).sort()
    },
  }
}

/**
 * Resolves once `check()` resolves true, asking again every 5 ms; rejects after `timeoutMs`. For
 * what a shared cache does in the background (an entry written, a lease let go), seen in Redis.
 *
 * @example
 * await until(async () => (await fixture.storedEntryNames()).length === 1)
 */
export async function until(check: () => Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error('timed out waiting')
    await sleep(5)
  }
}
