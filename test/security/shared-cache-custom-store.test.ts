// A careless or broken custom SharedTokenStore (sharedTokenCache(store)) against the shared token
// cache. Every store here is hand-written ON PURPOSE: a store that throws synchronously, never
// settles, or resolves with values of the wrong type (an object without a prototype, a number for
// a lease, a Buffer) is a fault no real redis-server can produce; the Redis adapter turns every odd
// reply into a rejection before it reaches the cache. The contract says what a store should
// return; these tests are about what the client does when one does not: `getToken()` must never
// reject, nor stall, because of the store.
//
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { TokenClient, sharedTokenCache, type SharedCacheError, type SharedTokenCacheOptions, type SharedTokenStore } from '../../src/index.js'
import { startCountingTokenServer, type CountingTokenServer } from '../helpers/counting-token-server.js'
import { memoryStore } from '../helpers/memory-store.js'
import { LEAK_PROBE_SECRET } from '../helpers/secrets.js'

const CLIENT_ID = 'custom-store-svc'
const SCOPE = 'orders:read'


describe('shared cache on a broken custom store', { timeout: 60_000 }, () => {
  let tokens: CountingTokenServer
  let clients: TokenClient[] = []
  let troubles: SharedCacheError[] = []
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => unhandled.push(reason)

  before(async () => {
    tokens = await startCountingTokenServer()
    process.on('unhandledRejection', onUnhandled)
    process.on('uncaughtException', onUnhandled)
  })
  after(async () => {
    await Promise.all(clients.map((client) => client.close()))
    await tokens.close()
    process.off('unhandledRejection', onUnhandled)
    process.off('uncaughtException', onUnhandled)
  })
  beforeEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()))
    troubles = []
    unhandled.length = 0
    tokens.reset()
  })

  const clientOn = (store: SharedTokenStore, options: SharedTokenCacheOptions = {}) => {
    const client = new TokenClient({
      tokenUrl: tokens.tokenUrl,
      clientId: CLIENT_ID,
      clientSecret: LEAK_PROBE_SECRET,
      retry: false,
      sharedCache: sharedTokenCache(store, { onError: (error) => troubles.push(error), ...options }),
    })
    clients.push(client)
    return client
  }

  const garbage: Array<[string, unknown]> = [
    ['a number', 42],
    ['an array', ['v1', 'x']],
    ['a Buffer', Buffer.from('v1.AAAAAAAA.AAAA')],
    ['a symbol', Symbol('entry')],
    ['a boolean', true],
    ['a plain object', { entry: 'v1' }],
    ['a Map', new Map([['a', 'b']])],
  ]
  for (const [what, value] of garbage) {
    test(`get() resolving with ${what} is a miss, reported as malformed; the token comes from the server`, async () => {
      const client = clientOn(memoryStore({ get: async () => value }))
      const token = await client.getToken(SCOPE)
      assert.match(token.accessToken, /^tok-/)
      assert.ok(troubles.some((error) => error.code === 'SHARED_CACHE_ENTRY_REJECTED' && error.reason === 'malformed'))
    })
  }

  for (const [what, value] of [
    ['an object without a prototype (Object.create(null))', Object.create(null)],
    ['an object whose toString() throws', { toString: () => { throw new Error(`store blew up holding ${LEAK_PROBE_SECRET}`) } }],
    ['an object whose Symbol.toPrimitive throws', { [Symbol.toPrimitive]: () => { throw new TypeError('no primitive') } }],
  ] as const) {
    test(`get() resolving with ${what} is a rejected entry, never a rejected getToken()`, async () => {
      // fleet-cache.ts #read: `this.#rejected(String(sealed), 'malformed')`: String() throws for these,
      // inside acquire(), and the throw is the caller's rejection (with the store's own error).
      const client = clientOn(memoryStore({ get: async () => value }))
      let outcome: unknown
      try {
        outcome = (await client.getToken(SCOPE)).accessToken
      } catch (error) {
        outcome = error
      }
      assert.ok(typeof outcome === 'string' && outcome.startsWith('tok-'), `getToken() rejected: ${String((outcome as Error)?.message)}`)
    })
  }

  for (const [what, reply] of [
    ["'OK' (what SET ... NX answers when it sets)", 'OK'],
    ['1 (what SETNX answers when it sets)', 1],
  ] as const) {
    test(`takeLease() resolving with ${what} is a store failure (reported, the token fetched at once), not a lease held by another process`, async () => {
      const client = clientOn(memoryStore({ takeLease: async () => reply }), { maxWaitMs: 3_000 })
      const started = performance.now()
      await client.getToken(SCOPE)
      const elapsed = performance.now() - started
      // `taken === true ? lease : 'held'`: any other value is taken for a lease held elsewhere. A
      // value that is not a boolean is a broken store: it should be reported as such, and the call
      // should go on at once (as for a store failure), not wait.
      assert.ok(elapsed < 1_000, `the cold call took ${elapsed.toFixed(0)} ms`)
      assert.ok(
        troubles.some((error) => error.operation === 'takeLease' && error.code !== 'SHARED_CACHE_WAIT_EXCEEDED'),
        `reported: ${troubles.map((error) => error.code).join(', ')}`,
      )
    })
  }

  test('a store whose every method throws synchronously: calls succeed, each failure is reported, nothing escapes', async () => {
    const thrower = () => {
      throw new Error('sync throw')
    }
    const client = clientOn(memoryStore({ get: thrower, set: thrower, deleteIfEquals: thrower, takeLease: thrower, renewLease: thrower, releaseLease: thrower }))
    const got = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((scope) => client.getToken(scope)))
    assert.equal(got.length, 5)
    assert.doesNotThrow(() => client.invalidate('a'))
    assert.doesNotThrow(() => client.invalidate())
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.ok(troubles.some((error) => error.code === 'SHARED_CACHE_UNAVAILABLE'))
    assert.ok(troubles.some((error) => error.code === 'SHARED_CACHE_SKIPPED'))
    assert.deepEqual(unhandled, [])
  })

  test('a store that never settles: the first cold calls cost one operation timeout, and after the breaker opens nothing', async () => {
    const never = () => new Promise(() => {})
    const client = clientOn(memoryStore({ get: never, set: never, deleteIfEquals: never, takeLease: never, renewLease: never, releaseLease: never }), {
      operationTimeoutMs: 100,
    })
    // A ref'd timer of the test's own: a promise that never settles holds no handle, and the
    // operation timeout is unref()'d (guarded-store.ts), so without this the event loop empties in
    // the middle of getToken(). That is a finding of its own: see shared-cache-lifecycle.test.ts.
    const keepAlive = setInterval(() => {}, 1_000)
    const timings: number[] = []
    try {
      for (const scope of ['s1', 's2', 's3', 's4', 's5', 's6']) {
        const started = performance.now()
        await client.getToken(scope)
        timings.push(performance.now() - started)
      }
    } finally {
      clearInterval(keepAlive)
    }
    // Each of the first three waits for one get() to time out (100 ms); then the breaker is open.
    for (const ms of timings.slice(0, 3)) assert.ok(ms < 400, `a cold call took ${ms.toFixed(0)} ms`)
    for (const ms of timings.slice(3)) assert.ok(ms < 50, `with the breaker open a cold call took ${ms.toFixed(0)} ms`)
    assert.ok(troubles.some((error) => error.code === 'SHARED_CACHE_TIMEOUT'))
  })

  test('renewLease() throwing while a slow token request runs: the request finishes, nothing escapes', async () => {
    tokens.delayMs = 600
    const client = clientOn(
      memoryStore({
        renewLease: () => {
          throw new Error('renew blew up')
        },
      }),
      { leaseMs: 150 },
    )
    const token = await client.getToken(SCOPE)
    assert.match(token.accessToken, /^tok-/)
    assert.ok(troubles.some((error) => error.operation === 'renewLease'))
    assert.deepEqual(unhandled, [])
  })

  test('sharedTokenCache() refuses what is not a store, naming the option', () => {
    for (const notAStore of [null, undefined, 42, 'redis', {}, { get: async () => null }, Promise.resolve(memoryStore())]) {
      assert.throws(() => sharedTokenCache(notAStore as never), { code: 'ERR_INVALID_ARG_VALUE', message: /store/ })
    }
  })
})
