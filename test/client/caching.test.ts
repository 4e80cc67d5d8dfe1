import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { setImmediate as tick } from 'node:timers/promises'
import { OAuthError, type TokenClientError } from '../../src/index.js'
import { startFixture, type Fixture } from '../helpers/fixtures.js'
import { TestClock } from '../helpers/test-clock.js'

let f: Fixture
before(async () => {
  f = await startFixture({ throttle: false })
})
after(() => f.close())

/** Waits until the server has logged `count` token requests for `scope` (background refreshes finish on their own). */
async function untilRequests(scope: string, count: number): Promise<void> {
  for (let i = 0; i < 500 && f.server.log.tokenRequests({ scope }).length < count; i++) await new Promise((r) => setTimeout(r, 2))
}

test('the second call is served from the cache; scope order and repeats share one token', async () => {
  const client = f.makeClient()
  const first = await client.getToken('api:read api:write')
  const again = await client.getToken(['api:write', 'api:read', 'api:write'])
  assert.equal(again, first)
  assert.equal(f.server.log.tokenRequests({ scope: 'api:write' }).length, 1)
  const other = await client.getToken('api:read')
  assert.notEqual(other.accessToken, first.accessToken)
})

test('forceRefresh gets a new token; invalidate(scope) and invalidate() drop cached ones', async () => {
  const client = f.makeClient({ scope: 'audit' })
  const before = f.server.log.tokenRequests({ scope: 'audit' }).length
  const first = await client.getToken()
  const forced = await client.getToken(undefined, { forceRefresh: true })
  assert.notEqual(forced.accessToken, first.accessToken)
  assert.equal(await client.getToken(), forced)
  client.invalidate('audit')
  const third = await client.getToken()
  assert.notEqual(third.accessToken, forced.accessToken)
  client.invalidate()
  await client.getToken()
  assert.equal(f.server.log.tokenRequests({ scope: 'audit' }).length - before, 4)
})

test('extra parameters are sent and are part of the cache key', async () => {
  const client = f.makeClient({ audience: 'https://api.example.com' })
  const a = await client.getToken('api:read', { resource: ['https://r2.example/', 'https://r1.example/'] })
  const b = await client.getToken('api:read', { resource: ['https://r1.example/', 'https://r2.example/'] })
  const c = await client.getToken('api:read')
  assert.equal(a, b)
  assert.notEqual(c, a)
  const logged = f.server.log.tokenRequests().filter((entry) => entry.params.resource !== undefined).at(-1)
  assert.deepEqual(logged?.params.resource, ['https://r1.example/', 'https://r2.example/'])
  assert.deepEqual(logged?.params.audience, ['https://api.example.com'])
})

test('refresh-ahead: past the refresh point callers get the current token at once while one refresh runs', async () => {
  const clock = new TestClock()
  const client = f.makeClient({ clock, cache: { refreshJitter: 0 } })
  const scope = 'api:write'
  const base = f.server.log.tokenRequests({ scope }).length
  const first = await client.getToken(scope)
  assert.equal(first.expiresAt.getTime(), clock.now() + 3_600_000, 'lifetime counted from when the request was sent')
  // usable until 3600 - 60 = 3540 s; refresh at 0.8 of that = 2832 s
  clock.advance(2_831_000)
  assert.equal(await client.getToken(scope), first)
  assert.equal(f.server.log.tokenRequests({ scope }).length, base + 1, 'no refresh before the refresh point')
  clock.advance(2_000)
  const during = await Promise.all(Array.from({ length: 20 }, () => client.getToken(scope)))
  assert.ok(during.every((token) => token === first), 'the current token, at once')
  await untilRequests(scope, base + 2)
  await tick()
  const after = await client.getToken(scope)
  assert.notEqual(after, first)
  assert.equal(f.server.log.tokenRequests({ scope }).length, base + 2, 'exactly one background refresh')
})

