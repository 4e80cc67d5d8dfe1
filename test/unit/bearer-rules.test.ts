import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bearerPolicy } from '../../src/fetch/bearer-policy.js'
import { isReplayableBody } from '../../src/fetch/replayable-body.js'
import { isInvalidTokenChallenge, parseChallenges } from '../../src/fetch/www-authenticate.js'

test('bearer policy table: exact origins, https only except loopback or opt-in', () => {
  const listed = bearerPolicy(['https://api.example.com', 'http://127.0.0.1:8080', new URL('https://files.example.com:8443')], false)
  const rows: Array<[string, boolean]> = [
    ['https://api.example.com/orders?x=1', true],
    ['https://API.example.com/', true],
    ['https://api.example.com:443/', true],
    ['http://api.example.com/', false],
    ['https://api.example.com:8443/', false],
    ['https://evil.example.com/', false],
    ['https://api.example.com.evil.com/', false],
    ['http://127.0.0.1:8080/x', true],
    ['http://127.0.0.1:8081/x', false],
    ['http://localhost:8080/x', false],
    ['https://files.example.com:8443/a', true],
  ]
  for (const [url, expected] of rows) assert.equal(listed(new URL(url)), expected, url)

  const predicate = bearerPolicy((url) => url.hostname.endsWith('.example.com'), false)
  assert.equal(predicate(new URL('https://a.example.com/')), true)
  assert.equal(predicate(new URL('http://a.example.com/')), false, 'https enforced even for a predicate')
  const optIn = bearerPolicy((url) => url.hostname.endsWith('.internal'), true)
  assert.equal(optIn(new URL('http://svc.internal/')), true)
  assert.equal(bearerPolicy(['http://svc.internal'], true)(new URL('http://svc.internal/x')), true)
})

test('WWW-Authenticate: only a Bearer challenge with error=invalid_token asks for a new token', () => {
  const rows: Array<[string | undefined, boolean]> = [
    [undefined, false],
    ['', false],
    ['Bearer', false],
    ['Bearer realm="api"', false],
    ['Bearer realm="api", error="invalid_token", error_description="expired"', true],
    ['bearer error=invalid_token', true],
    ['Bearer realm="a, error=\\"invalid_token\\"", error="insufficient_scope"', false],
    ['Basic realm="x", Bearer error="invalid_token"', true],
    ['Basic dXNlcjpwdw==, Bearer error="invalid_token"', true],
    ['Bearer error="insufficient_scope", scope="a b"', false],
    ['DPoP error="invalid_token"', false],
    ['Basic realm="x", error="invalid_token"', false],
  ]
  for (const [header, expected] of rows) assert.equal(isInvalidTokenChallenge(header), expected, String(header))
  assert.deepEqual(
    parseChallenges('Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"').map((c) => [c.scheme, Object.fromEntries(c.params)]),
    [['newauth', { realm: 'apps', type: '1', title: 'Login to "apps"' }], ['basic', { realm: 'simple' }]],
  )
})

test('replayable bodies table', () => {
  const rows: Array<[string, unknown, boolean]> = [
    ['none', undefined, true],
    ['null', null, true],
    ['string', 'x', true],
    ['bytes', new Uint8Array(2), true],
    ['Buffer', Buffer.from('x'), true],
    ['ArrayBuffer', new ArrayBuffer(2), true],
    ['URLSearchParams', new URLSearchParams('a=1'), true],
    ['FormData', new FormData(), true],
    ['Blob', new Blob(['x']), true],
    ['ReadableStream', new ReadableStream(), false],
    ['async iterable', (async function* () {})(), false],
  ]
  for (const [name, body, expected] of rows) assert.equal(isReplayableBody(body), expected, name)
})
