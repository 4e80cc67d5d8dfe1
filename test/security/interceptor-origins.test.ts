// Where the undici interceptor puts the token, and which 401s renew it (issue: "never put the token,
// or renew it, where it must not"). The decision is made on `opts.origin`, the origin undici connects
// to, never on the path or a header; a 401 renews only when it answers the request that carried the
// token, in either order of composition with undici's redirect interceptor. Against the reference
// server for tokens and small loopback servers for the APIs, the third party and the "evil" origin.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Agent, interceptors, Pool, type Dispatcher } from 'undici'
import { TokenClient, tokenInterceptor } from '../../src/index.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { startEchoServer } from '../helpers/echo-server.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'

const SCOPE = 'api:read'
const INVALID_TOKEN = { 'www-authenticate': 'Bearer error="invalid_token"' }
let server: ReferenceServer
const closers: Array<() => Promise<unknown>> = []

before(async () => {
  server = await startReferenceServer({ clients: [{ clientId: 'svc', clientSecret: RESERVED_SECRET, scopes: [SCOPE] }], throttle: false })
})
after(async () => {
  for (const close of closers.reverse()) await close()
  await server.close()
})

const tokenRequests = () => server.log.count({ path: '/token' })

/** A token client whose token for SCOPE is already cached, so that any later token request is a renewal. */
async function warmClient(): Promise<{ client: TokenClient; token: string }> {
  const client = new TokenClient({ tokenUrl: server.tokenUrl, clientId: 'svc', clientSecret: RESERVED_SECRET, retry: false })
  closers.push(() => client.close())
  return { client, token: (await client.getToken(SCOPE)).accessToken }
}

function agent(): Agent {
  const created = new Agent()
  closers.push(() => created.close())
  return created
}

async function echo(routes?: Parameters<typeof startEchoServer>[0]) {
  const started = await startEchoServer(routes)
  closers.push(() => started.close())
  return started
}

async function drain(response: Dispatcher.ResponseData): Promise<number> {
  await response.body.text()
  return response.statusCode
}

test('an absolute-form path naming a listed origin does not take the token to the origin undici connects to', async () => {
  const { client, token } = await warmClient()
  const listed = await echo()
  const evil = await echo()
  const dispatcher = agent().compose(tokenInterceptor({ client, scope: SCOPE, origins: [listed.origin] }))

  // request(): undici connects to opts.origin and sends the absolute-form path there.
  assert.equal(await drain(await dispatcher.request({ origin: evil.origin, path: `${listed.origin}/x`, method: 'GET' })), 200)
  // Origin-form paths that the URL parser would read as another host: '//host' and '/\host'.
  const bareListed = listed.origin.replace('http:', '')
  assert.equal(await drain(await dispatcher.request({ origin: evil.origin, path: `${bareListed}/y`, method: 'GET' })), 200)
  assert.equal(await drain(await dispatcher.request({ origin: evil.origin, path: `/\\${bareListed.slice(2)}/z`, method: 'GET' })), 200)
  // dispatch(), as undici's own APIs call it.
  await new Promise<void>((resolve, reject) => {
    dispatcher.dispatch(
      { origin: evil.origin, path: `${listed.origin}/raw`, method: 'GET' },
      {
        onRequestStart: () => {},
        onResponseEnd: () => resolve(),
        onResponseError: (_controller, error) => reject(error),
      },
    )
  })
  assert.equal(evil.seen.length, 4)
  assert.deepEqual(evil.seen.map((seen) => seen.authorization), [undefined, undefined, undefined, undefined])

  // An absolute-form path whose origin is opts.origin does get the token, at that origin.
  assert.equal(await drain(await dispatcher.request({ origin: listed.origin, path: `${listed.origin}/same`, method: 'GET' })), 200)
  assert.deepEqual(listed.seen.map((seen) => seen.authorization), [`Bearer ${token}`])
})

test('a Host header or servername naming another host gets no token, even at a listed origin', async () => {
  const { client, token } = await warmClient()
  const listed = await echo()
  const dispatcher = agent().compose(tokenInterceptor({ client, scope: SCOPE, origins: [listed.origin] }))
  const { host } = new URL(listed.origin)

  // A server that routes by name (a CDN, a reverse proxy) would hand these to another tenant.
  await drain(await dispatcher.request({ origin: listed.origin, path: '/host', method: 'GET', headers: { host: 'evil.example' } }))
  await drain(await dispatcher.request({ origin: listed.origin, path: '/host-port', method: 'GET', headers: ['Host', `${new URL(listed.origin).hostname}:1`] }))
  await drain(await dispatcher.request({ origin: listed.origin, path: '/sni', method: 'GET', servername: 'evil.example' } as Dispatcher.RequestOptions))
  // The Host the origin implies (any case) changes nothing.
  await drain(await dispatcher.request({ origin: listed.origin, path: '/same-host', method: 'GET', headers: { HOST: host.toUpperCase() } }))
  assert.deepEqual(
    listed.seen.map((seen) => [seen.path, seen.authorization]),
    [
      ['/host', undefined],
      ['/host-port', undefined],
      ['/sni', undefined],
      ['/same-host', `Bearer ${token}`],
    ],
  )
})