test('a failed background refresh: callers keep the valid token, the failure is reported, a later call retries after a backoff', async () => {
  const clock = new TestClock()
  const failures: Array<[TokenClientError, string]> = []
  const client = f.makeClient({
    clock,
    retry: false,
    cache: { refreshJitter: 0 },
    onRefreshError: (error, scope) => failures.push([error, scope]),
  })
  const scope = 'api:read audit'
  const first = await client.getToken(scope)
  f.server.faults.add({ type: 'status', status: 503 }, { scope: 'audit' })
  clock.advance(2_833_000)
  assert.equal(await client.getToken(scope), first)
  for (let i = 0; i < 500 && failures.length === 0; i++) await new Promise((r) => setTimeout(r, 2))
  assert.equal(failures.length, 1)
  assert.ok(failures[0]?.[0] instanceof OAuthError && failures[0][0].status === 503)
  assert.equal(failures[0]?.[1], 'api:read audit')
  assert.equal(await client.getToken(scope), first, 'still the valid token')
  await new Promise((r) => setTimeout(r, 1))
  const before = f.server.log.tokenRequests({ scope: 'audit' }).length
  for (let i = 0; i < 20; i++) assert.equal(await client.getToken(scope), first)
  assert.equal(f.server.log.tokenRequests({ scope: 'audit' }).length, before, 'no request per call while backing off')
  clock.advance(1_001)
  for (let i = 0; i < 500; i++) {
    if ((await client.getToken(scope)) !== first) break
    await new Promise((r) => setTimeout(r, 2))
  }
  assert.notEqual(await client.getToken(scope), first, 'the next call after the failure refreshed')
})

test('the lifetime is counted from when the request was sent, not from when the answer arrived', async () => {
  const clock = new TestClock()
  const client = f.makeClient({ clock })
  f.server.faults.add({ type: 'delay', ms: 60 }, { scope: 'api:read' })
  const sentAt = clock.now()
  const pending = client.getToken('api:read', { params: { case: 'slow' } })
  await new Promise((r) => setTimeout(r, 20))
  clock.advance(10_000) // ten seconds pass while the server is slow
  const token = await pending
  assert.equal(token.expiresAt.getTime(), sentAt + 3_600_000)
})

test('a token is never handed out in its last seconds: the caller waits for a new one', async () => {
  const clock = new TestClock()
  const client = f.makeClient({ clock })
  const first = await client.getToken('audit api:write')
  clock.advance(3_541_000)
  const next = await client.getToken('audit api:write')
  assert.notEqual(next.accessToken, first.accessToken)
})

test('a lifetime shorter than the expiry buffer is still cached for half of it, not one request per call', async () => {
  const clock = new TestClock()
  const client = f.makeClient({ clock, cache: { refreshJitter: 0 } })
  f.server.faults.add({ type: 'token', fields: { expires_in: 10 } }, { scope: 'api:read' })
  const scope = 'api:read api:write audit'
  const before = f.server.log.tokenRequests({ scope: 'audit' }).length
  const first = await client.getToken(scope)
  for (let i = 0; i < 10; i++) assert.equal(await client.getToken(scope), first)
  clock.advance(3_000)
  assert.equal(await client.getToken(scope), first, 'within half the 10 s lifetime')
  assert.equal(f.server.log.tokenRequests({ scope: 'audit' }).length - before, 1)
  clock.advance(2_001)
  assert.notEqual((await client.getToken(scope)).accessToken, first.accessToken, 'not past half of it')
})

test('a missing expires_in uses the documented default lifetime, or the JWT exp when the token is a JWT', async () => {
  const clock = new TestClock()
  const client = f.makeClient({ clock })
  f.server.faults.add({ type: 'token', fields: { expires_in: undefined } }, { scope: 'api:read' })
  const opaque = await client.getToken('api:read', { params: { case: 'missing' } })
  assert.equal(opaque.expiresAt.getTime(), clock.now() + 300_000)

  const payload = Buffer.from(JSON.stringify({ exp: Math.floor(clock.now() / 1000) + 900 })).toString('base64url')
  const jwt = `eyJhbGciOiJub25lIn0.${payload}.x`
  f.server.faults.add({ type: 'token', fields: { expires_in: undefined, access_token: jwt } }, { scope: 'api:read' })
  const fromJwt = await client.getToken('api:read', { params: { case: 'jwt' } })
  assert.equal(fromJwt.accessToken, jwt)
  assert.equal(fromJwt.expiresAt.getTime(), Math.floor(clock.now() / 1000) * 1000 + 900_000)
})

test('a string expires_in and a lowercase token_type are accepted', async () => {
  const client = f.makeClient()
  f.server.faults.add({ type: 'token', fields: { expires_in: '120', token_type: 'bearer' } }, { scope: 'api:read' })
  const token = await client.getToken('api:read', { params: { case: 'string-expiry' } })
  assert.equal(token.tokenType, 'Bearer')
  assert.ok(Math.abs(token.expiresAt.getTime() - Date.now() - 120_000) < 5_000)
})
