import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { after, before, test } from 'node:test'
import { Readable } from 'node:stream'
import { TokenRenewal } from '../../src/fetch/token-source.js'
import { AbortError, createAuthFetch, OAuthError, TokenClient } from '../../src/index.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { startEchoServer } from '../helpers/echo-server.js'
import { recordWarnings } from '../helpers/process-warnings.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'
import { TestClock } from '../helpers/test-clock.js'

let server: ReferenceServer
let serverClock: TestClock
const clients: TokenClient[] = []

before(async () => {
  serverClock = new TestClock()
  server = await startReferenceServer({
    clients: [{ clientId: 'svc', clientSecret: RESERVED_SECRET, scopes: ['api:read', 'api:write'] }],
    clock: serverClock,
    throttle: false,
  })
})
after(async () => {
  await Promise.all(clients.map((client) => client.close()))
  await server.close()
})

function newClient(options: Partial<ConstructorParameters<typeof TokenClient>[0]> = {}): TokenClient {
  const client = new TokenClient({ tokenUrl: server.tokenUrl, clientId: 'svc', clientSecret: RESERVED_SECRET, retry: { minDelayMs: 1, maxDelayMs: 2 }, ...options })
  clients.push(client)
  return client
}
const tokenRequests = () => server.log.count({ path: '/token' })

test('a request to a listed origin carries the bearer and reaches the protected resource', async () => {
  const authFetch = createAuthFetch(newClient(), { scope: 'api:read', origins: [server.issuer] })
  const before = tokenRequests()
  const response = await authFetch(server.resourceUrl)
  assert.equal(response.status, 200)
  const identity = (await response.json()) as { client_id: string; scope: string }
  assert.equal(identity.client_id, 'svc')
  assert.equal(identity.scope, 'api:read')
  await (await authFetch(new URL(server.resourceUrl))).arrayBuffer()
  assert.equal(tokenRequests() - before, 1, 'the second call used the cached token')
})

test('URL, string and Request inputs all work, with init headers kept', async () => {
  const echo = await startEchoServer()
  try {
    const client = newClient()
    const authFetch = createAuthFetch(client, { scope: 'api:read', origins: [echo.origin] })
    await (await authFetch(`${echo.origin}/a`, { headers: { 'x-trace': '1' } })).text()
    await (await authFetch(new URL(`${echo.origin}/b`))).text()
    await (await authFetch(new Request(`${echo.origin}/c`, { method: 'POST', body: 'hello', headers: { 'x-trace': '3' } }))).text()
    const token = (await client.getToken('api:read')).accessToken
    assert.deepEqual(echo.seen.map((r) => [r.path, r.authorization, r.headers['x-trace'], r.body]), [
      ['/a', `Bearer ${token}`, '1', ''],
      ['/b', `Bearer ${token}`, undefined, ''],
      ['/c', `Bearer ${token}`, '3', 'hello'],
    ])
  } finally {
    await echo.close()
  }
})

test('requests elsewhere go out without the token: another port, another host name, unlisted origins', async () => {
  const echo = await startEchoServer()
  try {
    const authFetch = createAuthFetch(newClient(), { scope: 'api:read', origins: [server.issuer] })
    const before = tokenRequests()
    await (await authFetch(`${echo.origin}/x`)).text()
    await (await authFetch(`${echo.origin.replace('127.0.0.1', 'localhost')}/y`)).text()
    assert.deepEqual(echo.seen.map((r) => r.authorization), [undefined, undefined])
    assert.equal(tokenRequests() - before, 0, 'no token was even fetched')
  } finally {
    await echo.close()
  }
})

test('a request that already has an Authorization header is left alone, and its 401 is not retried', async () => {
  const authFetch = createAuthFetch(newClient(), { scope: 'api:read', origins: [server.issuer] })
  const before = tokenRequests()
  const response = await authFetch(server.resourceUrl, { headers: { authorization: 'Bearer not-a-real-token' } })
  assert.equal(response.status, 401)
  assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/)
  assert.equal(tokenRequests() - before, 0)
})

test('a missing token (unlisted origin) gets the resource challenge without an error code', async () => {
  const authFetch = createAuthFetch(newClient(), { scope: 'api:read', origins: ['https://api.example.com'] })
  const response = await authFetch(server.resourceUrl)
  assert.equal(response.status, 401)
  assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer realm="[^"]+"$/)
})

