// What Redis, messages and the objects a user can print reveal, and what a careless user can get
// wrong: the client secret and the tokens in names, values, onError arguments, warnings, inspect()
// and JSON (both drivers, faults included); whether what Redis holds lets a reader of Redis test
// guesses of the secret offline; readers whose wall clock runs behind the writer's; the wrong
// object passed as a connection; one cache shared by clients of different secrets; thousands of
// scopes. Real redis-server; a tiny token server. Each TokenClient stands for one process.
//
import assert from 'node:assert/strict'
import { createHmac, hkdfSync } from 'node:crypto'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { inspect } from 'node:util'
import { Redis as Ioredis } from 'ioredis'
import { createClient } from 'redis'
import { TokenClient } from '../../src/index.js'
import { redisStore, redisTokenCache } from '../../src/redis/index.js'
import { basicAuthorization } from '../../src/auth/client-authentication.js'
import { formEncode } from '../../src/auth/form-encoding.js'
import { cacheKeyPrefix, tokenCacheKey } from '../../src/cache/cache-key.js'
import { entryKeys, entryNames } from '../../src/shared-cache/entry-keys.js'
import { sealEntry } from '../../src/shared-cache/entry-seal.js'
import { serializeRecord } from '../../src/shared-cache/shared-entry.js'
import { startCountingTokenServer } from '../helpers/counting-token-server.js'
import { skipWithoutRedis } from '../helpers/redis-server.js'
import { LEAK_PROBE_SECRET } from '../helpers/secrets.js'
import { sharedCacheFixture, until } from '../helpers/shared-cache-fixture.js'

setFlagsFromString('--expose-gc')
/** The salt of the package's key derivation (src/shared-cache/entry-keys.ts). */
const SALT = Buffer.from('oauth2-client-credentials shared token cache v1')
const gc = runInNewContext('gc') as () => void

const CLIENT_ID = 'secrets-svc'
const SCOPE = 'orders:read'
const MINUTE = 60_000

/** Every form the secret travels in. */
const secretForms = (secret: string) => [
  secret,
  formEncode(secret),
  encodeURIComponent(secret),
  basicAuthorization(CLIENT_ID, secret, 'form').slice('Basic '.length),
  basicAuthorization(CLIENT_ID, secret, 'raw').slice('Basic '.length),
  Buffer.from(secret).toString('hex'),
  Buffer.from(secret).toString('base64'),
]

