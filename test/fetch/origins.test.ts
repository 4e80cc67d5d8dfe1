// `origins` entries that could never match are refused, `https://*.example.com` is a documented
// wildcard (any subdomain, https only, the listed port only, never the apex), and a request sent
// without the token says why on the `oauth2-client-credentials:bearer:skipped` diagnostics channel.
import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { test } from 'node:test'
import type { Dispatcher } from 'undici'
import { bearerPolicy } from '../../src/fetch/bearer-policy.js'
import { createAuthFetch, tokenInterceptor, type FetchLike, type TokenSource } from '../../src/index.js'

const stub: TokenSource = { getToken: async () => ({ accessToken: 'stub-token' }), invalidate: () => {} }

/** A fetch that answers 200 and records the Authorization each URL was sent with. */
function recordingFetch(): { fetch: FetchLike; seen: Array<[string, string | null]> } {
  const seen: Array<[string, string | null]> = []
  const fetch: FetchLike = async (input, init) => {
    seen.push([String(input), new Headers(init?.headers).get('authorization')])
    return new Response('ok')
  }
  return { fetch, seen }
}

test('a wildcard origin matches any subdomain over https on its own port, never the apex', async () => {
  const mayCarry = bearerPolicy(['https://*.example.com', 'https://*.files.example.net:8443', 'https://*.BÜCHER.example'], false)
  const rows: Array<[string, boolean]> = [
    ['https://a.example.com/orders?x=1', true],
    ['https://A.Example.COM/', true],
    ['https://a.b.example.com/', true],
    ['https://a.example.com:443/', true],
    ['https://example.com/', false], // the apex
    ['http://a.example.com/', false], // https only
    ['https://a.example.com:8443/', false], // another port
    ['https://aexample.com/', false],
    ['https://evil-example.com/', false],
    ['https://a.example.com.evil.com/', false],
    ['https://a.example.co/', false],
    ['https://x.files.example.net:8443/', true],
    ['https://x.files.example.net/', false], // the wildcard names port 8443
    ['https://files.example.net:8443/', false],
    ['https://shop.xn--bcher-kva.example/', true], // compared as the URL parser writes hosts
    ['https://shop.bücher.example/', true],
  ]
  for (const [url, expected] of rows) assert.equal(mayCarry(new URL(url)), expected, url)

  // End to end: createAuthFetch puts the token on a subdomain's request, and on no other.
  const { fetch, seen } = recordingFetch()
  const authFetch = createAuthFetch(stub, { origins: ['https://*.tenants.example.com'], fetch })
  await authFetch('https://acme.tenants.example.com/x')
  await authFetch('https://tenants.example.com/x')
  assert.deepEqual(seen, [
    ['https://acme.tenants.example.com/x', 'Bearer stub-token'],
    ['https://tenants.example.com/x', null],
  ])
})

test('origins entries that could never match are refused with a TypeError', () => {
  const rows: Array<[string, RegExp]> = [
    ['https://a*.example.com', /^origins has a "\*" that can never match in "https:\/\/a\*\.example\.com"/],
    ['https://api.*.example.com', /^origins has a "\*" that can never match/],
    ['https://*.*.example.com', /^origins has a "\*" that can never match/],
    ['https://**.example.com', /^origins has a "\*" that can never match/],
    ['https://*', /^origins has a "\*" that can never match/],
    ['https://*example.com', /^origins has a "\*" that can never match/],
    ['https://*.com', /^origins has a wildcard over a single label, "https:\/\/\*\.com"/],
    ['https://*.localhost:8080', /^origins has a wildcard over a single label/],
    ['http://*.example.com', /^origins has a plain-http wildcard "http:\/\/\*\.example\.com"; wildcards are https only/],
    ['https://*.example.com/api', /^origins must hold origins only/],
    ['api.example.com', /^origins has an entry that is not an absolute URL/],
    ['localhost:8080', /^origins has an entry that is not http\(s\): "localhost:8080" \(write it as scheme:\/\/host\[:port\]/],
  ]
  for (const [entry, message] of rows) {
    for (const allowInsecureHttp of [false, true]) {
      assert.throws(
        () => createAuthFetch(stub, { origins: ['https://api.example.com', entry], allowInsecureHttp }),
        (error: unknown) => {
          assert.ok(error instanceof TypeError, entry)
          assert.equal((error as { code?: string }).code, 'ERR_INVALID_ARG_VALUE')
          assert.match(error.message, message)
          return true
        },
        entry,
      )
      assert.throws(() => tokenInterceptor({ client: stub, origins: [entry], allowInsecureHttp }), TypeError, entry)
    }
  }
  // A wildcard URL object is read as its text.
  assert.equal(bearerPolicy([new URL('https://*.example.com:443')], false)(new URL('https://a.example.com/')), true)
})

test('a request sent without the token is published on the bearer:skipped channel, with its reason', async () => {
  const messages: unknown[] = []
  const listener = (message: unknown) => messages.push(message)
  const { fetch, seen } = recordingFetch()
  const authFetch = createAuthFetch(stub, { origins: ['https://api.example.com'], fetch })
  const predicateFetch = createAuthFetch(stub, { origins: (url) => url.hostname === 'api.example.com', fetch })
  const dispatcher = tokenInterceptor({ client: stub, origins: ['https://api.example.com'] })((() => true) as Dispatcher.Dispatch)
  const handler = {} as Dispatcher.DispatchHandler

  await authFetch('https://other.example.com/orders?token=secret')
  assert.deepEqual(messages, [], 'nothing is published without a subscriber')
  subscribe('oauth2-client-credentials:bearer:skipped', listener)
  try {
    await authFetch('https://other.example.com/orders?token=secret#x')
    await authFetch('http://api.example.com/orders')
    await authFetch('https://api.example.com/orders') // carries the token: nothing published
    await predicateFetch('http://api.example.com/p') // the predicate is not asked about plain http
    await predicateFetch('https://elsewhere.example.com/p')
    dispatcher({ origin: 'https://other.example.com', path: '/via-undici?q=1', method: 'GET' }, handler)
    await authFetch('https://api.example.com/own', { headers: { authorization: 'Basic b3du' } })
    dispatcher({ origin: 'https://api.example.com', path: '/own-undici', method: 'GET', headers: { authorization: 'Basic b3du' } }, handler)
  } finally {
    unsubscribe('oauth2-client-credentials:bearer:skipped', listener)
  }
  await authFetch('https://other.example.com/after')
  assert.deepEqual(messages, [
    { url: 'https://other.example.com/orders', reason: 'origin-not-listed' },
    { url: 'http://api.example.com/orders', reason: 'insecure-http' },
    { url: 'http://api.example.com/p', reason: 'insecure-http' },
    { url: 'https://elsewhere.example.com/p', reason: 'origin-not-listed' },
    { url: 'https://other.example.com/via-undici', reason: 'origin-not-listed' },
    { url: 'https://api.example.com/own', reason: 'has-authorization' },
    { url: 'https://api.example.com/own-undici', reason: 'has-authorization' },
  ])
  assert.equal(seen.filter(([, authorization]) => authorization !== null && authorization.startsWith('Bearer ')).length, 1)
})
