// Leak checks (issue 5, item 5): every error path and every public object goes through
// util.inspect (showHidden, getters, no custom inspect, any depth), util.format, JSON.stringify,
// String(), structuredClone, and for errors message, stack and the whole cause chain; the client
// secret (in every form it travels in) and the access tokens must never appear. Then: the bearer
// never goes over plain http to a non-loopback host, nor to an origin that is not listed.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { format, inspect } from 'node:util'
import type { Dispatcher } from 'undici'
import { formEncode } from '../../src/auth/form-encoding.js'
import {
  AbortError,
  AccessToken,
  ClientClosedError,
  createAuthFetch,
  InvalidResponseError,
  OAuthError,
  TimeoutError,
  TokenClient,
  TokenClientError,
  tokenInterceptor,
  TransportError,
  UnexpectedStatusError,
  type FetchLike,
  type RetryEvent,
  type TokenClientOptions,
} from '../../src/index.js'
import { startReferenceServer, type Fault, type ReferenceServer } from '../../src/server/index.js'
import { LEAK_PROBE_SECRET } from '../helpers/secrets.js'
import { waitFor } from '../helpers/wait-for.js'
import { freePort } from '../../scripts/soak/fault-cells.js'

const CLIENT_ID = 'leaky'
const basicCredentials = (id: string, secret: string, encode: boolean): string =>
  Buffer.from(encode ? `${formEncode(id)}:${formEncode(secret)}` : `${id}:${secret}`).toString('base64')
/** The secret in every form it is sent or might be echoed in. */
const SECRET_FORMS = [
  LEAK_PROBE_SECRET,
  formEncode(LEAK_PROBE_SECRET),
  encodeURIComponent(LEAK_PROBE_SECRET),
  basicCredentials(CLIENT_ID, LEAK_PROBE_SECRET, true),
  basicCredentials(CLIENT_ID, LEAK_PROBE_SECRET, false),
]
/** Access tokens seen in this file; every one is looked for everywhere. */
const tokens = new Set<string>()

let server: ReferenceServer
before(async () => {
  server = await startReferenceServer({
    throttle: false,
    clients: [{ clientId: CLIENT_ID, clientSecret: LEAK_PROBE_SECRET, scopes: ['api:read', 'api:write'] }],
  })
})
after(() => server.close())

const closers: Array<() => Promise<unknown>> = []
after(async () => {
  for (const close of closers) await close()
})

function client(options: Partial<TokenClientOptions> = {}): TokenClient {
  const created = new TokenClient({
    tokenUrl: server.tokenUrl,
    clientId: CLIENT_ID,
    clientSecret: LEAK_PROBE_SECRET,
    retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2, attemptTimeoutMs: 200, deadlineMs: 2_000 },
    ...options,
  })
  closers.push(() => created.close())
  return created
}

/** Everything a value can turn into on the way to a log line. */
function renderings(value: unknown): string[] {
  const out: string[] = []
  const attempt = (render: () => unknown): void => {
    try {
      const rendered = render()
      if (rendered !== undefined) out.push(String(rendered))
    } catch (error) {
      out.push(`(threw ${String(error)})`)
    }
  }
  for (const options of [
    {},
    { showHidden: true, getters: true, depth: Infinity },
    { showProxy: true, depth: Infinity, colors: true },
  ]) {
    attempt(() => inspect(value, options))
  }
  attempt(() => format('%s %o %O %j', value, value, value, value))
  attempt(() => JSON.stringify(value))
  attempt(() => String(value))
  attempt(() => `${value as string}`)
  attempt(() => inspect(structuredClone(value), { showHidden: true, depth: Infinity }))
  if (typeof value === 'object' && value !== null) {
    attempt(() => JSON.stringify({ ...value }))
    attempt(() => inspect(Object.getOwnPropertyDescriptors(value), { depth: Infinity, getters: true }))
  }
  // Errors: message, stack and every cause, as loggers print them.
  let cause: unknown = value
  for (let depth = 0; depth < 10 && cause instanceof Error; depth++) {
    out.push(cause.message, cause.stack ?? '', cause.name)
    attempt(() => inspect(Object.fromEntries(Object.getOwnPropertyNames(cause).map((name) => [name, (cause as unknown as Record<string, unknown>)[name]])), { depth: Infinity, showHidden: true }))
    cause = cause.cause
  }
  return out
}