test('a dispatch without origin fails with ERR_INVALID_ARG_VALUE instead of going out without the token', async () => {
  const { client, token } = await warmClient()
  const listed = await echo()
  const pool = new Pool(listed.origin)
  closers.push(() => pool.close())
  const dispatcher = pool.compose(tokenInterceptor({ client, scope: SCOPE, origins: [listed.origin] }))

  for (const opts of [{ path: '/x', method: 'GET' }, { origin: 'not a url', path: '/x', method: 'GET' }] as Dispatcher.RequestOptions[]) {
    await assert.rejects(dispatcher.request(opts), (error: unknown) => {
      assert.ok(error instanceof TypeError)
      assert.equal((error as TypeError & { code?: string }).code, 'ERR_INVALID_ARG_VALUE')
      assert.match(error.message, /tokenInterceptor needs `origin` in the dispatch options to decide where the token may go/)
      assert.ok(!error.message.includes(token))
      return true
    })
  }
  assert.equal(listed.seen.length, 0)

  // With the pool's own origin it works; with its own Authorization it passes through untouched.
  assert.equal(await drain(await dispatcher.request({ origin: listed.origin, path: '/ok', method: 'GET' })), 200)
  assert.equal(await drain(await dispatcher.request({ path: '/own', method: 'GET', headers: { authorization: 'Basic abc' } })), 200)
  assert.deepEqual(listed.seen.map((seen) => seen.authorization), [`Bearer ${token}`, 'Basic abc'])
})

test('a 401 invalid_token from a third party at the end of a redirect renews nothing and replays nothing, in either order', async () => {
  const { client } = await warmClient()
  const third = await echo({ '/denied': { status: 401, headers: INVALID_TOKEN } })
  const listed = await echo({ '/start': { status: 307, headers: { location: `${third.origin}/denied` } } })
  const origins = [listed.origin]
  const orders: Array<[string, Dispatcher.ComposedDispatcher]> = [
    ['redirect outermost', agent().compose(tokenInterceptor({ client, scope: SCOPE, origins }), interceptors.redirect({ maxRedirections: 3 }))],
    ['token interceptor outermost', agent().compose(interceptors.redirect({ maxRedirections: 3 }), tokenInterceptor({ client, scope: SCOPE, origins }))],
  ]
  for (const [order, dispatcher] of orders) {
    const before = { tokens: tokenRequests(), posts: listed.seen.length, third: third.seen.length }
    const status = await drain(await dispatcher.request({ origin: listed.origin, path: '/start', method: 'POST', body: 'twelve bytes' }))
    assert.equal(status, 401, `${order}: the 401 reaches the caller`)
    assert.equal(tokenRequests() - before.tokens, 0, `${order}: no renewal`)
    assert.deepEqual(listed.seen.slice(before.posts).map((seen) => seen.method), ['POST'], `${order}: the POST ran once`)
    assert.deepEqual(third.seen.slice(before.third).map((seen) => seen.authorization), [undefined], `${order}: the third party got no token`)
  }
})

test('with the token interceptor outermost, a 401 at the end of any followed redirect, even on the same origin, is not replayed', async () => {
  // The redirect handler below cannot tell us whether a hop turned the POST into a GET, and a replay
  // would run the first hop again: any followed redirect (non-empty history) hands the 401 back.
  const { client, token } = await warmClient()
  const listed = await echo({
    '/hop': { status: 307, headers: { location: '/denied' } },
    '/denied': { status: 401, headers: INVALID_TOKEN },
  })
  const dispatcher = agent().compose(interceptors.redirect({ maxRedirections: 3 }), tokenInterceptor({ client, scope: SCOPE, origins: [listed.origin] }))
  const before = tokenRequests()
  const status = await drain(await dispatcher.request({ origin: listed.origin, path: '/hop', method: 'POST', body: 'twelve bytes' }))
  assert.equal(status, 401)
  assert.equal(tokenRequests() - before, 0, 'no renewal')
  assert.deepEqual(
    listed.seen.map((seen) => [seen.method, seen.path, seen.authorization]),
    [
      ['POST', '/hop', `Bearer ${token}`],
      ['POST', '/denied', `Bearer ${token}`],
    ],
  )
})
