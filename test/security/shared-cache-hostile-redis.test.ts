// A hostile party with write access to Redis, but without the client secret, against the shared
// token cache: it sees the names the fleet writes (KEYS), and forges, replays, swaps, truncates,
// inflates and re-types entries, and holds leases. Real redis-server, real TokenClients (each
// stands for one process), a tiny token server that counts its requests.
//
import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createClient } from 'redis'
import { TokenClient, type SharedTokenCacheOptions } from '../../src/index.js'
import { redisTokenCache } from '../../src/redis/index.js'
import { startCountingTokenServer } from '../helpers/counting-token-server.js'
import { skipWithoutRedis } from '../helpers/redis-server.js'
import { LEAK_PROBE_SECRET } from '../helpers/secrets.js'
import { sharedCacheFixture, until, type RedisConnection } from '../helpers/shared-cache-fixture.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const CLIENT_ID = 'hostile-redis-svc'
const SCOPE = 'orders:read'

describe('shared cache against a hostile party with write access to Redis', { skip: skipWithoutRedis(), timeout: 60_000 }, () => {
  const fixture = sharedCacheFixture({ clientId: CLIENT_ID, startTokenServer: startCountingTokenServer, clientOptions: { retry: false } })
  const { processClient, clients, troubles, storedEntryNames } = fixture
  /** The attacker's own connection: the fixture's, which no client uses. */
  let attacker: RedisConnection
  before(() => {
    attacker = fixture.admin
  })

  /** Lets a process get a token for `scope` and returns the name of the entry it wrote (the new one in KEYS). */
  const writtenEntry = async (scope: string, options: SharedTokenCacheOptions = {}) => {
    const before = new Set(await storedEntryNames())
    const token = await processClient(options).getToken(scope)
    let name: string | undefined
    await until(async () => {
      name = (await storedEntryNames()).find((each) => !before.has(each))
      return name !== undefined
    })
    return { token, name: name!, value: (await attacker.get(name!))! }
  }

  test('forged, truncated, swapped, expired-replayed and re-typed entries are never served, and getToken never rejects', async () => {
    // Material the attacker collects without the secret: a live entry of SCOPE, one of another
    // scope, one of another audience, and one of a token that has expired since (a 2 s token).
    const live = await writtenEntry(SCOPE)
    const otherScope = await writtenEntry('orders:write')
    const otherAudience = await (async () => {
      const before = new Set(await storedEntryNames())
      const token = await processClient().getToken(SCOPE, { audience: 'https://other.example' })
      let name: string | undefined
      await until(async () => ((name = (await storedEntryNames()).find((each) => !before.has(each))) !== undefined))
      return { token, value: (await attacker.get(name!))! }
    })()
    fixture.tokenServer.respond = (n) => ({ access_token: `short-${n}`, token_type: 'Bearer', expires_in: 2 })
    const short = await writtenEntry('orders:short')
    await sleep(1_100) // past the 2 s token's usable end (half its lifetime)
    const [version, keyId, body] = live.value.split('.') as [string, string, string]
    const spoiled: Array<[string, () => Promise<unknown>]> = [
      ['cut in half', () => attacker.set(live.name, live.value.slice(0, live.value.length >> 1))],
      ['cut to its header', () => attacker.set(live.name, `${version}.${keyId}.`)],
      ['its tag cut off', () => attacker.set(live.name, `${version}.${keyId}.${body.slice(0, -22)}`)],
      ['a fourth part', () => attacker.set(live.name, `${live.value}.x`)],
      ['base64 padding', () => attacker.set(live.name, `${live.value}==`)],
      ['another key id', () => attacker.set(live.name, `${version}.AAAAAAAA.${body}`)],
      ['another version', () => attacker.set(live.name, `v2.${keyId}.${body}`)],
      ['one bit flipped in the IV', () => attacker.set(live.name, `${version}.${keyId}.${body[0] === 'A' ? 'B' : 'A'}${body.slice(1)}`)],
      ['another scope\'s entry', () => attacker.set(live.name, otherScope.value)],
      ['another audience\'s entry', () => attacker.set(live.name, otherAudience.value)],
      ['an expired entry replayed with a fresh TTL', () => attacker.set(live.name, short.value)],
      ['a number', () => attacker.set(live.name, '42')],
      ['an empty string', () => attacker.set(live.name, '')],
      ['bytes that are not UTF-8', () => attacker.set(live.name, Buffer.from([0xff, 0xfe, 0x00, 0xc3]))],
      ['a JSON record in the clear', () => attacker.set(live.name, JSON.stringify({ t: 'forged', s: SCOPE, iat: Date.now(), exp: Date.now() + 3.6e6, r: Date.now() + 3e6 }))],
      ['a hash (WRONGTYPE)', async () => {
        await attacker.del(live.name)
        await attacker.hSet(live.name, 'field', 'value')
      }],
      ['a list (WRONGTYPE)', async () => {
        await attacker.del(live.name)
        await attacker.rPush(live.name, ['a', 'b'])
      }],
    ]
    // The replay target: the short token's own name too (its entry expired in Redis, the attacker puts it back).
    spoiled.push(['an expired entry replayed under its own name', () => attacker.set(short.name, short.value, { PX: 60_000 })])
    const forbidden = new Set([live.token.accessToken, otherScope.token.accessToken, otherAudience.token.accessToken, short.token.accessToken, 'forged'])
    for (const [what, spoil] of spoiled) {
      await spoil()
      const scope = what.startsWith('an expired entry replayed under its own name') ? 'orders:short' : SCOPE
      const before = fixture.tokenServer.requests()
      const got = await processClient().getToken(scope)
      assert.ok(!forbidden.has(got.accessToken), `${what}: an untrusted entry was served`)
      assert.equal(fixture.tokenServer.requests(), before + 1, `${what}: no token request`)
    }
    assert.ok(troubles.every((error) => error.code !== 'SHARED_CACHE_WAIT_EXCEEDED'))
  })

  test('a 60 MB string under an entry name is a miss: the token comes from the server, within the operation timeout', async () => {
    const { name } = await writtenEntry(SCOPE)
    await attacker.set(name, 'x'.repeat(60 * 1024 * 1024))
    const before = fixture.tokenServer.requests()
    const started = performance.now()
    const token = await processClient().getToken(SCOPE)
    const elapsed = performance.now() - started
    assert.match(token.accessToken, /^tok-/)
    assert.equal(fixture.tokenServer.requests(), before + 1)
    // At most one operation timeout (250 ms) of added time, plus the request itself.
    assert.ok(elapsed < 1_500, `took ${elapsed.toFixed(0)} ms`)
  })

  test('60 MB of junk in a lease that expires: the waiter waits for the expiry at most, then fetches once', async () => {
    const { name } = await writtenEntry(SCOPE)
    await attacker.del(name)
    await attacker.set(`${name}:lease`, 'j'.repeat(60 * 1024 * 1024), { PX: 400 })
    const before = fixture.tokenServer.requests()
    const started = performance.now()
    await processClient({ maxWaitMs: 5_000 }).getToken(SCOPE)
    const elapsed = performance.now() - started
    assert.equal(fixture.tokenServer.requests(), before + 1)
    assert.ok(elapsed < 2_000, `took ${elapsed.toFixed(0)} ms`)
  })

  test('values the fleet rejects are not kept in memory: 24 rejected 4 MB entries retain under 20 MB', async () => {
    // The attacker sees the names the fleet wrote and puts a distinct 4 MB junk value under each.
    const scopes = Array.from({ length: 24 }, (_, index) => `scope:${index}`)
    const writer = processClient()
    for (const scope of scopes) await writer.getToken(scope)
    await until(async () => (await storedEntryNames()).length === scopes.length)
    for (const [index, name] of (await storedEntryNames()).entries()) {
      await attacker.set(name, `${index}:`.padEnd(4 * 1024 * 1024, 'x'), { PX: 60_000 })
    }
    gc()
    const baseline = process.memoryUsage().heapUsed
    const reader = processClient({ operationTimeoutMs: 5_000 })
    for (const scope of scopes) await reader.getToken(scope)
    await sleep(100)
    gc()
    const retainedMb = (process.memoryUsage().heapUsed - baseline) / 1e6
    assert.equal(troubles.filter((error) => error.code === 'SHARED_CACHE_ENTRY_REJECTED').length, scopes.length)
    // The reader holds 24 tokens and their sealed entries: well under 1 MB. A rejected value must not
    // be kept (the store does not even send one past the size limit; a rejected one is remembered by
    // its hash): keeping them whole would be 24 x 4 MB here, 64 x 512 MB at worst.
    assert.ok(retainedMb < 20, `the reader retains ${retainedMb.toFixed(0)} MB after reading 24 rejected entries`)
    clients.splice(clients.indexOf(reader), 1)
    await reader.close()
  })

  test('a lease without a time to live (SET, no PX) is given one: it blocks the fleet for leaseMs at most, once', async () => {
    const { name } = await writtenEntry(SCOPE)
    await attacker.del(name)
    // A lease this package never writes: no TTL. (SET ... KEEPTTL, PERSIST, or a restore do the same.)
    await attacker.set(`${name}:lease`, 'junk')
    const before = fixture.tokenServer.requests()
    const fleet = [0, 1, 2].map(() => processClient({ leaseMs: 500, maxWaitMs: 3_000 }))
    const started = performance.now()
    await Promise.all(fleet.map((client) => client.getToken(SCOPE)))
    const elapsed = performance.now() - started
    const leaseTtl = await attacker.pTTL(`${name}:lease`)
    // A lease of this package lives at most leaseMs; one without an expiry is not one of its leases
    // and is bounded (given leaseMs) by the first process that meets it; left for ever (PTTL -1), three
    // processes would wait the whole 3 s and then all ask the server.
    assert.notEqual(leaseTtl, -1, 'the lease without a TTL is still there, still without one')
    assert.equal(fixture.tokenServer.requests() - before, 1, `${fixture.tokenServer.requests() - before} token requests for one key`)
    assert.ok(elapsed < 2_000, `the cold calls took ${elapsed.toFixed(0)} ms`)
  })

  test('WRONGTYPE at a lease name never fails a call and is not served; the entry is still written', async () => {
    const { name } = await writtenEntry(SCOPE)
    await attacker.del(name)
    await attacker.hSet(`${name}:lease`, 'owner', 'x')
    await attacker.pExpire(`${name}:lease`, 300)
    const token = await processClient({ maxWaitMs: 2_000 }).getToken(SCOPE)
    assert.match(token.accessToken, /^tok-/)
    await until(async () => (await attacker.type(name)) === 'string')
  })

  test('Redis killing the connection mid-command again and again never fails a call', async () => {
    // A connection of its own: node-redis's quit() can hang on a client whose socket was killed
    // while it reconnects (a driver matter, not this package's), so this one is destroyed.
    const victim = createClient({ url: fixture.redisServer.url })
    victim.on('error', () => {})
    await victim.connect()
    const reader = new TokenClient({
      tokenUrl: fixture.tokenServer.tokenUrl,
      clientId: CLIENT_ID,
      clientSecret: LEAK_PROBE_SECRET,
      sharedCache: redisTokenCache(victim, { onError: (error) => troubles.push(error) }),
    })
    clients.push(reader)
    let killing = true
    const killer = (async () => {
      while (killing) {
        await attacker.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']).catch(() => {})
        await sleep(2)
      }
    })()
    try {
      const results = await Promise.allSettled(Array.from({ length: 60 }, (_, index) => reader.getToken(`kill:${index % 20}`)))
      assert.deepEqual(results.filter((result) => result.status === 'rejected'), [])
    } finally {
      killing = false
      await killer
      await reader.close()
      victim.destroy()
    }
  })

  test('error replies (an ACL that refuses EVAL, GET and GETRANGE) never fail a call; each is reported, without a token or the secret', async () => {
    await attacker.sendCommand(['ACL', 'SETUSER', 'limited', 'on', '>limited-password', '~*', '+@all', '-eval', '-get', '-getrange'])
    const limited = createClient({ url: fixture.redisServer.url, username: 'limited', password: 'limited-password' })
    limited.on('error', () => {})
    await limited.connect()
    try {
      const client = new TokenClient({
        tokenUrl: fixture.tokenServer.tokenUrl,
        clientId: CLIENT_ID,
        clientSecret: LEAK_PROBE_SECRET,
        sharedCache: redisTokenCache(limited, { onError: (error) => troubles.push(error) }),
      })
      clients.push(client)
      const got = await Promise.all(['a', 'b', 'c', 'd'].map((scope) => client.getToken(scope)))
      assert.equal(got.length, 4)
      assert.ok(troubles.some((error) => error.code === 'SHARED_CACHE_UNAVAILABLE' && error.operation === 'get'))
      assert.ok(troubles.some((error) => error.code === 'SHARED_CACHE_SKIPPED'))
      const { inspect } = await import('node:util')
      const shown = troubles.map((error) => inspect(error, { depth: 10 })).join('\n')
      for (const token of got) assert.ok(!shown.includes(token.accessToken))
      assert.ok(!shown.includes(LEAK_PROBE_SECRET) && !shown.includes(encodeURIComponent(LEAK_PROBE_SECRET)))
    } finally {
      await limited.quit().catch(() => {})
      await attacker.sendCommand(['ACL', 'DELUSER', 'limited'])
    }
  })
})
