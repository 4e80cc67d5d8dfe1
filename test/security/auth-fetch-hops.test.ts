// Where createAuthFetch lets the token and the caller's headers go across redirects, and what a
// third party at the end of a redirect chain can make it do. Real loopback servers: the reference
// token server, a "listed" API origin and a "third party" origin, both recording echo servers.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createAuthFetch, TokenClient } from '../../src/index.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { startEchoServer } from '../helpers/echo-server.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'

let server: ReferenceServer
let api: Awaited<ReturnType<typeof startEchoServer>>
let thirdParty: Awaited<ReturnType<typeof startEchoServer>>
const clients: TokenClient[] = []

before(async () => {
  server = await startReferenceServer({ clients: [{ clientId: 'svc', clientSecret: RESERVED_SECRET, scopes: ['api:read'] }], throttle: false })
  api = await startEchoServer()
  thirdParty = await startEchoServer()
})
after(async () => {
  await Promise.all(clients.map((client) => client.close()))
  await Promise.all([server.close(), api.close(), thirdParty.close()])
})

function setup() {
  const client = new TokenClient({ tokenUrl: server.tokenUrl, clientId: 'svc', clientSecret: RESERVED_SECRET, retry: false })
  clients.push(client)
  api.seen.length = 0
  thirdParty.seen.length = 0
  return { client, authFetch: createAuthFetch(client, { scope: 'api:read', origins: [api.origin] }) }
}
const tokenRequests = () => server.log.count({ path: '/token' })
const INVALID_TOKEN = { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } }

const CALLER_HEADERS = {
  cookie: 'session=caller-cookie',
  'proxy-authorization': 'Basic cHJveHk6cGFzcw==',
  'x-trace': 'kept',
}

for (const [name, authorization] of [
  ['a request it authenticates', undefined],
  ['a request with the caller\'s own Authorization', 'Bearer callers-own-token'],
] as const) {
  test(`a redirect to another origin drops Authorization, Proxy-Authorization, Cookie and Host, for ${name}`, async () => {
    const { authFetch } = setup()
    api.routes['/leave'] = { status: 307, headers: { location: `${thirdParty.origin}/landed` } }
    const headers: Record<string, string> = { ...CALLER_HEADERS, host: new URL(api.origin).host }
    if (authorization) headers.authorization = authorization
    const response = await authFetch(`${api.origin}/leave`, { headers })
    assert.equal(response.status, 200)
    await response.text()
    assert.equal(api.seen.length, 1)
    assert.ok(api.seen[0]?.authorization?.startsWith('Bearer '))
    assert.equal(api.seen[0]?.headers.cookie, 'session=caller-cookie')
    const landed = thirdParty.seen[0]
    assert.ok(landed)
    assert.equal(landed.authorization, undefined)
    assert.equal(landed.headers.cookie, undefined)
    assert.equal(landed.headers['proxy-authorization'], undefined)
    assert.equal(landed.headers.host, new URL(thirdParty.origin).host, 'the Host header names the third party, not the API')
    assert.equal(landed.headers['x-trace'], 'kept')
  })
}

test('another port on the same host is another origin: the token does not follow', async () => {
  const { authFetch } = setup()
  // Same host name, the third party's port.
  api.routes['/port'] = { status: 302, headers: { location: `http://127.0.0.1:${new URL(thirdParty.origin).port}/p` } }
  await (await authFetch(`${api.origin}/port`)).text()
  assert.equal(thirdParty.seen[0]?.authorization, undefined)
})

test('a 401 invalid_token from the end of a cross-origin redirect renews nothing and replays nothing', async () => {
  const { authFetch } = setup()
  api.routes['/post-then-leave'] = { status: 307, headers: { location: `${thirdParty.origin}/reject` } }
  thirdParty.routes['/reject'] = INVALID_TOKEN
  await authFetch(`${api.origin}/warm`).then((response) => response.text())
  const before = tokenRequests()
  for (let i = 0; i < 3; i++) {
    const response = await authFetch(`${api.origin}/post-then-leave`, { method: 'POST', body: 'order=1' })
    assert.equal(response.status, 401, 'the third party\'s 401 is handed to the caller')
    await response.text()
  }
  assert.equal(tokenRequests() - before, 0, 'the third party forced no token request')
  assert.equal(api.seen.filter((seen) => seen.path === '/post-then-leave').length, 3, 'each POST ran once at the listed origin')
})

