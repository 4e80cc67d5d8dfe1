import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, test } from 'node:test'
import {
  AbortError,
  ClientClosedError,
  OAuthError,
  TimeoutError,
  TokenClient,
  TransportError,
  UnexpectedStatusError,
  type RetryEvent,
} from '../../src/index.js'
import { CLIENT_ID, startFixture, type Fixture } from '../helpers/fixtures.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'
import { TestClock } from '../helpers/test-clock.js'

let f: Fixture
before(async () => {
  f = await startFixture({ throttle: false })
})
after(() => f.close())

let n = 0
/** A scope-unique parameter so every test's requests can be counted on their own. */
function isolated() {
  const tag = `t${++n}`
  return { params: { tag }, count: () => f.server.log.tokenRequests().filter((entry) => entry.params.tag?.[0] === tag).length }
}

for (const status of [408, 429, 500, 502, 503, 504]) {
  test(`status ${status} is transient: retried, then recovered`, async () => {
    const events: RetryEvent[] = []
    const client = f.makeClient({ retry: { minDelayMs: 1, maxDelayMs: 5, onRetry: (event) => events.push(event) } })
    const { params, count } = isolated()
    f.server.faults.add({ type: 'status', status }, { scope: 'api:read', times: 2 })
    const token = await client.getToken('api:read', { params })
    assert.equal(token.scope, 'api:read')
    assert.equal(count(), 3)
    assert.deepEqual(events.map((event) => [event.attempt, (event.error as UnexpectedStatusError).status]), [[1, status], [2, status]])
  })
}

test('a 503 page after retries run out is an UNEXPECTED_STATUS error with the attempt count', async () => {
  const client = f.makeClient({ retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 } })
  const { params, count } = isolated()
  f.server.faults.add({ type: 'status', status: 503, body: '<html>down</html>', contentType: 'text/html' }, { scope: 'api:read', times: 5 })
  await assert.rejects(client.getToken('api:read', { params }), (error: unknown) => {
    assert.ok(error instanceof UnexpectedStatusError)
    assert.equal(error.status, 503)
    assert.equal(error.contentType, 'text/html')
    assert.equal(error.attempts, 3)
    return true
  })
  assert.equal(count(), 3)
  f.server.faults.clear()
})

test('a dropped connection is a transport failure and is retried', async () => {
  const client = f.makeClient()
  const { params, count } = isolated()
  f.server.faults.add({ type: 'drop' }, { scope: 'api:read' })
  assert.equal((await client.getToken('api:read', { params })).scope, 'api:read')
  assert.equal(count(), 2)
})

test('a refused connection is retried, then fails as TRANSPORT_ERROR with the cause', async () => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
  const client = new TokenClient({
    tokenUrl: `http://127.0.0.1:${port}/token`, clientId: CLIENT_ID, clientSecret: RESERVED_SECRET,
    retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 },
  })
  try {
    await assert.rejects(client.getToken('api:read'), (error: unknown) => {
      assert.ok(error instanceof TransportError)
      assert.equal(error.attempts, 3)
      assert.match(error.message, /ECONNREFUSED/)
      assert.ok(error.cause instanceof Error)
      return true
    })
  } finally {
    await client.close()
  }
})

test('a slow server past the attempt timeout is retried; the next attempt succeeds', async () => {
  const client = f.makeClient({ retry: { attemptTimeoutMs: 50, minDelayMs: 1, maxDelayMs: 2 } })
  const { params, count } = isolated()
  f.server.faults.add({ type: 'delay', ms: 500 }, { scope: 'api:read' })
  assert.equal((await client.getToken('api:read', { params })).scope, 'api:read')
  assert.equal(count(), 2)
})

test('the overall deadline stops retrying with a TIMEOUT error', async () => {
  const client = f.makeClient({ retry: { attemptTimeoutMs: 40, deadlineMs: 100, retries: 10, minDelayMs: 1, maxDelayMs: 2 } })
  const { params } = isolated()
  f.server.faults.add({ type: 'delay', ms: 1_000 }, { scope: 'api:write', times: 10 })
  const started = performance.now()
  await assert.rejects(client.getToken('api:write', { params }), (error: unknown) => {
    assert.ok(error instanceof TimeoutError)
    assert.equal(error.limit, 'deadline')
    assert.ok(error.attempts >= 2)
    return true
  })
  assert.ok(performance.now() - started < 1_000, 'promptly at the deadline')
  f.server.faults.clear()
})

test('a Retry-After wait and the backoff after it together never run past the deadline', async () => {
  const client = f.makeClient({
    retry: { deadlineMs: 1_200, retries: 5, minDelayMs: 400, maxDelayMs: 400, factor: 1 },
  })
  const { params } = isolated()
  f.server.faults.add({ type: 'status', status: 503, headers: { 'retry-after': '1' } }, { scope: 'api:write', times: 6 })
  const started = performance.now()
  await assert.rejects(client.getToken('api:write', { params }), (error: unknown) => {
    assert.ok(error instanceof TimeoutError, String(error))
    assert.equal(error.limit, 'deadline')
    assert.equal(error.attempts, 1)
    return true
  })
  const elapsed = performance.now() - started
  assert.ok(elapsed < 1_300, `answered by the deadline, not after the backoff too (${Math.round(elapsed)} ms)`)
  f.server.faults.clear()
})

