// The shared cache's entries on a real redis-server: what is stored (nothing readable), what a process
// does with an entry it cannot trust (a miss, reported, overwritten), invalidation by compare-and-
// delete, and times across clocks. Each TokenClient here stands for one process: separate clients
// share nothing but Redis. Multi-process behaviour is in fleet-processes.test.ts.
import assert from 'node:assert/strict'
import { beforeEach, describe, test } from 'node:test'
import { inspect } from 'node:util'
import { TokenClient } from '../../src/index.js'
import { redisTokenCache } from '../../src/redis/index.js'
import { startReferenceServer } from '../../src/server/index.js'
import { entryKeys, entryNames } from '../../src/shared-cache/entry-keys.js'
import { sealEntry } from '../../src/shared-cache/entry-seal.js'
import { cacheKeyPrefix, tokenCacheKey } from '../../src/cache/cache-key.js'
import { skipWithoutRedis } from '../helpers/redis-server.js'
import { LEAK_PROBE_SECRET } from '../helpers/secrets.js'
import { sharedCacheFixture, until } from '../helpers/shared-cache-fixture.js'
import { TestClock } from '../helpers/test-clock.js'

const CLIENT_ID = 'fleet-svc'
const SCOPE = 'orders:read'

describe('shared cache entries on redis-server', { skip: skipWithoutRedis() }, () => {
  const fixture = sharedCacheFixture({
    clientId: CLIENT_ID,
    startTokenServer: () => startReferenceServer({
      clients: [{ clientId: CLIENT_ID, clientSecret: LEAK_PROBE_SECRET, scopes: [SCOPE, 'orders:write'] }],
    }),
  })
  const { processClient, clients, troubles } = fixture
  beforeEach(() => fixture.tokenServer.log.clear())

  const tokenRequests = () => fixture.tokenServer.log.tokenRequests({ clientId: CLIENT_ID }).length
  const storedEntries = async () => {
    const names = await fixture.redis.keys('*')
    return Promise.all(names.map(async (name) => ({ name, value: (await fixture.redis.get(name)) ?? '' })))
  }
  /** The name and key a client of the fixture uses for `scope`, worked out as the client does. */
  const internals = async (scope: string, explicit?: string[]) => {
    const prefix = cacheKeyPrefix(fixture.tokenServer.tokenUrl, CLIENT_ID, 'client_secret_basic')
    const cacheKey = tokenCacheKey(prefix, [scope], [])
    const keys = await entryKeys(Buffer.from(LEAK_PROBE_SECRET), prefix, explicit?.map((key) => Buffer.from(key)))
    return { cacheKey, keys, names: entryNames(keys.naming, 'oauth2cc:', cacheKey) }
  }
  const entryWritten = () => until(async () => (await storedEntries()).some((entry) => !entry.name.endsWith(':lease')))

  test('a second process gets the first one\'s token from Redis, without a token request', async () => {
    const first = await processClient().getToken(SCOPE)
    await entryWritten()
    const second = await processClient().getToken(SCOPE)
    assert.equal(second.accessToken, first.accessToken)
    assert.equal(tokenRequests(), 1)
    assert.ok(Math.abs(second.expiresAt.getTime() - first.expiresAt.getTime()) < 1_000)
  })

  test('Redis holds nothing readable: no token, secret, client id, scope or token URL in a name or value', async () => {
    const token = await processClient().getToken(SCOPE)
    await entryWritten()
    const entries = await storedEntries()
    assert.equal(entries.length, 1)
    const [entry] = entries
    assert.match(entry!.name, /^oauth2cc:\{[A-Za-z0-9_-]{22}\}$/)
    assert.match(entry!.value, /^v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+$/)
    const text = JSON.stringify(entries)
    for (const secret of [token.accessToken, LEAK_PROBE_SECRET, encodeURIComponent(LEAK_PROBE_SECRET), CLIENT_ID, SCOPE, fixture.tokenServer.tokenUrl, new URL(fixture.tokenServer.tokenUrl).host]) {
      assert.ok(!text.includes(secret), `Redis shows ${secret.slice(0, 12)}...`)
    }
    // Its time to live ends at the token's usable end (an hour's token, a minute's buffer).
    const ttl = await fixture.redis.pTTL(entry!.name)
    assert.ok(ttl > 3_500_000 && ttl <= 3_540_000, `ttl ${ttl}`)
  })

  for (const [what, spoil, reason] of [
    ['an altered entry', (value: string) => value.slice(0, -6) + (value.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'), 'tampered'],
    ['a forged entry under another key', async () => sealEntry('{}', (await internals(SCOPE)).cacheKey, (await entryKeys(Buffer.from('another secret of some length'), 'x', undefined)).sealing[0]!), 'foreign-key'],
    ['junk', () => 'not an entry', 'malformed'],
    ['an entry of another scope moved under this name', async () => {
      await processClient().getToken('orders:write')
      const { names } = await internals('orders:write')
      await until(async () => (await fixture.redis.get(names.entry)) !== null)
      return (await fixture.redis.get(names.entry))!
    }, 'tampered'],
  ] as const) {
    test(`${what} is a miss, reported as ${reason}, and overwritten by the next token`, async () => {
      const original = await processClient().getToken(SCOPE)
      const { names } = await internals(SCOPE)
      await until(async () => (await fixture.redis.get(names.entry)) !== null)
      const spoiled = await spoil((await fixture.redis.get(names.entry))!)
      await fixture.redis.set(names.entry, spoiled, { PX: 60_000 })
      const before = tokenRequests()
      const reader = await processClient().getToken(SCOPE)
      assert.notEqual(reader.accessToken, original.accessToken, 'the spoiled entry was served')
      assert.equal(tokenRequests(), before + 1)
      assert.deepEqual(troubles.map((error) => [error.code, error.reason]), [['SHARED_CACHE_ENTRY_REJECTED', reason]])
      await until(async () => (await fixture.redis.get(names.entry)) !== spoiled)
      const third = await processClient().getToken(SCOPE)
      assert.equal(third.accessToken, reader.accessToken, 'the entry was not overwritten with the new token')
    })
  }

  test('an entry whose times are out of order or out of range is malformed: never served', async () => {
    const { cacheKey, keys, names } = await internals(SCOPE)
    const now = Date.now()
    const cases = [
      { t: 'tok', s: SCOPE, iat: now, exp: now - 1, r: now },
      { t: 'tok', s: SCOPE, iat: now, exp: now + 60_000, r: now + 120_000 },
      { t: 'tok', s: SCOPE, iat: now, exp: now + 2 ** 31 * 1000, r: now + 1_000 }, // a lifetime past the 2^31-1 s the client accepts
      { t: 'tok', s: SCOPE, iat: 'now', exp: now + 60_000, r: now + 1_000 },
      { t: 'tok', s: SCOPE, iat: now, exp: 9e15, r: now + 1_000 },
      { t: 'to\nk', s: SCOPE, iat: now, exp: now + 60_000, r: now + 1_000 },
      { t: 'tok', s: SCOPE, iat: now, exp: Number.NaN, r: now + 1_000 },
    ]
    for (const plaintext of cases) {
      troubles.length = 0
      await fixture.redis.set(names.entry, sealEntry(JSON.stringify(plaintext), cacheKey, keys.sealing[0]!), { PX: 60_000 })
      const token = await processClient().getToken(SCOPE)
      assert.notEqual(token.accessToken, 'tok', JSON.stringify(plaintext))
      assert.deepEqual(troubles.map((error) => error.reason), ['malformed'], JSON.stringify(plaintext))
    }
  })

  test('a reader whose clock runs ahead stops using a token before its writer would; one behind gains nothing', async () => {
    const writerToken = await processClient().getToken(SCOPE)
    await entryWritten()
    const before = tokenRequests()
    // 59 minutes ahead: past the hour's token usable end (expiry less a minute's buffer and the skew allowance).
    const ahead = new TestClock(Date.now() + 59 * 60_000)
    const late = await processClient({}, { clock: { now: () => ahead.now(), wallNow: () => ahead.now() } }).getToken(SCOPE)
    assert.notEqual(late.accessToken, writerToken.accessToken)
    assert.equal(tokenRequests(), before + 1)
    // An hour behind: the token's lifetime left is at most what it was when it was issued.
    await fixture.redis.flushAll()
    const fresh = await processClient().getToken(SCOPE)
    await entryWritten()
    const behind = new TestClock(Date.now() - 3_600_000)
    const reader = processClient({}, { clock: { now: () => behind.now(), wallNow: () => behind.now() } })
    const early = await reader.getToken(SCOPE)
    assert.equal(early.accessToken, fresh.accessToken)
    assert.ok(early.expiresAt.getTime() - behind.now() <= 3_600_000 + 5, 'a clock behind got more than the lifetime')
    // Past the usable end by the reader's own count, its cache lets go of the token; by then Redis
    // has ended the entry too (its time to live is the writer's usable end, in Redis's own time).
    behind.advance(3_600_000 - 60_000)
    await fixture.redis.flushAll()
    assert.notEqual((await reader.getToken(SCOPE)).accessToken, fresh.accessToken)
  })

  test('invalidate() deletes the shared entry only while it holds the token this process had', async () => {
    const a = processClient()
    const b = processClient()
    const first = await a.getToken(SCOPE)
    await entryWritten()
    assert.equal((await b.getToken(SCOPE)).accessToken, first.accessToken)
    // b gets a new token (it was rejected, say) and shares it; a's later 401 must not delete that one.
    const second = await b.getToken(SCOPE, { forceRefresh: true })
    const { names } = await internals(SCOPE)
    await until(async () => {
      const value = await fixture.redis.get(names.entry)
      return value !== null && (await processClient().getToken(SCOPE)).accessToken === second.accessToken
    })
    a.invalidate(SCOPE)
    const requests = tokenRequests()
    assert.equal((await a.getToken(SCOPE)).accessToken, second.accessToken)
    assert.equal(tokenRequests(), requests)
    // Invalidating the token the entry holds deletes it: the next process asks the server.
    b.invalidate(SCOPE)
    await until(async () => (await fixture.redis.get(names.entry)) === null)
  })

  test('a rejected token invalidated in one process is not read back before the delete lands', async () => {
    const a = processClient()
    const first = await a.getToken(SCOPE)
    await entryWritten()
    a.invalidate(SCOPE)
    const next = await a.getToken(SCOPE)
    assert.notEqual(next.accessToken, first.accessToken)
  })

  test('explicit encryption keys rotate: the new key first, the old one still opens; a process without it does not read', async () => {
    const oldKey = 'o'.repeat(32)
    const newKey = 'n'.repeat(32)
    const writer = await processClient({ encryptionKeys: [oldKey] }).getToken(SCOPE)
    await entryWritten()
    const rotated = await processClient({ encryptionKeys: [newKey, oldKey] }).getToken(SCOPE)
    assert.equal(rotated.accessToken, writer.accessToken)
    assert.equal(troubles.length, 0)
    const requests = tokenRequests()
    const stranger = await processClient({ encryptionKeys: [newKey] }).getToken(SCOPE)
    assert.notEqual(stranger.accessToken, writer.accessToken)
    assert.equal(tokenRequests(), requests + 1)
    assert.deepEqual(troubles.map((error) => error.reason), ['foreign-key'])
  })

  test('a client with another secret shares nothing with this one (names and keys derive from the credential)', async () => {
    await processClient().getToken(SCOPE)
    await entryWritten()
    const other = new TokenClient({
      tokenUrl: fixture.tokenServer.tokenUrl,
      clientId: CLIENT_ID,
      clientSecret: 'wrong-secret-but-same-client',
      retry: false,
      sharedCache: redisTokenCache(fixture.redis, { onError: (error) => troubles.push(error) }),
    })
    clients.push(other)
    await assert.rejects(other.getToken(SCOPE), { code: 'OAUTH_ERROR' })
    assert.deepEqual(troubles, [])
  })

  test('no key, token or secret in inspect(), JSON or any message', async () => {
    const key = 'K'.repeat(40)
    const cache = redisTokenCache(fixture.redis, { encryptionKeys: [key] })
    const client = processClient({ encryptionKeys: [key] })
    const token = await client.getToken(SCOPE)
    const shown = [inspect(cache), JSON.stringify(cache), inspect(client), JSON.stringify(client), ...troubles.map((error) => inspect(error))].join('\n')
    for (const secret of [key, token.accessToken, LEAK_PROBE_SECRET]) assert.ok(!shown.includes(secret))
    assert.match(inspect(cache), /SharedTokenCache\(redis \(node-redis\)\)/)
    assert.equal(client.options.sharedCache, 'redis (node-redis)')
  })

  test('bad options are TypeErrors that name the option', () => {
    assert.throws(() => redisTokenCache(fixture.redis, { encryptionKeys: ['short'] }), { code: 'ERR_INVALID_ARG_VALUE', message: /encryptionKeys\[0\]/ })
    assert.throws(() => redisTokenCache(fixture.redis, { encryptionKeys: [] }), { message: /encryptionKeys/ })
    assert.throws(() => redisTokenCache(fixture.redis, { prefix: 'a{b' }), { message: /prefix/ })
    assert.throws(() => redisTokenCache(fixture.redis, { leaseMs: 0 }), { message: /leaseMs/ })
    assert.throws(() => redisTokenCache(fixture.redis, { operationTimeoutMs: 2 ** 31 }), { message: /operationTimeoutMs/ })
    assert.throws(() => redisTokenCache(fixture.redis, { lease: 5 } as never), { message: /lease is not/ })
    assert.throws(() => redisTokenCache(fixture.redis, { breaker: { failure: 3 } } as never), { message: /failure/ })
    assert.throws(() => new TokenClient({ tokenUrl: fixture.tokenServer.tokenUrl, clientId: 'a', clientSecret: 'b', sharedCache: {} as never }), {
      message: /sharedCache/,
    })
  })
})