test('a 401 after a 303 turned the POST into a GET (same origin) replays nothing: the POST is not run twice', async () => {
  const { authFetch } = setup()
  api.routes['/submit'] = { status: 303, headers: { location: '/result' } }
  api.routes['/result'] = INVALID_TOKEN
  await authFetch(`${api.origin}/warm`).then((response) => response.text())
  const before = tokenRequests()
  const response = await authFetch(`${api.origin}/submit`, { method: 'POST', body: 'order=1' })
  assert.equal(response.status, 401)
  await response.text()
  assert.equal(api.seen.filter((seen) => seen.path === '/submit').length, 1)
  assert.equal(tokenRequests() - before, 0)
})

test('a 401 invalid_token at the end of a same-origin 307 still renews the token and repeats the request once', async () => {
  const { client, authFetch } = setup()
  api.routes['/moved'] = { status: 307, headers: { location: '/rejects' } }
  api.routes['/rejects'] = INVALID_TOKEN
  const first = (await client.getToken('api:read')).accessToken
  const before = tokenRequests()
  const response = await authFetch(`${api.origin}/moved`, { method: 'POST', body: 'x=1' })
  assert.equal(response.status, 401)
  await response.text()
  assert.equal(tokenRequests() - before, 1, 'one renewal')
  const sent = api.seen.filter((seen) => seen.path === '/rejects')
  assert.deepEqual(sent.map((seen) => seen.body), ['x=1', 'x=1'])
  assert.notEqual(sent[1]?.authorization, `Bearer ${first}`, 'the repeat carried the new token')
})

test('a Request with a string body follows a same-origin 307 and gets its one 401 retry, as (url, init) does', async () => {
  const { client, authFetch } = setup()
  await client.getToken('api:read')
  api.routes['/req-moved'] = { status: 307, headers: { location: '/req-rejects' } }
  api.routes['/req-rejects'] = INVALID_TOKEN
  for (const call of [
    () => authFetch(`${api.origin}/req-moved`, { method: 'PUT', body: 'payload' }),
    () => authFetch(new Request(`${api.origin}/req-moved`, { method: 'PUT', body: 'payload' })),
    () => authFetch(new Request(`${api.origin}/req-moved`, { method: 'PUT', body: new TextEncoder().encode('payload') })),
  ]) {
    api.seen.length = 0
    const before = tokenRequests()
    const response = await call()
    assert.equal(response.status, 401)
    await response.text()
    assert.deepEqual(api.seen.map((seen) => [seen.path, seen.body]), [
      ['/req-moved', 'payload'],
      ['/req-rejects', 'payload'],
      ['/req-moved', 'payload'],
      ['/req-rejects', 'payload'],
    ])
    assert.equal(tokenRequests() - before, 1)
  }
})

test('a Request with a stream body larger than the replay buffer is sent once, whole, and not replayed', async () => {
  const { authFetch } = setup()
  api.routes['/big'] = INVALID_TOKEN
  const size = 3 * 1024 * 1024
  const chunk = new Uint8Array(64 * 1024).fill(0x61)
  let sent = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) return controller.close()
      sent += chunk.byteLength
      controller.enqueue(chunk)
    },
  })
  const request = new Request(`${api.origin}/big`, { method: 'POST', body, duplex: 'half' } as RequestInit)
  const response = await authFetch(request)
  assert.equal(response.status, 401)
  await response.text()
  assert.deepEqual(api.seen.map((seen) => [seen.path, seen.body.length]), [['/big', size]])
})

test('a redirect to a non-http(s) URL is refused, as fetch refuses it', async () => {
  const { authFetch } = setup()
  api.routes['/to-data'] = { status: 302, headers: { location: 'data:text/plain,hello' } }
  await assert.rejects(authFetch(`${api.origin}/to-data`), /redirect to a data: URL/)
})