test('Retry-After in seconds is honoured (waited on the clock), then the request succeeds', async () => {
  const clock = new TestClock()
  const client = f.makeClient({ clock })
  const { params, count } = isolated()
  f.server.faults.add({ type: 'status', status: 503, headers: { 'retry-after': '2' } }, { scope: 'api:read' })
  f.server.faults.add({ type: 'status', status: 429, headers: { 'retry-after': '5' } }, { scope: 'api:read' })
  await client.getToken('api:read', { params })
  assert.deepEqual(clock.sleeps, [2_000, 5_000])
  assert.equal(count(), 3)
})

test('Retry-After as an HTTP date is honoured', async () => {
  const clock = new TestClock(Date.parse('2026-11-25T12:00:00Z'))
  const client = f.makeClient({ clock })
  const { params } = isolated()
  f.server.faults.add({ type: 'status', status: 503, headers: { 'retry-after': 'Wed, 25 Nov 2026 12:00:03 GMT' } }, { scope: 'api:read' })
  await client.getToken('api:read', { params })
  assert.deepEqual(clock.sleeps, [3_000])
})

test('a Retry-After past the cap is not waited for: the call fails at once saying how long was asked', async () => {
  const clock = new TestClock()
  const client = f.makeClient({ clock, retry: { maxRetryAfterMs: 10_000, minDelayMs: 1 } })
  const { params, count } = isolated()
  f.server.faults.add({ type: 'status', status: 429, headers: { 'retry-after': '60' } }, { scope: 'api:read' })
  await assert.rejects(client.getToken('api:read', { params }), (error: unknown) =>
    error instanceof OAuthError && error.status === 429 && error.retryAfterMs === 60_000 && error.attempts === 1)
  assert.equal(count(), 1)
  assert.deepEqual(clock.sleeps, [])
})

for (const [code, status] of [
  ['invalid_request', 400], ['invalid_client', 401], ['invalid_grant', 400], ['unauthorized_client', 400],
  ['unsupported_grant_type', 400], ['invalid_scope', 400], ['invalid_target', 400],
] as const) {
  test(`OAuth error ${code} is final: one request, a typed error with the server's fields`, async () => {
    const client = f.makeClient()
    const { params, count } = isolated()
    const body = JSON.stringify({ error: code, error_description: `described ${code}`, error_uri: 'https://errors.example/x' })
    f.server.faults.add({ type: 'status', status, body, contentType: 'application/json' }, { scope: 'api:read' })
    await assert.rejects(client.getToken('api:read', { params }), (error: unknown) => {
      assert.ok(error instanceof OAuthError)
      assert.deepEqual([error.error, error.errorDescription, error.errorUri, error.status, error.attempts], [code, `described ${code}`, 'https://errors.example/x', status, 1])
      return true
    })
    assert.equal(count(), 1)
  })
}

test('retry: false makes a single attempt', async () => {
  const client = f.makeClient({ retry: false })
  const { params, count } = isolated()
  f.server.faults.add({ type: 'status', status: 503 }, { scope: 'api:read' })
  await assert.rejects(client.getToken('api:read', { params }), (error: unknown) =>
    error instanceof OAuthError && error.error === 'temporarily_unavailable' && error.status === 503)
  assert.equal(count(), 1)
})

test('an aborted signal stops retries at once', async () => {
  const client = f.makeClient({ retry: { retries: 10, minDelayMs: 10_000, maxDelayMs: 10_000 } })
  const { params, count } = isolated()
  f.server.faults.add({ type: 'status', status: 503 }, { scope: 'api:read', times: 10 })
  const controller = new AbortController()
  const started = performance.now()
  const pending = client.getToken('api:read', { params, signal: controller.signal })
  setTimeout(() => controller.abort(), 50)
  await assert.rejects(pending, AbortError)
  assert.ok(performance.now() - started < 2_000, 'not after the 10 s backoff')
  await new Promise((r) => setTimeout(r, 20))
  assert.equal(count(), 1, 'the abandoned request stopped retrying')
  f.server.faults.clear()
})

test('close() during the backoff between attempts rejects at once with CLIENT_CLOSED and stops retrying', async () => {
  const client = f.makeClient({ retry: { retries: 10, minDelayMs: 10_000, maxDelayMs: 10_000 } })
  const { params, count } = isolated()
  f.server.faults.add({ type: 'status', status: 503 }, { scope: 'api:read', times: 10 })
  const started = performance.now()
  const pending = client.getToken('api:read', { params })
  const rejected = assert.rejects(pending, (error: unknown) => error instanceof ClientClosedError && error.attempts === 1)
  await new Promise((r) => setTimeout(r, 50))
  await client.close()
  await rejected
  assert.ok(performance.now() - started < 2_000, 'not after the 10 s backoff')
  assert.equal(count(), 1)
  f.server.faults.clear()
})