/** Fails when any rendering of `value` holds the secret (any form) or an access token. */
function assertNoLeak(what: string, value: unknown): void {
  const needles = [...SECRET_FORMS, ...tokens]
  for (const text of renderings(value)) {
    for (const needle of needles) {
      if (text.includes(needle)) {
        const kind = SECRET_FORMS.includes(needle) ? 'the client secret' : 'an access token'
        assert.fail(`${what} shows ${kind}: ${text.slice(Math.max(0, text.indexOf(needle) - 80), text.indexOf(needle) + needle.length + 20)}`)
      }
    }
  }
}

async function failure(promise: Promise<unknown>, what = 'the call'): Promise<TokenClientError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof TokenClientError, `a typed error, not ${String(error)}`)
    return error
  }
  throw new Error(`expected ${what} to fail`)
}

test('the checker finds a secret or token wherever it hides', () => {
  tokens.add('probe-token-0123456789abcdefghijklmnopqrstu')
  const hidden: unknown[] = [
    { deep: { deeper: [{ value: LEAK_PROBE_SECRET }] } },
    new Error('outer', { cause: new Error('inner', { cause: { header: `Basic ${basicCredentials(CLIENT_ID, LEAK_PROBE_SECRET, true)}` } }) }),
    Object.defineProperty({}, 'hidden', { value: formEncode(LEAK_PROBE_SECRET), enumerable: false }),
    Object.defineProperty({}, 'lazy', { get: () => 'probe-token-0123456789abcdefghijklmnopqrstu', enumerable: true }),
    new Map([['k', encodeURIComponent(LEAK_PROBE_SECRET)]]),
  ]
  for (const value of hidden) assert.throws(() => assertNoLeak('probe', value), /shows/)
  tokens.delete('probe-token-0123456789abcdefghijklmnopqrstu')
})

