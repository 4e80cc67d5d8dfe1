// The jti replay cache of client assertions (RFC 7523 §3 item 7) on an injected clock: one use per
// (client id, jti) while the assertion is valid, then forgotten; bounded, so that junk cannot grow
// memory, as the failure throttle is (checklist item 15), and failing closed when full: a new jti
// is refused rather than an unexpired one forgotten (which would make a captured one usable again).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose'
import { AssertionReplayCache } from '../../src/server/clients/assertion-replay-cache.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { TestClock } from '../helpers/test-clock.js'
import { assertionClaims, assertionForm, postToken, signAssertion } from './helpers.js'

test('one use per client id and jti until the given time, then the jti may come back', () => {
  const clock = new TestClock(0)
  const cache = new AssertionReplayCache(10, clock)
  assert.equal(cache.use('svc', 'a', 60_000), 'recorded')
  assert.equal(cache.use('svc', 'a', 60_000), 'replay')
  assert.equal(cache.use('svc', 'a', 120_000), 'replay', 'a new expiry does not make it new')
  assert.equal(cache.use('other', 'a', 60_000), 'recorded', 'per client id')
  // No ambiguity by concatenation: ('a:b', 'c') and ('a', 'b:c') are two pairs.
  assert.equal(cache.use('a:b', 'c', 60_000), 'recorded')
  assert.equal(cache.use('a', 'b:c', 60_000), 'recorded')
  clock.advance(59_999)
  assert.equal(cache.use('svc', 'a', 120_000), 'replay')
  clock.advance(1)
  assert.equal(cache.use('svc', 'a', 120_000), 'recorded', 'expired at exactly its time')
  assert.equal(cache.size, 1, 'the expired ones are forgotten')
})

test('bounded: never more than maxJtis; full of jtis in use, it refuses new ones and forgets none', () => {
  const clock = new TestClock()
  const cache = new AssertionReplayCache(1_000, clock)
  const until = clock.now() + 300_000
  assert.equal(cache.use('svc', 'first', until), 'recorded')
  let full = 0
  for (let index = 0; index < 100_000; index++) if (cache.use('other', `junk-${index}-${'x'.repeat(index % 500)}`, until) === 'full') full++
  assert.equal(cache.size, 1_000)
  assert.equal(full, 100_000 - 999)
  assert.equal(cache.use('svc', 'first', until), 'replay', "another client's flood did not push it out")
  assert.equal(cache.retryAfterSeconds(), 300)
  clock.advance(300_000)
  assert.equal(cache.size, 0)
  assert.equal(cache.use('other', 'after', clock.now() + 1_000), 'recorded', 'room again once they expired')
})

test('a clock starting at 0 works (lru-cache TTLs are not used)', () => {
  const clock = new TestClock(0)
  const cache = new AssertionReplayCache(5, clock)
  assert.equal(cache.use('svc', 'a', 1), 'recorded')
  assert.equal(cache.use('svc', 'a', 1), 'replay')
  clock.advance(1)
  assert.equal(cache.use('svc', 'a', 2), 'recorded')
})

test('maxJtis must be a positive integer', () => {
  for (const maxJtis of [0, -1, 1.5, Infinity, Number.NaN]) {
    assert.throws(() => new AssertionReplayCache(maxJtis, new TestClock()), { code: 'ERR_INVALID_ARG_VALUE' })
  }
})

describe('at the server: only verified assertions enter the cache, so junk evicts nothing', () => {
  const clock = new TestClock()
  let server: ReferenceServer
  let privateKey: CryptoKey
  before(async () => {
    const pair = await generateKeyPair('ES256')
    privateKey = pair.privateKey
    server = await startReferenceServer({
      clock,
      throttle: false,
      clientAssertions: { maxJtis: 2 },
      clients: [{ clientId: 'svc', jwks: { keys: [await exportJWK(pair.publicKey)] }, scopes: [] }],
    })
  })
  after(() => server.close())

  const sign = (jti: string, key = privateKey) =>
    signAssertion(key, { alg: 'ES256' }, assertionClaims('svc', server.issuer, clock.now(), { jti }))
  const status = async (jwt: string) => (await postToken(server.tokenUrl, assertionForm(jwt))).status

  test('junk assertions (wrong key, random jtis) never enter the cache: a replay stays refused', async () => {
    const kept = await sign('kept')
    assert.equal(await status(kept), 200)
    const stranger = (await generateKeyPair('ES256')).privateKey
    for (let index = 0; index < 50; index++) assert.equal(await status(await sign(`junk-${index}`, stranger)), 401)
    assert.equal(await status(kept), 401, 'still known after 50 junk jtis, with room for 2')
  })

  test('the bound: full of jtis in use, a new assertion is 503 with Retry-After, and no jti is forgotten', async () => {
    clock.advance(400_000) // the earlier test's jtis expire
    const oldest = await sign('oldest')
    assert.equal(await status(oldest), 200)
    assert.equal(await status(await sign('newer-1')), 200)
    const refused = await postToken(server.tokenUrl, assertionForm(await sign('newer-2')))
    assert.equal(refused.status, 503)
    assert.equal(refused.json['error'], 'temporarily_unavailable')
    assert.ok(Number(refused.headers.get('retry-after')) >= 1)
    assert.equal(await status(oldest), 401, 'still a replay: nothing was pushed out')
  })
})
