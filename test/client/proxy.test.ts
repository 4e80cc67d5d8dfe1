// Proxies as README and docs/getting-started.md recommend them: undici's ProxyAgent (absolute form
// for plain http, CONNECT tunnels), EnvHttpProxyAgent for HTTP(S)_PROXY/NO_PROXY, for the client, the
// fetch wrapper and the interceptor; against a real forwarding proxy on loopback.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { EnvHttpProxyAgent, ProxyAgent, fetch as undiciFetch, request, type Dispatcher } from 'undici'
import { createAuthFetch, tokenInterceptor, TransportError, type FetchLike } from '../../src/index.js'
import { startEchoServer } from '../helpers/echo-server.js'
import { startFixture, type Fixture } from '../helpers/fixtures.js'
import { startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js'
import { selfSignedCertificate, startTlsTokenServer, type Certificate } from '../helpers/tls-server.js'

let f: Fixture
let proxy: ForwardProxy
let api: Awaited<ReturnType<typeof startEchoServer>>
let elsewhere: Awaited<ReturnType<typeof startEchoServer>>
const agents: Dispatcher[] = []
before(async () => {
  f = await startFixture({ throttle: false })
  proxy = await startForwardProxy()
  api = await startEchoServer()
  elsewhere = await startEchoServer()
})
after(async () => {
  await f.close()
  await Promise.all(agents.map((agent) => agent.close()))
  await Promise.all([proxy.close(), api.close(), elsewhere.close()])
})

function proxyAgent(options: Omit<ProxyAgent.Options, 'uri'> = {}): ProxyAgent {
  const agent = new ProxyAgent({ uri: proxy.url, ...options })
  agents.push(agent)
  return agent
}

/** What the proxy handles from now on. */
function proxiedFromNow(): () => Array<[string, string]> {
  const from = proxy.seen.length
  return () => proxy.seen.slice(from).map((seen) => [seen.kind, seen.target])
}

const authority = (url: string): string => new URL(url).host

test('ProxyAgent, plain http in absolute form: every token request goes through the proxy', async () => {
  const proxied = proxiedFromNow()
  const client = f.makeClient({ dispatcher: proxyAgent({ proxyTunnel: false }) })
  const first = await client.getToken('api:read')
  const second = await client.getToken('api:read', { forceRefresh: true })
  assert.notEqual(first.accessToken, second.accessToken)
  assert.deepEqual(proxied(), [['forward', f.server.tokenUrl], ['forward', f.server.tokenUrl]])
  assert.equal(proxy.seen.at(-1)?.headers.host, authority(f.server.tokenUrl))
})

test('ProxyAgent tunnels by default (CONNECT), and the CONNECT carries no credentials', async () => {
  const proxied = proxiedFromNow()
  const client = f.makeClient({ dispatcher: proxyAgent() })
  await client.getToken('api:read')
  assert.deepEqual(proxied(), [['connect', authority(f.server.tokenUrl)]])
  const connect = proxy.seen.at(-1)
  assert.equal(connect?.headers.authorization, undefined, 'the Basic credentials stay inside the tunnel')
})

const certificate = selfSignedCertificate('IP:127.0.0.1')
test('ProxyAgent to an https token URL: CONNECT, then TLS to the server through the tunnel', { skip: typeof certificate === 'string' && certificate }, async () => {
  const { cert } = certificate as Certificate
  const tls = await startTlsTokenServer(certificate as Certificate)
  try {
    const proxied = proxiedFromNow()
    const client = f.makeClient({ tokenUrl: tls.tokenUrl, dispatcher: proxyAgent({ requestTls: { ca: cert } }) })
    assert.match((await client.getToken('api:read')).accessToken, /^tls-token-/)
    assert.deepEqual(proxied(), [['connect', authority(tls.tokenUrl)]])
    assert.equal(tls.requests, 1)
  } finally {
    await tls.close()
  }
})

test('a proxy refusing the tunnel: 503 is retried like a 503, 407 is final', async () => {
  const client = f.makeClient({ dispatcher: proxyAgent() })
  let proxied = proxiedFromNow()
  proxy.refuseConnects(503, 503)
  await client.getToken('api:read', { params: { tag: 'refused-503' } })
  assert.equal(proxied().length, 3, 'two refused CONNECTs, then one that got through')

  proxied = proxiedFromNow()
  proxy.refuseConnects(407)
  await assert.rejects(client.getToken('api:read', { params: { tag: 'refused-407' } }), (error: unknown) => {
    assert.ok(error instanceof TransportError)
    assert.equal(error.transient, false)
    assert.equal(error.attempts, 1)
    assert.match(error.message, /407/)
    return true
  })
  assert.equal(proxied().length, 1)
})

/** Runs `body` with the proxy variables set as given (others of them unset), then restores them. */
async function withProxyEnv(env: Record<string, string>, body: () => Promise<void>): Promise<void> {
  const names = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY']
  const saved = new Map(names.map((name) => [name, process.env[name]]))
  for (const name of names) delete process.env[name]
  Object.assign(process.env, env)
  try {
    await body()
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
}

test('HTTP_PROXY and NO_PROXY are honoured through EnvHttpProxyAgent, and only through it', async () => {
  await withProxyEnv({ HTTP_PROXY: proxy.url }, async () => {
    const fromEnv = new EnvHttpProxyAgent()
    agents.push(fromEnv)
    let proxied = proxiedFromNow()
    await f.makeClient({ dispatcher: fromEnv }).getToken('api:read')
    assert.deepEqual(proxied(), [['connect', authority(f.server.tokenUrl)]])

    // The default pool reads no environment: the secret never goes to a proxy nobody configured here.
    proxied = proxiedFromNow()
    await f.makeClient().getToken('api:read')
    assert.deepEqual(proxied(), [])

    process.env.NO_PROXY = '127.0.0.1'
    proxied = proxiedFromNow()
    await f.makeClient({ dispatcher: fromEnv }).getToken('api:read', { forceRefresh: true })
    assert.deepEqual(proxied(), [])
  })
})

test('createAuthFetch through a ProxyAgent: the token and the API both through the proxy, the token only to its origin', async () => {
  const agent = proxyAgent({ proxyTunnel: false })
  const client = f.makeClient({ dispatcher: agent })
  const authFetch = createAuthFetch(client, {
    scope: 'api:read',
    origins: [api.origin],
    fetch: ((url: string | URL, init?: object) => undiciFetch(url, { ...init, dispatcher: agent })) as FetchLike,
  })
  const proxied = proxiedFromNow()
  const answer = (await (await authFetch(`${api.origin}/orders`)).json()) as { authorization: string | null }
  assert.match(answer.authorization ?? '', /^Bearer /)
  const unlisted = (await (await authFetch(`${elsewhere.origin}/orders`)).json()) as { authorization: string | null }
  assert.equal(unlisted.authorization, null)
  assert.deepEqual(proxied(), [
    ['forward', f.server.tokenUrl],
    ['forward', `${api.origin}/orders`],
    ['forward', `${elsewhere.origin}/orders`],
  ])
})

for (const proxyTunnel of [false, true]) {
  test(`tokenInterceptor on a ProxyAgent (${proxyTunnel ? 'CONNECT' : 'absolute form'}): it sees the API's origin, never the proxy's`, async () => {
    const agent = proxyAgent({ proxyTunnel })
    const client = f.makeClient({ dispatcher: agent })
    const dispatched: Array<[string, boolean]> = []
    // Composed inside the token interceptor: what it hands on to the ProxyAgent.
    const spy: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
      const authorization = (opts.headers as Record<string, string> | undefined)?.authorization
      dispatched.push([String(opts.origin), authorization?.startsWith('Bearer ') === true])
      return dispatch(opts, handler)
    }
    const dispatcher = agent.compose(spy, tokenInterceptor({ client, scope: 'api:read', origins: [api.origin] }))
    const proxied = proxiedFromNow()
    const listed = await request(`${api.origin}/orders`, { dispatcher })
    assert.match(((await listed.body.json()) as { authorization: string | null }).authorization ?? '', /^Bearer /)
    const unlisted = await request(`${elsewhere.origin}/orders`, { dispatcher })
    assert.equal(((await unlisted.body.json()) as { authorization: string | null }).authorization, null)
    assert.deepEqual(dispatched, [[api.origin, true], [elsewhere.origin, false]])
    const expected: Array<[string, string]> = proxyTunnel
      ? [['connect', authority(f.server.tokenUrl)], ['connect', authority(api.origin)], ['connect', authority(elsewhere.origin)]]
      : [['forward', f.server.tokenUrl], ['forward', `${api.origin}/orders`], ['forward', `${elsewhere.origin}/orders`]]
    assert.deepEqual(proxied(), expected)
  })
}