describe('nothing shows the secret or a token', () => {
  let held: AccessToken
  const events: RetryEvent[] = []
  const refreshErrors: unknown[] = []

  before(async () => {
    const c = client({ retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2, onRetry: (event) => events.push(event) }, onRefreshError: (error) => refreshErrors.push(error) })
    server.faults.add({ type: 'status', status: 503 }, { scope: 'api:write' })
    held = await c.getToken('api:read')
    tokens.add(held.accessToken)
    const other = await c.getToken('api:write')
    tokens.add(other.accessToken)
    assert.equal(events.length, 1)
  })

  test('a TokenClient, its options, and a token', () => {
    const c = client()
    assertNoLeak('TokenClient', c)
    assertNoLeak('TokenClient.options', c.options)
    assertNoLeak('AccessToken', held)
    assertNoLeak('an array of tokens', [held, held])
    assertNoLeak('a token in an object', { token: held, nested: { deeper: [held] } })
    assertNoLeak('a RetryEvent', events[0])
  })

  test('clients with every option set, and client_secret_post', async () => {
    for (const options of [
      { authMethod: 'client_secret_post' as const },
      { basicEncoding: 'raw' as const },
      { scope: 'api:read', audience: 'https://api.example', resource: ['https://api.example/x'], params: { tenant: 't1' }, userAgent: 'probe/1' },
      { cache: { maxEntries: 2, expiryBufferMs: 1, refreshRatio: 0.5, refreshJitter: 0, defaultLifetimeMs: 1_000 } },
    ]) {
      const c = client(options)
      const token = await c.getToken('api:read', { forceRefresh: true }).catch((error: unknown) => error)
      if (token instanceof AccessToken) tokens.add(token.accessToken)
      assertNoLeak(`TokenClient ${JSON.stringify(options)}`, c)
      assertNoLeak('its options', c.options)
      assertNoLeak('its token or error', token)
    }
  })

  test('every error path: OAuth errors echoing the secret, statuses, bad bodies, transport, timeouts, aborts, close', async () => {
    const echoBasic = basicCredentials(CLIENT_ID, LEAK_PROBE_SECRET, true)
    const echoed = JSON.stringify({
      error: 'invalid_client',
      error_description: `bad secret ${LEAK_PROBE_SECRET} (form ${formEncode(LEAK_PROBE_SECRET)}, Basic ${echoBasic})`,
      error_uri: `https://errors.example/?secret=${encodeURIComponent(LEAK_PROBE_SECRET)}`,
    })
    const faults: Array<[string, Fault]> = [
      ['401 echoing the secret', { type: 'status', status: 401, body: echoed }],
      ['200 error echoing the secret', { type: 'body', body: echoed }],
      ['400 with the secret as the error code', { type: 'status', status: 400, body: JSON.stringify({ error: LEAK_PROBE_SECRET }) }],
      ['token_type set to the secret', { type: 'token', fields: { token_type: LEAK_PROBE_SECRET } }],
      ['token_type set to the Basic credentials', { type: 'token', fields: { token_type: echoBasic } }],
      ['503 page', { type: 'status', status: 503, body: `<html>${LEAK_PROBE_SECRET}</html>`, contentType: 'text/html' }],
      ['redirect carrying the secret', { type: 'status', status: 302, headers: { location: `https://idp.example/login?secret=${encodeURIComponent(LEAK_PROBE_SECRET)}` } }],
      ['HTML 200', { type: 'body', body: `<p>${LEAK_PROBE_SECRET}</p>`, contentType: 'text/html' }],
      ['invalid JSON', { type: 'body', body: `{"access_token":"${LEAK_PROBE_SECRET}"` }],
      ['bad expires_in', { type: 'token', fields: { expires_in: LEAK_PROBE_SECRET } }],
      ['drop', { type: 'drop' }],
      ['truncate', { type: 'truncate' } as Fault],
      ['slow body', { type: 'delay', ms: 1_000, when: 'body' } as Fault],
    ]
    for (const [name, fault] of faults) {
      const c = client({ retry: { retries: 0, attemptTimeoutMs: 200 } })
      server.faults.add(fault, { times: 2 })
      const error = await failure(c.getToken('api:read'), name)
      server.faults.clear()
      assertNoLeak(`${name} → ${error.code}`, error)
    }
    // invalid_client with a secret whose forms differ: the hint names options, never the secret.
    const wrong = client({ clientSecret: `${LEAK_PROBE_SECRET}-wrong`, retry: false })
    const hinted = await failure(wrong.getToken('api:read'))
    assert.ok(hinted instanceof OAuthError && /basicEncoding/.test(hinted.message))
    assertNoLeak('invalid_client with the hint', hinted)
    // Transport errors and the deadline.
    const port = await freePort()
    const refused = client({ tokenUrl: `http://127.0.0.1:${port}/token` })
    const transport = await failure(refused.getToken('api:read'))
    assert.ok(transport instanceof TransportError)
    assertNoLeak('a refused connection', transport)
    const slow = client({ retry: { retries: 5, attemptTimeoutMs: 50, deadlineMs: 120, minDelayMs: 1, maxDelayMs: 2 } })
    server.faults.add({ type: 'delay', ms: 500 }, { times: 10 })
    const timeout = await failure(slow.getToken('api:read'))
    server.faults.clear()
    assert.ok(timeout instanceof TimeoutError)
    assertNoLeak('a timeout', timeout)
    // An abort whose reason is an object, and close() with callers waiting.
    const aborting = client()
    server.faults.add({ type: 'delay', ms: 300 })
    const controller = new AbortController()
    const pending = aborting.getToken('api:write', { signal: controller.signal })
    controller.abort(new Error('caller gave up'))
    const aborted = await failure(pending)
    assert.ok(aborted instanceof AbortError)
    assertNoLeak('an abort', aborted)
    const closing = client()
    server.faults.add({ type: 'delay', ms: 300 })
    const waiting = closing.getToken('api:write')
    await closing.close()
    const closed = await failure(waiting)
    assert.ok(closed instanceof ClientClosedError)
    assertNoLeak('close() while waiting', closed)
    assertNoLeak('a closed client', closing)
    server.faults.clear()
  })

  test('the error classes themselves and hand-made instances', () => {
    for (const error of [
      new OAuthError({ status: 400, error: 'invalid_request' }),
      new UnexpectedStatusError({ status: 500 }),
      new InvalidResponseError({ status: 200, reason: 'x' }),
      new TransportError('failed', new Error('inner')),
      new TimeoutError('attempt', 1),
      new AbortError('reason'),
      new ClientClosedError(),
    ]) {
      assertNoLeak(error.name, error)
    }
    for (const Class of [TokenClient, AccessToken, OAuthError, UnexpectedStatusError, InvalidResponseError, TransportError, TimeoutError, AbortError, ClientClosedError]) {
      assertNoLeak(Class.name, Class)
    }
  })

  test('a failed background refresh reported to onRefreshError', async () => {
    const c = client({
      cache: { expiryBufferMs: 0, refreshRatio: 0, refreshJitter: 0 },
      retry: false,
      onRefreshError: (error) => refreshErrors.push(error),
    })
    const token = await c.getToken('api:read', { params: { case: 'refresh' } })
    tokens.add(token.accessToken)
    server.faults.add({ type: 'status', status: 401, body: JSON.stringify({ error: 'invalid_client', error_description: LEAK_PROBE_SECRET }) })
    await new Promise((resolve) => setTimeout(resolve, 2))
    assert.equal(await c.getToken('api:read', { params: { case: 'refresh' } }), token)
    await waitFor(() => refreshErrors.length > 0)
    assert.ok(refreshErrors.length > 0)
    for (const error of refreshErrors) assertNoLeak('onRefreshError error', error)
    server.faults.clear()
  })

  test('option errors never quote the secret', () => {
    const attempts: Array<Partial<TokenClientOptions>> = [
      { tokenUrl: `https://${CLIENT_ID}:${encodeURIComponent(LEAK_PROBE_SECRET)}@id.example/token` },
      { tokenUrl: `http://id.example/token?secret=${encodeURIComponent(LEAK_PROBE_SECRET)}` },
      { tokenUrl: LEAK_PROBE_SECRET },
      { clientSecret: '' },
      { clientId: `a:${LEAK_PROBE_SECRET}`, basicEncoding: 'raw' },
      { userAgent: `x\n${LEAK_PROBE_SECRET}` },
      { authMethod: LEAK_PROBE_SECRET as 'client_secret_post' },
      { retry: { retries: -1 } },
      { params: { client_secret: LEAK_PROBE_SECRET } },
      { resource: `not a uri ${LEAK_PROBE_SECRET}` },
    ]
    for (const options of attempts) {
      let thrown: unknown
      try {
        new TokenClient({ tokenUrl: server.tokenUrl, clientId: CLIENT_ID, clientSecret: LEAK_PROBE_SECRET, ...options })
      } catch (error) {
        thrown = error
      }
      assert.ok(thrown instanceof TypeError, `${JSON.stringify(Object.keys(options))} throws a TypeError`)
      assertNoLeak(`option error ${Object.keys(options).join(',')}`, thrown)
    }
  })

  test('createAuthFetch and tokenInterceptor results, and their token errors', async () => {
    const c = client({ retry: false })
    const authFetch = createAuthFetch(c, { scope: 'api:read', origins: [server.issuer] })
    const interceptor = tokenInterceptor({ client: c, scope: 'api:read', origins: [server.issuer] })
    assertNoLeak('createAuthFetch()', authFetch)
    assertNoLeak('tokenInterceptor()', interceptor)
    const response = await authFetch(server.resourceUrl)
    assert.equal(response.status, 200)
    assertNoLeak('the response', response)
    await response.text()
    server.faults.add({ type: 'status', status: 400, body: JSON.stringify({ error: 'invalid_scope', error_description: LEAK_PROBE_SECRET }) }, { scope: 'api:write' })
    const failing = createAuthFetch(c, { scope: 'api:write', origins: [server.issuer] })
    const error = await failing(server.resourceUrl).then(() => undefined, (reason: unknown) => reason)
    assert.ok(error instanceof OAuthError)
    assertNoLeak('an authFetch token error', error)
  })

  test('the reference server object, its log and its entries, after every kind of request', async () => {
    // Requests that carry the secret or a token in every place a client might put one.
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    const basic = `Basic ${basicCredentials(CLIENT_ID, LEAK_PROBE_SECRET, true)}`
    const token = [...tokens][0] as string
    const sends: Array<[string, RequestInit]> = [
      [server.tokenUrl, { method: 'POST', headers: form, body: `grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=${formEncode(LEAK_PROBE_SECRET)}` }],
      [`${server.tokenUrl}?client_secret=${formEncode(LEAK_PROBE_SECRET)}`, { method: 'POST', headers: { ...form, authorization: basic }, body: 'grant_type=client_credentials' }],
      [server.tokenUrl, { method: 'POST', headers: { ...form, authorization: basic }, body: `grant_type=client_credentials&client_secret=${formEncode(LEAK_PROBE_SECRET)}&client_secret=x` }],
      [server.tokenUrl, { method: 'POST', headers: { ...form, authorization: `Basic ${basicCredentials(CLIENT_ID, LEAK_PROBE_SECRET, false)}` }, body: 'grant_type=client_credentials' }],
      [server.introspectionUrl, { method: 'POST', headers: { ...form, authorization: basic }, body: `token=${token}` }],
      [server.revocationUrl, { method: 'POST', headers: { ...form, authorization: basic }, body: `token=${encodeURIComponent([...tokens][1] as string)}` }],
      [`${server.resourceUrl}?access_token=${token}`, { headers: { authorization: `Bearer ${token}` } }],
      [server.resourceUrl, { headers: { authorization: `Bearer ${token}` } }],
      [`${server.url}/nowhere?client_secret=${formEncode(LEAK_PROBE_SECRET)}&token=${token}`, {}],
    ]
    for (const [url, init] of sends) await (await fetch(url, init)).arrayBuffer()
    server.faults.add({ type: 'body', body: `{"secret":"${LEAK_PROBE_SECRET}"}` }, { clientId: 'nobody' })
    assertNoLeak('the server', server)
    assertNoLeak('server.log', server.log)
    assertNoLeak('server.log.entries', server.log.entries)
    for (const entry of server.log.entries) assertNoLeak(`log entry ${entry.method} ${entry.path}`, entry)
    assertNoLeak('server.tokens', server.tokens)
    assertNoLeak('server.jwks', server.jwks)
    assert.ok(!JSON.stringify(server.jwks).includes('"d"'), 'no private key member is published')
    server.faults.clear()
  })
})

