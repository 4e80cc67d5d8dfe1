// A hostile (or merely odd) token server against the shared token cache: lifetimes of 0, 1 s and
// more than 24.8 days, a token so large its sealed entry passes the reader's cap, and a token that
// is unusable by the time it arrives. What may be written to Redis, for how long, and whether any
// process serves a token past its usable time. Real redis-server; a tiny token server whose answers
// the test sets. Each TokenClient stands for one process.
//
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startCountingTokenServer } from '../helpers/counting-token-server.js'
import { skipWithoutRedis } from '../helpers/redis-server.js'
import { sharedCacheFixture } from '../helpers/shared-cache-fixture.js'

const CLIENT_ID = 'hostile-server-svc'
const SCOPE = 'orders:read'

describe('shared cache against a hostile token server', { skip: skipWithoutRedis(), timeout: 60_000 }, () => {
  const fixture = sharedCacheFixture({ clientId: CLIENT_ID, startTokenServer: startCountingTokenServer, clientOptions: { retry: false } })
  const { processClient, troubles } = fixture

  /** Settles the background write of the last token (one Redis round trip, and the lease release). */
  const settle = () => sleep(50)

  test('expires_in 0: the token goes to its callers, and nothing is written to Redis', async () => {
    fixture.tokenServer.respond = (n) => ({ access_token: `zero-${n}`, token_type: 'Bearer', expires_in: 0 })
    const token = await processClient().getToken(SCOPE)
    assert.match(token.accessToken, /^zero-/)
    await settle()
    assert.deepEqual(await fixture.storedEntryNames(), [])
    const next = await processClient().getToken(SCOPE)
    assert.notEqual(next.accessToken, token.accessToken)
  })

  test('expires_in 1: the entry lives at most the usable half-second in Redis, and no reader serves it past that', async () => {
    fixture.tokenServer.respond = (n) => ({ access_token: `one-${n}`, token_type: 'Bearer', expires_in: 1 })
    const written = await processClient().getToken(SCOPE)
    await settle()
    const [name] = await fixture.storedEntryNames()
    assert.ok(name !== undefined, 'a 1 s token (usable for 500 ms) is worth sharing')
    const ttl = await fixture.redis.pTTL(name)
    assert.ok(ttl > 0 && ttl <= 500, `PTTL ${ttl}`)
    const reader = processClient()
    const read = await reader.getToken(SCOPE)
    assert.equal(read.accessToken, written.accessToken)
    await sleep(550)
    assert.notEqual((await reader.getToken(SCOPE)).accessToken, written.accessToken, 'served past its usable end')
  })

  test('a token that is unusable on arrival (a slow answer eats its usable life) is handed to its callers, never written', async () => {
    fixture.tokenServer.respond = (n) => ({ access_token: `late-${n}`, token_type: 'Bearer', expires_in: 1 })
    fixture.tokenServer.delayMs = 700 // past the 500 ms usable half of a 1 s token
    const client = processClient()
    const token = await client.getToken(SCOPE)
    assert.match(token.accessToken, /^late-/)
    await settle()
    assert.deepEqual(await fixture.storedEntryNames(), [], 'a token unusable on arrival was shared')
    fixture.tokenServer.delayMs = 0
    assert.notEqual((await processClient().getToken(SCOPE)).accessToken, token.accessToken)
  })

  test('expires_in far past the cap (1e12 s): getToken succeeds, and the Redis TTL of the entry is at most the capped lifetime (no PX overflow)', async () => {
    fixture.tokenServer.respond = (n) => ({ access_token: `huge-${n}`, token_type: 'Bearer', expires_in: 1e12 })
    await processClient().getToken(SCOPE)
    await settle()
    for (const name of await fixture.storedEntryNames()) {
      const ttl = await fixture.redis.pTTL(name)
      assert.ok(ttl > 0 && ttl <= (2 ** 31 - 1) * 1000, `PTTL ${ttl}`)
    }
  })

  for (const [days, seconds] of [[30, 30 * 86_400], [365, 365 * 86_400]] as const) {
    test(`a ${days}-day token (expires_in ${seconds}) is shared: one token request for the fleet`, async () => {
      fixture.tokenServer.respond = (n) => ({ access_token: `long-${n}`, token_type: 'Bearer', expires_in: seconds })
      const before = fixture.tokenServer.requests()
      const fleet = [processClient(), processClient(), processClient()]
      const got: string[] = []
      for (const client of fleet) {
        got.push((await client.getToken(SCOPE)).accessToken)
        await settle()
      }
      const written = await fixture.storedEntryNames()
      assert.equal(written.length, 1, 'the token was written to Redis')
      // Readers accept what writers write: a lifetime past 2^31-1 ms (about 24.8 days) refused by
      // readers would make each process report SHARED_CACHE_ENTRY_REJECTED, ask the token server and
      // overwrite the entry, which the next one would reject in turn.
      assert.deepEqual(troubles.map((error) => `${error.code}:${error.reason}`), [], 'readers rejected the fleet\'s own entry')
      assert.equal(fixture.tokenServer.requests() - before, 1, `${fixture.tokenServer.requests() - before} token requests for ${fleet.length} processes`)
      assert.equal(new Set(got).size, 1)
    })
  }

  test('a 60 KB token is shared: readers accept every entry a writer writes', async () => {
    // Well inside the client's 1 MiB response cap; a JWT with many claims (group lists) gets there.
    fixture.tokenServer.respond = (n) => ({ access_token: `${'A'.repeat(60_000)}${n}`, token_type: 'Bearer', expires_in: 3600 })
    const before = fixture.tokenServer.requests()
    const fleet = [processClient(), processClient(), processClient()]
    for (const client of fleet) {
      await client.getToken(SCOPE)
      await settle()
    }
    const [name] = await fixture.storedEntryNames()
    assert.ok(name !== undefined, 'the entry was written')
    const stored = (await fixture.redis.get(name))!.length
    // Writers write only what readers read back (entry-seal.ts MAX_SEALED_CHARS, 1.5 Mi characters).
    assert.deepEqual(troubles.map((error) => `${error.code}:${error.reason}`), [], `an entry of ${stored} characters written, then rejected`)
    assert.equal(fixture.tokenServer.requests() - before, 1, `${fixture.tokenServer.requests() - before} token requests for ${fleet.length} processes`)
  })
})