describe('shared cache: secrets, clocks and careless users', { skip: skipWithoutRedis(), timeout: 90_000 }, () => {
  const fixture = sharedCacheFixture({ clientId: CLIENT_ID, startTokenServer: startCountingTokenServer, clientOptions: { retry: false } })
  const { processClient, clients, troubles, storedEntryNames } = fixture
  const everythingInRedis = async () => {
    const names = await fixture.admin.keys('*')
    return Promise.all(names.map(async (name) => `${name}=${(await fixture.admin.type(name)) === 'string' ? await fixture.admin.get(name) : ''}`))
  }

  test('no secret, token, client id, scope or token URL in Redis, in an onError argument, a warning, inspect() or JSON: both drivers, with faults', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    const io = new Ioredis({ host: fixture.redisServer.host, port: fixture.redisServer.port, lazyConnect: true })
    io.on('error', () => {})
    await io.connect()
    try {
      const nodeClient = processClient({ operationTimeoutMs: 60, breaker: { failures: 2, cooldownMs: 100 } })
      const ioClient = processClient({ operationTimeoutMs: 60, breaker: { failures: 2, cooldownMs: 100 } }, {}, io)
      // A client without onError: its trouble goes out as process warnings.
      const quiet = new TokenClient({ tokenUrl: fixture.tokenServer.tokenUrl, clientId: CLIENT_ID, clientSecret: LEAK_PROBE_SECRET, sharedCache: redisTokenCache(io, { operationTimeoutMs: 60 }) })
      clients.push(quiet)
      const got = [await nodeClient.getToken(SCOPE), await ioClient.getToken('orders:write', { audience: 'https://api.example' })]
      await until(async () => (await storedEntryNames()).length === 2)
      // Faults: tampered entries, a WRONGTYPE entry, a pause (timeouts, the breaker), invalidation.
      for (const name of await storedEntryNames()) await fixture.admin.set(name, `${(await fixture.admin.get(name))!.slice(0, -4)}AAAA`)
      got.push(await processClient().getToken(SCOPE), await quiet.getToken(SCOPE))
      await fixture.admin.del(await storedEntryNames())
      await fixture.admin.hSet('oauth2cc:{wrongtype}', 'a', 'b')
      await fixture.admin.sendCommand(['CLIENT', 'PAUSE', '300', 'ALL'])
      got.push(...(await Promise.all(['p1', 'p2', 'p3'].flatMap((scope) => [nodeClient.getToken(scope), ioClient.getToken(scope), quiet.getToken(scope)]))))
      await sleep(400)
      nodeClient.invalidate()
      ioClient.invalidate()
      got.push(await ioClient.getToken(SCOPE, { forceRefresh: true }))
      await sleep(100)
      assert.ok(troubles.length >= 4, `only ${troubles.length} troubles reported`)
      for (const driver of ['(node-redis)', '(ioredis)']) assert.ok(troubles.some((error) => error.message.includes(driver)), `no trouble from ${driver}`)
      assert.ok(troubles.some((error) => error.code === 'SHARED_CACHE_ENTRY_REJECTED') && troubles.some((error) => error.code === 'SHARED_CACHE_TIMEOUT'))
      assert.ok(warnings.some((warning) => (warning as { code?: string }).code === 'OAUTH2CC_SHARED_CACHE'))
      // Redis and the trouble reports show nothing of the client at all.
      const stored = (await everythingInRedis()).join('\n')
      const reported = [
        ...troubles.map((error) => inspect(error, { depth: Infinity, showHidden: true })),
        ...troubles.map((error) => JSON.stringify(error)),
        ...warnings.map((warning) => inspect(warning, { depth: Infinity, showHidden: true })),
      ].join('\n')
      for (const each of [CLIENT_ID, SCOPE, 'orders:write', 'api.example', new URL(fixture.tokenServer.tokenUrl).host]) {
        assert.ok(!stored.includes(each), `in Redis: ${each}`)
        assert.ok(!reported.includes(each), `in a report: ${each}`)
      }
      // Nothing anywhere shows the secret or a token (the client's own description shows its id, on purpose).
      const shown = [
        stored,
        reported,
        inspect(nodeClient, { depth: Infinity, showHidden: true }),
        JSON.stringify(nodeClient),
        JSON.stringify(nodeClient.options),
        inspect(redisTokenCache(fixture.redis), { depth: Infinity, showHidden: true }),
        JSON.stringify(redisTokenCache(io)),
        inspect(redisStore(fixture.redis), { depth: Infinity, showHidden: true }),
        String(redisTokenCache(fixture.redis)),
      ].join('\n')
      const forbidden = [...secretForms(LEAK_PROBE_SECRET), ...got.map((token) => token.accessToken)]
      for (const each of forbidden) assert.ok(!shown.includes(each), `shown somewhere: ${each.slice(0, 16)}...`)
    } finally {
      process.off('warning', onWarning)
      io.disconnect()
    }
  })

  test('what Redis holds lets its reader test a guess of the secret only at the cost of an scrypt, not of an HKDF', async () => {
    // The key id in every value derives from the secret alone (with token URL, client id and auth
    // method): a verifier of the secret that needs no scope guess, as the names are given one. With
    // HKDF alone it would be a fast one, and reading Redis would turn into the client's credential
    // (its reader could mint tokens of its own): each guess must cost an scrypt.
    const weak = 'Winter2024!'
    const client = new TokenClient({ tokenUrl: fixture.tokenServer.tokenUrl, clientId: CLIENT_ID, clientSecret: weak, sharedCache: redisTokenCache(fixture.redis) })
    clients.push(client)
    await client.getToken(SCOPE)
    await until(async () => (await storedEntryNames()).length === 1)
    // The attacker: the token URL and client id from the service's config or traffic; the default auth method.
    const [name] = await storedEntryNames()
    const keyId = (await fixture.admin.get(name!))!.split('.')[1]
    const binding = cacheKeyPrefix(new URL(fixture.tokenServer.tokenUrl).href, CLIENT_ID, 'client_secret_basic')
    const words = ['Spring', 'Summer', 'Autumn', 'Winter', 'Password', 'Secret', 'Welcome', 'Admin', 'Service', 'Client']
    const dictionary = words.flatMap((word) => Array.from({ length: 60 }, (_, year) => ['', '!', '#', '1'].map((tail) => `${word}${1990 + year}${tail}`)).flat())
    // HKDF alone (no stretching) of the right secret does not give the key id: a guess cannot be
    // tested at HKDF's speed (tens of thousands a second); each costs scrypt.
    const hkdfOnly = (secret: string) => {
      const key = Buffer.from(hkdfSync('sha256', Buffer.from(secret), SALT, `seal ${binding}`, 32))
      return createHmac('sha256', key).update('key id').digest('base64url').slice(0, 8)
    }
    assert.notEqual(hkdfOnly(weak), keyId)
    assert.equal((await entryKeys(Buffer.from(weak), binding, undefined)).sealing[0]!.id, keyId)
    const started = performance.now()
    for (const guess of dictionary.slice(0, 10)) await entryKeys(Buffer.from(guess), binding, undefined)
    const msPerGuess = (performance.now() - started) / 10
    assert.ok(msPerGuess >= 5, `a guess costs ${msPerGuess.toFixed(1)} ms: ${Math.round(dictionary.length * msPerGuess)} ms for the dictionary`)
  })

  test('with explicit encryptionKeys, entry names test a guess of the secret only at the cost of an scrypt', async () => {
    const weak = 'Summer2019#'
    const client = new TokenClient({
      tokenUrl: fixture.tokenServer.tokenUrl,
      clientId: CLIENT_ID,
      clientSecret: weak,
      sharedCache: redisTokenCache(fixture.redis, { encryptionKeys: ['k'.repeat(32)] }),
    })
    clients.push(client)
    await client.getToken(SCOPE)
    await until(async () => (await storedEntryNames()).length === 1)
    const [name] = await storedEntryNames()
    const binding = cacheKeyPrefix(new URL(fixture.tokenServer.tokenUrl).href, CLIENT_ID, 'client_secret_basic')
    const scopes = ['read', 'write', 'orders:read', 'orders:write', 'api', 'openid']
    const guesses = ['Spring', 'Summer', 'Winter'].flatMap((word) => Array.from({ length: 40 }, (_, year) => `${word}${1990 + year}#`))
    // The right secret, derived as the names are (scrypt, then HKDF), finds the name; HKDF alone does not.
    const namingOf = async (guess: string) => (await entryKeys(Buffer.from(guess), binding, undefined)).naming
    const hkdfOnly = (guess: string) => Buffer.from(hkdfSync('sha256', Buffer.from(guess), SALT, `names ${binding}`, 32))
    const finds = (naming: Buffer) => scopes.some((scope) => entryNames(naming, 'oauth2cc:', tokenCacheKey(binding, [scope], [])).entry === name)
    assert.ok(finds(await namingOf(weak)))
    assert.ok(!guesses.some((guess) => finds(hkdfOnly(guess))), 'a name can be tested against a guess at HKDF speed')
  })

  test('a reader whose wall clock runs 30 min behind stops serving a shared token when the time to live Redis answers says, not 10 min past its expiry', async () => {
    // The state of Redis 30 minutes after a writer with a correct clock got an hour's token: its
    // entry (sealed as the writer seals it; the test holds the secret) with the 29 minutes left of
    // its usable life as its TTL. By its own clock the reader would keep the token 30 minutes too long;
    // the TTL (Redis's clock, which every process shares) read with the entry bounds it.
    const now = Date.now()
    const binding = cacheKeyPrefix(new URL(fixture.tokenServer.tokenUrl).href, CLIENT_ID, 'client_secret_basic')
    const cacheKey = tokenCacheKey(binding, [SCOPE], [])
    const keys = await entryKeys(Buffer.from(LEAK_PROBE_SECRET), binding, undefined)
    const { entry } = entryNames(keys.naming, 'oauth2cc:', cacheKey)
    const record = { accessToken: 'shared-token', scope: SCOPE, issuedAt: now - 30 * MINUTE, expiresAt: now + 30 * MINUTE, refreshAt: now + 15 * MINUTE }
    await fixture.admin.set(entry, sealEntry(serializeRecord(record), cacheKey, keys.sealing[0]!), { PX: 29 * MINUTE })
    let advanced = 0
    const lag = 30 * MINUTE
    const clock = { now: () => Date.now() - lag + advanced, wallNow: () => Date.now() - lag + advanced }
    const reader = processClient({}, { clock })
    const token = await reader.getToken(SCOPE)
    assert.equal(token.accessToken, 'shared-token')
    const claimedLeft = token.expiresAt.getTime() - clock.now()
    // Forty minutes on: the token expired ten minutes ago, and Redis dropped the entry eleven ago.
    advanced = 40 * MINUTE
    await fixture.admin.flushAll()
    const later = await reader.getToken(SCOPE)
    assert.notEqual(later.accessToken, 'shared-token', 'an expired token was served, 40 min after the read (its real expiry: 30 min)')
    assert.ok(claimedLeft <= 30 * MINUTE + 1_000, `the reader's token claims ${(claimedLeft / MINUTE).toFixed(1)} min left; Redis said 29`)
  })

  test('a reader whose clock runs 30 min ahead does not serve a token its writer would no longer serve', async () => {
    const writer = await processClient().getToken(SCOPE)
    await until(async () => (await storedEntryNames()).length === 1)
    const clock = { now: () => Date.now() + 30 * MINUTE, wallNow: () => Date.now() + 30 * MINUTE }
    const token = await processClient({}, { clock }).getToken(SCOPE)
    assert.equal(token.accessToken, writer.accessToken)
    // Its writer's usable end is 59 min from issue: an ahead reader counts 30 of them as gone.
    assert.ok(token.expiresAt.getTime() - clock.now() <= 30 * MINUTE + 1_000)
  })

  test('the wrong object as a connection is a TypeError naming redis; a client closed later is a miss, never a failure', async () => {
    const unconnected = createClient({ url: fixture.redisServer.url })
    const closed = createClient({ url: fixture.redisServer.url })
    closed.on('error', () => {})
    await closed.connect()
    await closed.quit()
    const connecting = createClient({ url: fixture.redisServer.url }).on('error', () => {}).connect() // forgot the await
    for (const wrong of [unconnected, closed, connecting, {}, null, 'redis://localhost', new Map(), { get: () => null, eval: () => null }]) {
      assert.throws(() => redisTokenCache(wrong as never), { code: 'ERR_INVALID_ARG_VALUE', message: /redis/ }, inspect(wrong, { depth: 0 }).slice(0, 40))
    }
    ;(await connecting).destroy()
    // Closed after the cache was made: node-redis and ioredis (ioredis takes any status) alike.
    const later = createClient({ url: fixture.redisServer.url })
    later.on('error', () => {})
    await later.connect()
    const io = new Ioredis({ host: fixture.redisServer.host, port: fixture.redisServer.port, lazyConnect: true })
    io.on('error', () => {})
    await io.connect()
    const a = processClient({}, {}, later)
    const b = processClient({}, {}, io)
    await later.quit()
    await io.quit()
    assert.match((await a.getToken(SCOPE)).accessToken, /^tok-/)
    assert.match((await b.getToken(SCOPE)).accessToken, /^tok-/)
    assert.ok(troubles.some((error) => error.code === 'SHARED_CACHE_UNAVAILABLE'))
  })

  test('one redisTokenCache shared by clients with different secrets: each gets its own token, none reads the other\'s, nothing is reported', async () => {
    fixture.tokenServer.respond = (n, authorization) => ({ access_token: `tok-${n}-${authorization === basicAuthorization(CLIENT_ID, 'secret-one-of-some-length', 'form') ? 'one' : 'two'}`, token_type: 'Bearer', expires_in: 3600 })
    const cache = redisTokenCache(fixture.redis, { onError: (error) => troubles.push(error) })
    const make = (secret: string) => {
      const client = new TokenClient({ tokenUrl: fixture.tokenServer.tokenUrl, clientId: CLIENT_ID, clientSecret: secret, sharedCache: cache })
      clients.push(client)
      return client
    }
    const before = fixture.tokenServer.requests()
    const one = make('secret-one-of-some-length')
    const two = make('secret-two-of-some-length')
    const [first, second] = await Promise.all([one.getToken(SCOPE), two.getToken(SCOPE)])
    assert.match(first.accessToken, /-one$/)
    assert.match(second.accessToken, /-two$/)
    await until(async () => (await storedEntryNames()).length === 2)
    assert.match((await make('secret-two-of-some-length').getToken(SCOPE)).accessToken, /-two$/)
    assert.match((await make('secret-one-of-some-length').getToken(SCOPE)).accessToken, /-one$/)
    assert.equal(fixture.tokenServer.requests() - before, 2)
    assert.deepEqual(troubles, [])
  })

  test('thousands of scopes: what a process keeps stays bounded by cache.maxEntries', async () => {
    // 30 KB tokens, so that anything kept per scope shows in the heap: 1,500 scopes unbounded would
    // keep well over 60 MB (the token in the process cache, its sealed entry in the fleet's maps).
    fixture.tokenServer.respond = (n) => ({ access_token: `${'T'.repeat(30_000)}${n}`, token_type: 'Bearer', expires_in: 3600 })
    const client = processClient({}, { cache: { maxEntries: 20 } })
    await client.getToken('warm-up')
    gc()
    const baseline = process.memoryUsage().heapUsed
    for (let index = 0; index < 1_500; index++) await client.getToken(`scope:${index}`)
    for (let index = 0; index < 1_500; index += 7) client.invalidate(`scope:${index}`)
    await sleep(100)
    gc()
    const grownMb = (process.memoryUsage().heapUsed - baseline) / 1e6
    assert.ok(grownMb < 15, `the heap grew ${grownMb.toFixed(1)} MB over 1,500 scopes with maxEntries 20`)
  })
})
