// Issued tokens: lookup, expiry and pruning on an injected time.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TokenStore } from '../../src/server/tokens/token-store.js'
import { randomToken } from '../../src/server/tokens/token-format.js'

const grant = { clientId: 'svc', scope: ['a'], resources: [] }

test('issued tokens are found until they expire', () => {
  const store = new TokenStore()
  const token = store.issue(grant, 10, 1_000)
  assert.deepEqual(store.get(token, 1_000), { ...grant, audience: [], format: 'opaque', issuedAt: 1_000, expiresAt: 11_000 })
  assert.ok(store.get(token, 10_999))
  assert.equal(store.get(token, 11_000), undefined)
  assert.equal(store.get('unknown', 1_000), undefined)
  assert.equal(store.delete(token), true)
  assert.equal(store.delete(token), false)
  assert.equal(store.size, 0)
})

test('expired tokens of every lifetime are pruned as new ones are issued', () => {
  const store = new TokenStore()
  for (let index = 0; index < 100; index++) {
    store.issue(grant, 10, index)
    store.issue(grant, 60, index)
  }
  assert.equal(store.size, 200)
  store.issue(grant, 10, 10_050) // 10 s tokens issued at 0..50 ms have expired
  assert.equal(store.size, 200 - 51 + 1)
  store.issue(grant, 10, 60_000)
  // Every 10 s token has expired, and the 60 s token issued at 0 ms; 99 remain, plus the new one.
  assert.equal(store.size, 99 + 1)
})

test('randomToken gives distinct 32-byte base64url tokens', () => {
  const tokens = new Set(Array.from({ length: 1000 }, () => randomToken()))
  assert.equal(tokens.size, 1000)
  for (const token of tokens) assert.match(token, /^[A-Za-z0-9_-]{43}$/)
})

test('the store is bounded: past maxTokens the token that expires first is forgotten', () => {
  const store = new TokenStore(3)
  const now = 1_000_000
  const grant = { clientId: 'svc', scope: ['a'], resources: [] }
  const short = store.issue(grant, 10, now)
  const long = [store.issue(grant, 3600, now), store.issue(grant, 3600, now + 1)]
  assert.equal(store.size, 3)
  const newest = store.issue(grant, 3600, now + 2)
  assert.equal(store.size, 3)
  assert.equal(store.get(short, now + 3), undefined, 'the one expiring first went')
  for (const token of [...long, newest]) assert.ok(store.get(token, now + 3), 'the others stay')
})