describe('the bearer goes only to listed origins, and over http only to loopback', () => {
  let c: TokenClient
  let token = ''
  before(async () => {
    c = client()
    token = (await c.getToken('api:read')).accessToken
    tokens.add(token)
  })

  /** A fetch that records what it was asked to send; answers as `respond` says (200 by default). */
  function spy(respond: (url: string, calls: number) => Response = () => new Response('ok')) {
    const seen: Array<{ url: string; authorization: string | null }> = []
    const fetchSpy: FetchLike = async (input, init) => {
      seen.push({ url: String(input), authorization: new Headers(init?.headers).get('authorization') })
      return respond(String(input), seen.length)
    }
    return { seen, fetchSpy }
  }

  test('only exact listed origins over https get the bearer', async () => {
    const { seen, fetchSpy } = spy()
    const authFetch = createAuthFetch(c, { scope: 'api:read', origins: ['https://api.example.com'], fetch: fetchSpy })
    const carries: Array<[string, boolean]> = [
      ['https://api.example.com/orders', true],
      ['https://API.Example.COM:443/orders', true],
      ['http://api.example.com/orders', false],
      ['https://api.example.com:8443/orders', false],
      ['https://evil.example/orders', false],
      ['https://api.example.com.evil.example/orders', false],
      ['https://api.example.com@evil.example/orders', false],
      ['https://evil.example/https://api.example.com/', false],
      ['https://sub.api.example.com/', false],
      ['ws://api.example.com/', false],
    ]
    for (const [url] of carries) await authFetch(url)
    assert.deepEqual(
      seen.map((call) => [call.url, call.authorization === `Bearer ${token}`]),
      carries.map(([url, carried]) => [new URL(url).href, carried]),
    )
    for (const call of seen) if (call.authorization !== `Bearer ${token}`) assert.equal(call.authorization, null)
  })

  test('plain http to a non-loopback host: refused as an origin, skipped by a predicate, unless allowInsecureHttp', async () => {
    assert.throws(
      () => createAuthFetch(c, { origins: ['http://api.example.com'] }),
      (error: unknown) => error instanceof TypeError && /https/.test(error.message),
    )
    const { seen, fetchSpy } = spy()
    const anyOrigin = createAuthFetch(c, { scope: 'api:read', origins: () => true, fetch: fetchSpy })
    await anyOrigin('http://api.example.com/x')
    await anyOrigin('http://10.0.0.8/x')
    await anyOrigin('http://[2001:db8::1]/x')
    await anyOrigin('http://127.0.0.1:9/x')
    await anyOrigin('http://localhost:9/x')
    await anyOrigin('http://[::1]:9/x')
    await anyOrigin('https://api.example.com/x')
    assert.deepEqual(seen.map((call) => call.authorization !== null), [false, false, false, true, true, true, true])
    const optedIn = spy()
    const insecure = createAuthFetch(c, { scope: 'api:read', origins: ['http://api.internal'], allowInsecureHttp: true, fetch: optedIn.fetchSpy })
    await insecure('http://api.internal/x')
    assert.equal(optedIn.seen[0]?.authorization, `Bearer ${token}`, 'the documented opt-in')
  })

  test('a redirect off the listed origin, or down to http, drops the bearer (and a caller-set Authorization)', async () => {
    for (const [location, keeps] of [
      ['https://evil.example/steal', false],
      ['http://api.example.com/orders', false],
      ['https://api.example.com:8443/orders', false],
      ['//evil.example/x', false],
      ['/same-origin', true],
    ] as const) {
      const { seen, fetchSpy } = spy((_url, calls) => (calls === 1 ? new Response(null, { status: 302, headers: { location } }) : new Response('ok')))
      const authFetch = createAuthFetch(c, { scope: 'api:read', origins: ['https://api.example.com'], fetch: fetchSpy })
      await authFetch('https://api.example.com/orders')
      assert.equal(seen.length, 2)
      assert.equal(seen[0]?.authorization, `Bearer ${token}`)
      assert.equal(seen[1]?.authorization === `Bearer ${token}`, keeps, `redirect to ${location}`)
      if (!keeps) assert.equal(seen[1]?.authorization, null)
      const own = spy((_url, calls) => (calls === 1 ? new Response(null, { status: 307, headers: { location } }) : new Response('ok')))
      const unlisted = createAuthFetch(c, { scope: 'api:read', origins: ['https://other.example'], fetch: own.fetchSpy })
      await unlisted('https://api.example.com/orders', { headers: { authorization: 'Basic bXk6b3du' } })
      assert.equal(own.seen[0]?.authorization, 'Basic bXk6b3du', "the caller's own header is left alone")
      assert.equal(own.seen[1]?.authorization, keeps ? 'Basic bXk6b3du' : null)
    }
  })

  test('tokenInterceptor: the same rules at the dispatcher', async () => {
    const seen: Array<{ origin: string; authorization: string | undefined }> = []
    const record: Dispatcher['dispatch'] = (options, handler) => {
      const headers = (options.headers ?? {}) as Record<string, string>
      const authorization = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1]
      seen.push({ origin: String(options.origin), authorization })
      const controller = { abort() {}, pause() {}, resume() {}, aborted: false, paused: false, reason: null }
      const h = handler as Dispatcher.DispatchHandler
      h.onRequestStart?.(controller as unknown as Dispatcher.DispatchController, {})
      h.onResponseStart?.(controller as unknown as Dispatcher.DispatchController, 200, {}, 'OK')
      h.onResponseEnd?.(controller as unknown as Dispatcher.DispatchController, {})
      return true
    }
    const dispatch = tokenInterceptor({ client: c, scope: 'api:read', origins: ['https://api.example.com'] })(record)
    const send = (origin: string): Promise<void> =>
      new Promise((resolve, reject) => {
        dispatch({ origin, path: '/x', method: 'GET', headers: {} }, {
          onResponseEnd: () => resolve(),
          onResponseError: (_controller, error) => reject(error),
        })
      })
    for (const origin of ['https://api.example.com', 'http://api.example.com', 'https://evil.example', 'https://api.example.com:8443']) await send(origin)
    assert.deepEqual(seen.map((call) => call.authorization === `Bearer ${token}`), [true, false, false, false])
    assert.deepEqual(seen.slice(1).map((call) => call.authorization), [undefined, undefined, undefined])
  })
})
