import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { after, before, test } from 'node:test'
import { Agent, fetch as undiciFetch, interceptors, request, stream } from 'undici'
import { OAuthError, TokenClient, tokenInterceptor } from '../../src/index.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { startEchoServer } from '../helpers/echo-server.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'
import { TestClock } from '../helpers/test-clock.js'

let server: ReferenceServer
let serverClock: TestClock
const closers: Array<() => Promise<unknown>> = []

before(async () => {
  serverClock = new TestClock()
  server = await startReferenceServer({
    clients: [{ clientId: 'svc', clientSecret: RESERVED_SECRET, scopes: ['api:read', 'api:write'] }],
    clock: serverClock,
    throttle: false,
  })
})
after(async () => {
  for (const close of closers) await close()
  await server.close()
})

function setup(extra: Partial<Parameters<typeof tokenInterceptor>[0]> = {}, clientSecret = RESERVED_SECRET) {
  const client = new TokenClient({ tokenUrl: server.tokenUrl, clientId: 'svc', clientSecret, retry: false })
  const agent = new Agent()
  closers.push(() => client.close(), () => agent.close())
  const dispatcher = agent.compose(tokenInterceptor({ client, scope: 'api:read', origins: [server.issuer], ...extra }))
  return { client, dispatcher }
}
const tokenRequests = () => server.log.count({ path: '/token' })

test('request(): the bearer is added and the resource answers with the caller identity', async () => {
  const { dispatcher } = setup()
  const { statusCode, body } = await request(server.resourceUrl, { dispatcher })
  assert.equal(statusCode, 200)
  assert.equal(((await body.json()) as { client_id: string }).client_id, 'svc')
})

test('stream(): the bearer is added', async () => {
  const { dispatcher } = setup({ params: { case: 'stream' } })
  let received = ''
  let status = 0
  await stream(server.resourceUrl, { dispatcher, method: 'GET', opaque: null }, ({ statusCode }) => {
    status = statusCode
    return new Writable({
      write(chunk: Buffer, _encoding, callback) {
        received += chunk.toString()
        callback()
      },
    })
  })
  assert.equal(status, 200)
  assert.equal((JSON.parse(received) as { client_id: string }).client_id, 'svc')
})

test('fetch with the composed dispatcher: the bearer is added', async () => {
  const { dispatcher } = setup({ params: { case: 'fetch' } })
  const response = await undiciFetch(server.resourceUrl, { dispatcher })
  assert.equal(response.status, 200)
  assert.equal(((await response.json()) as { scope: string }).scope, 'api:read')
})

test('concurrent requests on a cold cache make one token request', async () => {
  const { dispatcher } = setup({ params: { case: 'cold' } })
  const before = tokenRequests()
  const results = await Promise.all(Array.from({ length: 20 }, () => request(server.resourceUrl, { dispatcher }).then(async (r) => (await r.body.text(), r.statusCode))))
  assert.deepEqual([...new Set(results)], [200])
  assert.equal(tokenRequests() - before, 1)
})

test('a 401 invalid_token renews the token and repeats a request whose body can be sent again, once', async () => {
  const { dispatcher } = setup({ params: { case: 'renew' } })
  await (await request(server.resourceUrl, { dispatcher })).body.text()
  serverClock.advance(3_601_000)
  const before = tokenRequests()
  const { statusCode, body } = await request(server.resourceUrl, { dispatcher, method: 'POST', body: 'twelve bytes', headers: { 'content-type': 'text/plain' } })
  assert.equal(statusCode, 200)
  assert.deepEqual(((await body.json()) as { bodyLength: number }).bodyLength, 12)
  assert.equal(tokenRequests() - before, 1)
})

test('concurrent 401s for one token cause one renewal', async () => {
  const { dispatcher } = setup({ params: { case: 'concurrent-401' } })
  await (await request(server.resourceUrl, { dispatcher })).body.text()
  serverClock.advance(3_601_000)
  const before = tokenRequests()
  const statuses = await Promise.all(Array.from({ length: 10 }, () => request(server.resourceUrl, { dispatcher }).then(async (r) => (await r.body.text(), r.statusCode))))
  assert.deepEqual([...new Set(statuses)], [200])
  assert.equal(tokenRequests() - before, 1)
})

test('a one-shot body is not repeated: the 401 reaches the caller', async () => {
  const { dispatcher } = setup({ params: { case: 'one-shot' } })
  await (await request(server.resourceUrl, { dispatcher })).body.text()
  serverClock.advance(3_601_000)
  const { Readable } = await import('node:stream')
  const response = await request(server.resourceUrl, { dispatcher, method: 'POST', body: Readable.from(['a', 'b']) })
  assert.equal(response.statusCode, 401)
  await response.body.text()
})

test('requests elsewhere, and requests with their own Authorization, pass through untouched', async () => {
  const echo = await startEchoServer()
  closers.push(() => echo.close())
  const { dispatcher } = setup()
  await (await request(`${echo.origin}/elsewhere`, { dispatcher })).body.text()
  await (await request(`${echo.origin}/own`, { dispatcher, headers: { authorization: 'Basic abc' } })).body.text()
  assert.deepEqual(echo.seen.map((r) => r.authorization), [undefined, 'Basic abc'])
})

test('with the redirect interceptor, a redirect to another origin loses the bearer', async () => {
  const target = await startEchoServer()
  const origin = await startEchoServer({ '/away': { status: 302, headers: { location: `${target.origin}/landing` } } })
  closers.push(() => target.close(), () => origin.close())
  const client = new TokenClient({ tokenUrl: server.tokenUrl, clientId: 'svc', clientSecret: RESERVED_SECRET })
  const agent = new Agent()
  closers.push(() => client.close(), () => agent.close())
  for (const dispatcher of [
    agent.compose(tokenInterceptor({ client, scope: 'api:read', origins: [origin.origin] }), interceptors.redirect({ maxRedirections: 3 })),
    agent.compose(interceptors.redirect({ maxRedirections: 3 }), tokenInterceptor({ client, scope: 'api:read', origins: [origin.origin] })),
  ]) {
    const { statusCode, body } = await request(`${origin.origin}/away`, { dispatcher })
    await body.text()
    assert.equal(statusCode, 200)
  }
  const token = (await client.getToken('api:read')).accessToken
  assert.deepEqual(origin.seen.map((r) => r.authorization), [`Bearer ${token}`, `Bearer ${token}`])
  assert.deepEqual(target.seen.map((r) => r.authorization), [undefined, undefined])
})

test("token errors reach the caller as the client's typed errors", async () => {
  const { dispatcher } = setup({}, 'wrong secret')
  await assert.rejects(request(server.resourceUrl, { dispatcher }), (error: unknown) => error instanceof OAuthError && error.error === 'invalid_client')
})

test("the caller's signal aborts the token fetch", async () => {
  const { dispatcher } = setup({ params: { case: 'abort' } })
  server.faults.add({ type: 'delay', ms: 2_000 }, { clientId: 'svc' })
  const started = performance.now()
  await assert.rejects(request(server.resourceUrl, { dispatcher, signal: AbortSignal.timeout(50) }))
  assert.ok(performance.now() - started < 1_500, 'aborted promptly')
  server.faults.clear()
})