test('a redirect to another origin never carries the bearer; a same-origin redirect does (two servers)', async () => {
  const target = await startEchoServer()
  const origin = await startEchoServer({
    '/away': { status: 302, headers: { location: `${target.origin}/landing` } },
    '/here': { status: 307, headers: { location: '/final' } },
  })
  try {
    const client = newClient()
    const authFetch = createAuthFetch(client, { scope: 'api:read', origins: [origin.origin, target.origin] })
    const token = (await client.getToken('api:read')).accessToken
    const away = await authFetch(`${origin.origin}/away`)
    assert.equal(away.status, 200)
    assert.deepEqual(origin.seen.map((r) => r.authorization), [`Bearer ${token}`])
    assert.deepEqual(target.seen.map((r) => [r.path, r.authorization]), [['/landing', undefined]], 'the listed target still gets no bearer from a redirect')
    const here = await authFetch(`${origin.origin}/here`, { method: 'POST', body: 'payload' })
    assert.equal(here.status, 200)
    assert.deepEqual(origin.seen.slice(1).map((r) => [r.path, r.authorization, r.body]), [
      ['/here', `Bearer ${token}`, 'payload'],
      ['/final', `Bearer ${token}`, 'payload'],
    ])
    const manual = await authFetch(`${origin.origin}/away`, { redirect: 'manual' })
    assert.equal(manual.status, 302)
  } finally {
    await origin.close()
    await target.close()
  }
})

test('an expired token (401 invalid_token) is renewed and the request repeated once', async () => {
  const client = newClient()
  const authFetch = createAuthFetch(client, { scope: 'api:write', origins: [server.issuer] })
  await (await authFetch(server.resourceUrl)).text()
  const before = tokenRequests()
  serverClock.advance(3_601_000) // the server's clock: the client still thinks its token is fresh
  const response = await authFetch(server.resourceUrl, { method: 'POST', body: JSON.stringify({ a: 1 }), headers: { 'content-type': 'application/json' } })
  assert.equal(response.status, 200)
  const body = (await response.json()) as { method: string; bodyLength: number }
  assert.deepEqual([body.method, body.bodyLength], ['POST', 7])
  assert.equal(tokenRequests() - before, 1)
})

test('concurrent 401s for the same token cause one renewal', async () => {
  const client = newClient()
  const authFetch = createAuthFetch(client, { scope: 'api:read api:write', origins: [server.issuer] })
  await (await authFetch(server.resourceUrl)).text()
  const before = tokenRequests()
  serverClock.advance(3_601_000)
  const responses = await Promise.all(Array.from({ length: 20 }, () => authFetch(server.resourceUrl)))
  assert.deepEqual([...new Set(responses.map((r) => r.status))], [200])
  await Promise.all(responses.map((r) => r.text()))
  assert.equal(tokenRequests() - before, 1)
})

test('50 concurrent renewals sharing one signal put one listener on it, warn nothing, and leave none behind', { timeout: 10_000 }, async () => {
  // The renewal is what the fetch wrapper and the interceptor wait on after a 401; undici's fetch
  // keeps listeners of its own on a request's signal, so the renewal is checked on its own here.
  const client = newClient()
  const renewal = new TokenRenewal(client, { scope: 'api:read', params: { case: 'shared-signal' } })
  const rejected = (await renewal.current(undefined)).accessToken
  const before = tokenRequests()
  const warnings = recordWarnings()
  const { signal } = new AbortController()
  const renewals = Array.from({ length: 50 }, () => renewal.replace(rejected, signal))
  assert.ok(getEventListeners(signal, 'abort').length <= 1, 'one listener, however many renewals share the signal')
  const tokens = await Promise.all(renewals)
  assert.equal(new Set(tokens.map((token) => token.accessToken)).size, 1)
  assert.notEqual(tokens[0]?.accessToken, rejected)
  assert.equal(tokenRequests() - before, 1, 'one renewal')
  assert.equal(getEventListeners(signal, 'abort').length, 0, 'no listener left once every renewal has settled')
  assert.deepEqual((await warnings.stop()).map((warning) => warning.name), [])

  const aborting = new AbortController()
  const aborted = Array.from({ length: 50 }, () => renewal.replace(tokens[0]?.accessToken ?? '', aborting.signal))
  aborting.abort(new Error('caller gave up'))
  for (const result of await Promise.allSettled(aborted)) {
    assert.ok(result.status === 'rejected' && (result.reason as Error).message === 'caller gave up', 'rejected with the reason, as fetch is')
  }
  assert.equal(getEventListeners(aborting.signal, 'abort').length, 0)
})

test('a revoked token is renewed the same way', async () => {
  const client = newClient()
  const authFetch = createAuthFetch(client, { scope: 'api:read', origins: [server.issuer], params: { case: 'revoked' } })
  await (await authFetch(server.resourceUrl)).text()
  const token = (await client.getToken('api:read', { params: { case: 'revoked' } })).accessToken
  const revoke = await fetch(new URL('/revoke', server.issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`svc:${encodeURIComponent(RESERVED_SECRET).replace(/%20/g, '+')}`).toString('base64')}` },
    body: new URLSearchParams({ token }),
  })
  assert.equal(revoke.status, 200)
  const response = await authFetch(server.resourceUrl)
  assert.equal(response.status, 200)
  await response.text()
  assert.notEqual((await client.getToken('api:read', { params: { case: 'revoked' } })).accessToken, token)
})

test('a one-shot stream body is not repeated: the 401 is returned', async () => {
  const client = newClient()
  const authFetch = createAuthFetch(client, { scope: 'api:read', origins: [server.issuer], params: { case: 'stream' } })
  await (await authFetch(server.resourceUrl)).text()
  serverClock.advance(3_601_000)
  const before = tokenRequests()
  const response = await authFetch(server.resourceUrl, { method: 'POST', body: Readable.toWeb(Readable.from(['a', 'b'])) as ReadableStream, duplex: 'half' } as RequestInit)
  assert.equal(response.status, 401)
  await response.text()
  assert.equal(tokenRequests() - before, 0)
})

test('insufficient scope (403) is returned as it is, without renewal', async () => {
  const authFetch = createAuthFetch(newClient(), { scope: 'api:read', origins: [server.issuer] })
  const before = tokenRequests()
  const response = await authFetch(`${server.resourceUrl}?scope=api:write`)
  assert.equal(response.status, 403)
  assert.match(response.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/)
  await response.text()
  assert.ok(tokenRequests() - before <= 1, 'at most the first token, no renewal')
})

test("retryOnUnauthorized: 'never' returns the 401; 'any-401' renews on a 401 without invalid_token", async () => {
  const echo = await startEchoServer({ '/plain401': { status: 401, headers: { 'www-authenticate': 'Bearer realm="x"' } } })
  try {
    const client = newClient()
    const never = createAuthFetch(client, { scope: 'api:read', origins: [server.issuer], retryOnUnauthorized: 'never', params: { case: 'never' } })
    await (await never(server.resourceUrl)).text()
    serverClock.advance(3_601_000)
    assert.equal((await never(server.resourceUrl)).status, 401)
    const any = createAuthFetch(client, { scope: 'api:read', origins: [echo.origin], retryOnUnauthorized: 'any-401', params: { case: 'any' } })
    assert.equal((await any(`${echo.origin}/plain401`)).status, 401)
    assert.equal(echo.seen.length, 2, 'repeated once, never more')
    assert.notEqual(echo.seen[0]?.authorization, echo.seen[1]?.authorization)
    const strict = createAuthFetch(client, { scope: 'api:read', origins: [echo.origin], params: { case: 'strict' } })
    assert.equal((await strict(`${echo.origin}/plain401`)).status, 401)
    assert.equal(echo.seen.length, 3, "a 401 without invalid_token is not repeated by default")
  } finally {
    await echo.close()
  }
})

test('concurrent requests on a cold cache make one token request', async () => {
  const authFetch = createAuthFetch(newClient(), { scope: 'api:read', origins: [server.issuer], params: { case: 'cold' } })
  const before = tokenRequests()
  const responses = await Promise.all(Array.from({ length: 25 }, () => authFetch(server.resourceUrl)))
  await Promise.all(responses.map((r) => r.text()))
  assert.deepEqual([...new Set(responses.map((r) => r.status))], [200])
  assert.equal(tokenRequests() - before, 1)
})

test("token errors surface as the client's typed errors", async () => {
  const authFetch = createAuthFetch(newClient({ clientSecret: 'wrong-secret' }), { scope: 'api:read', origins: [server.issuer] })
  await assert.rejects(authFetch(server.resourceUrl), (error: unknown) => error instanceof OAuthError && error.error === 'invalid_client')
})

test("the caller's signal aborts the token fetch and the request", async () => {
  const authFetch = createAuthFetch(newClient(), { scope: 'api:read', origins: [server.issuer], params: { case: 'abort' } })
  server.faults.add({ type: 'delay', ms: 2_000 }, { clientId: 'svc' })
  const started = performance.now()
  await assert.rejects(authFetch(server.resourceUrl, { signal: AbortSignal.timeout(50) }), AbortError)
  assert.ok(performance.now() - started < 1_500, 'the token fetch was aborted promptly')
  server.faults.clear()
})

test('options are checked: origins must be listed as origins', () => {
  const client = newClient()
  assert.throws(() => createAuthFetch(client, { origins: [] }), /origins must list at least one origin/)
  assert.throws(() => createAuthFetch(client, { origins: ['https://api.example.com/path'] }), /origins only/)
  assert.throws(() => createAuthFetch(client, { origins: ['http://api.example.com'] }), /plain-http/)
  assert.throws(() => createAuthFetch({} as TokenClient, { origins: ['https://a.example'] }), /client must be a TokenClient/)
})
