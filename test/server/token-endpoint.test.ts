// One test per RFC 6749 checklist item (docs/token-endpoint.md) that the reference server enforces.
// Items 19 and 27 concern only the client; the fault script lets client tests provoke them.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, afterEach, before, describe, test } from 'node:test'
import { inspect } from 'node:util'
import { formEncode } from '../../src/auth/form-encoding.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { TestClock } from '../helpers/test-clock.js'
import { ERROR_TEXT, SECRET, basic, postToken, rawBasic, rawHttp, type TokenResponse } from './helpers.js'

const GRANT = { grant_type: 'client_credentials' }

describe('token endpoint checklist', () => {
  const clock = new TestClock(Date.now())
  let server: ReferenceServer
  let url: string

  before(async () => {
    server = await startReferenceServer({
      clock,
      clients: [
        { clientId: 'svc', clientSecret: SECRET, scopes: ['api:read', 'api:write', 'admin'] },
        // Failure tests use their own id so `svc` never gets throttled.
        { clientId: 'victim', clientSecret: SECRET, scopes: ['api:read'] },
        { clientId: 'legacy', clientSecret: 'legacy-secret', scopes: [], grantTypes: ['password'] },
        { clientId: 'short', clientSecret: 'short-secret', scopes: ['api:read'], tokenLifetime: 30 },
        { clientId: 'bare', clientSecret: 'bare-secret', scopes: [] },
      ],
    })
    url = server.tokenUrl
  })
  after(() => server.close())
  // Each test starts with no failures on record and no tokens alive.
  afterEach(() => clock.advance(61_000))

  const asSvc = { authorization: basic('svc', SECRET) }

  function assertError(response: TokenResponse, status: number, error: string): void {
    assert.equal(response.status, status, response.text)
    assert.equal(response.json['error'], error, response.text)
  }

  test('1: the token endpoint accepts only POST, 405 with Allow: POST otherwise', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const response = await fetch(url, { method, headers: asSvc })
      assert.equal(response.status, 405, method)
      assert.equal(response.headers.get('allow'), 'POST')
      assert.equal(response.headers.get('cache-control'), 'no-store')
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_request')
    }
    const head = await fetch(url, { method: 'HEAD' })
    assert.equal(head.status, 405)
    assert.equal(head.headers.get('allow'), 'POST')
  })

  test('2: the body must be application/x-www-form-urlencoded UTF-8; JSON is invalid_request', async () => {
    assertError(
      await postToken(url, JSON.stringify(GRANT), { ...asSvc, contentType: 'application/json' }),
      400,
      'invalid_request',
    )
    assertError(await postToken(url, GRANT, { ...asSvc, contentType: null }), 400, 'invalid_request')
    assertError(await postToken(url, GRANT, { ...asSvc, contentType: 'text/plain' }), 400, 'invalid_request')
    assertError(
      await postToken(url, GRANT, { ...asSvc, contentType: 'application/x-www-form-urlencoded; charset=ISO-8859-1' }),
      400,
      'invalid_request',
    )
    for (const contentType of [
      'application/x-www-form-urlencoded;charset=UTF-8',
      'Application/X-WWW-Form-Urlencoded; charset="utf-8"',
    ]) {
      assert.equal((await postToken(url, GRANT, { ...asSvc, contentType })).status, 200, contentType)
    }
  })

  test('3: plain HTTP only on loopback unless explicitly allowed', async () => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/token$/)
    for (const host of ['0.0.0.0', '::', '192.0.2.1', 'example.com']) {
      await assert.rejects(startReferenceServer({ host, clients: [] }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
    }
    const open = await startReferenceServer({ host: '0.0.0.0', allowNonLoopback: true, clients: [] })
    assert.match(open.issuer, /^http:\/\/0\.0\.0\.0:\d+$/)
    await open.close()
  })

  test('4: a repeated parameter is invalid_request, except resource', async () => {
    const repeats: [string, string][][] = [
      [['grant_type', 'client_credentials'], ['grant_type', 'client_credentials']],
      [['grant_type', 'client_credentials'], ['scope', 'api:read'], ['scope', 'api:write']],
      [['grant_type', 'client_credentials'], ['scope', 'api:read'], ['scope', 'api:read']],
      [['grant_type', 'client_credentials'], ['client_id', 'svc'], ['client_id', 'svc']],
      [['grant_type', 'client_credentials'], ['foo', '1'], ['foo', '2']],
    ]
    for (const body of repeats) assertError(await postToken(url, body, asSvc), 400, 'invalid_request')
    const post: [string, string][] = [
      ['grant_type', 'client_credentials'],
      ['client_id', 'svc'],
      ['client_secret', SECRET],
      ['client_secret', SECRET],
    ]
    assertError(await postToken(url, post), 400, 'invalid_request')
    const resources: [string, string][] = [
      ['grant_type', 'client_credentials'],
      ['resource', 'https://a.example/'],
      ['resource', 'https://b.example/'],
    ]
    assert.equal((await postToken(url, resources, asSvc)).status, 200)
  })

  test('5: an empty value counts as absent', async () => {
    const all = await postToken(url, { ...GRANT, scope: '' }, asSvc)
    assert.equal(all.status, 200)
    assert.equal(all.json['scope'], 'api:read api:write admin')
    const one = await postToken(url, [['grant_type', 'client_credentials'], ['scope', ''], ['scope', 'api:read']], asSvc)
    assert.equal(one.status, 200, 'an empty value does not make a repetition')
    assert.equal(one.json['scope'], 'api:read')
    assert.equal((await postToken(url, { ...GRANT, client_id: '' }, asSvc)).status, 200, 'empty client_id is no mismatch')
    assertError(await postToken(url, { grant_type: '' }, asSvc), 400, 'invalid_request')
    assert.equal((await postToken(url, { ...GRANT, resource: '' }, asSvc)).status, 200)
  })

  test('6: unknown parameters are ignored', async () => {
    const response = await postToken(url, { ...GRANT, foo: 'bar', audience: 'x', 'x-custom': '"\\' }, asSvc)
    assert.equal(response.status, 200)
  })

  test('7: grant_type missing is invalid_request, unknown is unsupported_grant_type, not allowed is unauthorized_client', async () => {
    assertError(await postToken(url, { scope: 'api:read' }, asSvc), 400, 'invalid_request')
    for (const grantType of ['password', 'authorization_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'CLIENT_CREDENTIALS']) {
      assertError(await postToken(url, { grant_type: grantType }, asSvc), 400, 'unsupported_grant_type')
    }
    assertError(
      await postToken(url, GRANT, { authorization: basic('legacy', 'legacy-secret') }),
      400,
      'unauthorized_client',
    )
  })

  test('8: scope is NQCHAR tokens, case-sensitive, a subset of the client scopes', async () => {
    const subset = await postToken(url, { ...GRANT, scope: 'api:write api:read api:write' }, asSvc)
    assert.equal(subset.status, 200)
    assert.equal(subset.json['scope'], 'api:write api:read', 'duplicates carry no meaning')
    for (const scope of ['api:READ', 'other', 'api:read other', 'a"b', 'a\\b', 'api:read  api:write', ' api:read', 'api:read ', 'é']) {
      assertError(await postToken(url, { ...GRANT, scope }, asSvc), 400, 'invalid_scope')
    }
  })

  test('9: resource must be an absolute URI without a fragment, else invalid_target', async () => {
    const ok = await postToken(
      url,
      [['grant_type', 'client_credentials'], ['resource', 'https://api.example/v1'], ['resource', 'urn:example:api']],
      asSvc,
    )
    assert.equal(ok.status, 200)
    assert.deepEqual(server.tokens.get(ok.json['access_token'] as string, clock.now())?.resources, [
      'https://api.example/v1',
      'urn:example:api',
    ])
    for (const resource of ['/v1', 'api.example/v1', 'https://api.example/#top', 'https://api.example/a b', '//api.example']) {
      assertError(await postToken(url, { ...GRANT, resource }, asSvc), 400, 'invalid_target')
    }
  })

  test('10: a request without client authentication is 401 invalid_client', async () => {
    for (const body of [GRANT, { ...GRANT, client_id: 'victim' }, { ...GRANT, client_secret: SECRET }]) {
      const response = await postToken(url, body)
      assertError(response, 401, 'invalid_client')
      assert.equal(response.headers.get('www-authenticate'), 'Basic realm="reference-server"')
    }
  })

  test('11: Basic credentials are form-decoded before comparison', async () => {
    assert.match(SECRET, /:/)
    for (const c of ['%', '+', '&', '=', '/', ' ']) assert.ok(SECRET.includes(c), c)
    const encoded = await postToken(url, GRANT, { authorization: basic('svc', SECRET) })
    assert.equal(encoded.status, 200)
    const [entry] = server.log.tokenRequests({ clientId: 'svc' }).slice(-1)
    assert.equal(entry?.basicFormEncoded, true)
    assert.equal(entry?.authMethod, 'client_secret_basic')
    // Sent without form-encoding, '+' would decode to a space and '%s+' is a bad escape.
    assertError(await postToken(url, GRANT, { authorization: rawBasic('victim', SECRET) }), 400, 'invalid_request')
    assertError(await postToken(url, GRANT, { authorization: rawBasic('victim', 'a+b') }), 401, 'invalid_client')
    assertError(await postToken(url, GRANT, { authorization: rawBasic('victim', '%zz') }), 400, 'invalid_request')
    // An id that needs no encoding is byte-identical either way.
    assert.equal(formEncode('svc'), 'svc')
  })

  test('12: client_secret_post is accepted in the body, never in the query string', async () => {
    const ok = await postToken(url, { ...GRANT, client_id: 'svc', client_secret: SECRET })
    assert.equal(ok.status, 200)
    assert.equal(server.log.tokenRequests().at(-1)?.authMethod, 'client_secret_post')
    const secretQuery = `?client_secret=${formEncode(SECRET)}`
    assertError(await postToken(url, { ...GRANT, client_id: 'svc' }, { query: secretQuery }), 400, 'invalid_request')
    assertError(await postToken(url, { ...GRANT, client_secret: SECRET }, { query: '?client_id=svc' }), 400, 'invalid_request')
    assertError(await postToken(url, GRANT, { ...asSvc, query: '?client%5Fid=svc' }), 400, 'invalid_request')
    assert.equal((await postToken(url, GRANT, { ...asSvc, query: '?tenant=a' })).status, 200, 'other query parameters are fine')
  })

  test('13: two authentication methods, or a body client_id unlike the Basic user, are invalid_request', async () => {
    const both = await postToken(url, { ...GRANT, client_secret: SECRET }, asSvc)
    assertError(both, 400, 'invalid_request')
    assert.equal(server.log.tokenRequests().at(-1)?.authMethod, 'multiple')
    assertError(await postToken(url, { ...GRANT, client_id: 'victim' }, asSvc), 400, 'invalid_request')
    assert.equal((await postToken(url, { ...GRANT, client_id: 'svc' }, asSvc)).status, 200)
  })

  test('14: bad credentials are 401 invalid_client with WWW-Authenticate: Basic realm', async () => {
    const attempts: [string | [string, string][] | Record<string, string>, string | undefined][] = [
      [GRANT, basic('victim', 'wrong')],
      [GRANT, basic('nobody', SECRET)],
      [GRANT, basic('victim', SECRET.toUpperCase())],
      [{ ...GRANT, client_id: 'victim', client_secret: 'wrong' }, undefined],
      [GRANT, 'Basic not*base64'],
      [GRANT, 'Basic ' + Buffer.from('no-colon').toString('base64')],
      [GRANT, 'Bearer abc'],
    ]
    for (const [body, authorization] of attempts) {
      const response = await postToken(url, body, authorization === undefined ? {} : { authorization })
      assertError(response, 401, 'invalid_client')
      assert.equal(response.headers.get('www-authenticate'), 'Basic realm="reference-server"')
    }
  })

  test('15: repeated failures for one client id are throttled, even with the right secret', async () => {
    const id = 'victim'
    for (let attempt = 0; attempt < 5; attempt++) {
      assertError(await postToken(url, GRANT, { authorization: basic(id, 'wrong') }), 401, 'invalid_client')
    }
    const blocked = await postToken(url, GRANT, { authorization: basic(id, SECRET) })
    assert.equal(blocked.status, 429)
    assert.equal(blocked.headers.get('retry-after'), '60')
    assert.deepEqual(blocked.json, { error: 'invalid_client', error_description: 'too many failed attempts' })
    assert.equal(blocked.headers.get('cache-control'), 'no-store')
    assert.equal((await postToken(url, GRANT, asSvc)).status, 200, 'other clients are not affected')
    clock.advance(45_000)
    const later = await postToken(url, GRANT, { authorization: basic(id, SECRET) })
    assert.equal(later.headers.get('retry-after'), '15')
    clock.advance(15_000)
    assert.equal((await postToken(url, GRANT, { authorization: basic(id, SECRET) })).status, 200)
  })

  test('16: registering a secret that is not non-empty VSCHAR is refused', async () => {
    const bad = ['', 'tab\there', 'line\nbreak', 'caf\u00e9', 'del\u007f', '\u{1F511}']
    for (const secret of bad) {
      const attempts = [
        { clientId: 'x', clientSecret: secret, scopes: [] },
        { clientId: 'x', secrets: [{ secret }], scopes: [] },
      ]
      for (const client of attempts) {
        await assert.rejects(startReferenceServer({ clients: [client] }), (error: Error & { code?: string }) => {
          assert.equal(error.name, 'TypeError')
          assert.equal(error.code, 'ERR_INVALID_ARG_VALUE')
          if (secret !== '') assert.ok(!error.message.includes(secret), 'the message never holds the secret')
          return true
        })
      }
    }
    await assert.rejects(startReferenceServer({ clients: [{ clientId: 'x', scopes: [] }] }), { code: 'ERR_INVALID_ARG_VALUE' })
    const fine = await startReferenceServer({ clients: [{ clientId: 'x', clientSecret: ' ~!"#\\', scopes: [] }] })
    await fine.close()
  })

  test('17: only SHA-256 hashes of secrets are kept, compared in constant time, several per client with expiry', async () => {
    const rotationClock = new TestClock(Date.now())
    const rotating = await startReferenceServer({
      clock: rotationClock,
      clients: [
        {
          clientId: 'rot',
          secrets: [{ secret: 'new-secret-1' }, { secret: 'old-secret-1', expiresAt: new Date(rotationClock.now() + 60_000) }],
          scopes: [],
        },
      ],
    })
    try {
      const token = (secret: string) => postToken(rotating.tokenUrl, GRANT, { authorization: basic('rot', secret) })
      assert.equal((await token('new-secret-1')).status, 200)
      assert.equal((await token('old-secret-1')).status, 200)
      rotationClock.advance(60_000)
      assertError(await token('old-secret-1'), 401, 'invalid_client')
      assert.equal((await token('new-secret-1')).status, 200)
      const shown = inspect(rotating, { depth: Infinity, showHidden: true }) + JSON.stringify(rotating)
      for (const secret of ['new-secret-1', 'old-secret-1']) {
        assert.ok(!shown.includes(secret))
        const digest = createHash('sha256').update(secret).digest()
        for (const encoding of ['hex', 'base64', 'base64url'] as const) assert.ok(!shown.includes(digest.toString(encoding)))
      }
    } finally {
      await rotating.close()
    }
  })

  test('18: success is 200 application/json with access_token and token_type Bearer', async () => {
    const response = await postToken(url, GRANT, asSvc)
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('content-type'), 'application/json')
    assert.equal(typeof response.json['access_token'], 'string')
    assert.equal(response.json['token_type'], 'Bearer')
    assert.deepEqual(Object.keys(response.json).sort(), ['access_token', 'expires_in', 'scope', 'token_type'])
  })

  test('20: expires_in is an integer number of seconds, the server or client lifetime', async () => {
    assert.equal((await postToken(url, GRANT, asSvc)).json['expires_in'], 3600)
    const short = await postToken(url, GRANT, { authorization: basic('short', 'short-secret') })
    assert.equal(short.json['expires_in'], 30)
    const record = server.tokens.get(short.json['access_token'] as string, clock.now())
    assert.equal(record !== undefined && record.expiresAt - record.issuedAt, 30_000)
  })

  test('21: scope is echoed: the granted set, all allowed scopes when none was asked', async () => {
    assert.equal((await postToken(url, GRANT, asSvc)).json['scope'], 'api:read api:write admin')
    assert.equal((await postToken(url, { ...GRANT, scope: 'admin' }, asSvc)).json['scope'], 'admin')
    assert.equal((await postToken(url, { ...GRANT, scope: 'admin api:read' }, asSvc)).json['scope'], 'admin api:read')
    const bare = await postToken(url, GRANT, { authorization: basic('bare', 'bare-secret') })
    assert.equal(bare.status, 200)
    assert.ok(!('scope' in bare.json), 'a client with no scopes is granted none, and an empty scope is not sent')
  })

  test('22: no refresh_token is issued for client credentials', async () => {
    const response = await postToken(url, GRANT, asSvc)
    assert.equal(response.status, 200)
    assert.ok(!('refresh_token' in response.json))
  })

  test('23: every token endpoint response carries Cache-Control: no-store and Pragma: no-cache', async () => {
    const responses: { headers: Headers; status: number }[] = [
      await postToken(url, GRANT, asSvc),
      await postToken(url, { scope: 'api:read' }, asSvc),
      await postToken(url, GRANT),
      await postToken(url, 'x='.padEnd(17_000, 'x'), asSvc),
      await fetch(url),
    ]
    for (let attempt = 0; attempt < 5; attempt++) await postToken(url, GRANT, { authorization: basic('victim', 'no') })
    responses.push(await postToken(url, GRANT, { authorization: basic('victim', SECRET) }))
    assert.deepEqual(
      responses.map((response) => response.status),
      [200, 400, 401, 413, 405, 429],
    )
    for (const response of responses) {
      assert.equal(response.headers.get('cache-control'), 'no-store', String(response.status))
      assert.equal(response.headers.get('pragma'), 'no-cache', String(response.status))
    }
  })

  test('24: access tokens are opaque with 256 bits of entropy', async () => {
    const tokens = new Set<string>()
    for (let index = 0; index < 50; index++) {
      const token = (await postToken(url, GRANT, asSvc)).json['access_token'] as string
      assert.match(token, /^[A-Za-z0-9_-]{43}$/)
      assert.equal(Buffer.from(token, 'base64url').length, 32)
      tokens.add(token)
    }
    assert.equal(tokens.size, 50)
  })

  test('25: errors are 400 (401 for invalid_client) JSON with error and error_description', async () => {
    const cases: [Promise<TokenResponse>, number, string][] = [
      [postToken(url, { scope: 'api:read' }, asSvc), 400, 'invalid_request'],
      [postToken(url, GRANT, { authorization: basic('victim', 'x') }), 401, 'invalid_client'],
      [postToken(url, GRANT, { authorization: basic('legacy', 'legacy-secret') }), 400, 'unauthorized_client'],
      [postToken(url, { grant_type: 'password' }, asSvc), 400, 'unsupported_grant_type'],
      [postToken(url, { ...GRANT, scope: 'nope' }, asSvc), 400, 'invalid_scope'],
      [postToken(url, { ...GRANT, resource: '/x' }, asSvc), 400, 'invalid_target'],
    ]
    for (const [pending, status, error] of cases) {
      const response = await pending
      assertError(response, status, error)
      assert.equal(response.headers.get('content-type'), 'application/json')
      assert.deepEqual(Object.keys(response.json), ['error', 'error_description'])
    }
  })

  test('26: error and error_description use only %x20-21 / %x23-5B / %x5D-7E', async () => {
    const responses = [
      await postToken(url, { ...GRANT, scope: 'a"b\\c' }, asSvc),
      await postToken(url, [['grant_type', 'client_credentials'], ['"x"', '1'], ['"x"', '2']], asSvc),
      await postToken(url, [['grant_type', 'client_credentials'], ['scope', 'a'], ['scope', 'b']], asSvc),
      await postToken(url, { grant_type: '"quoted"' }, asSvc),
      await postToken(url, GRANT, { authorization: 'Basic "x"' }),
      await postToken(url, 'a=%zz', asSvc),
      await postToken(url, '{}', { ...asSvc, contentType: 'application/json' }),
      await postToken(url, GRANT, { ...asSvc, query: '?client_id=%22' }),
      await postToken(url, { ...GRANT, client_id: 'other' }, asSvc),
      await postToken(url, GRANT, { authorization: rawBasic('victim', '%') }),
    ]
    const raw = await rawHttp(
      server.port,
      `GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    )
    responses.push({ status: raw.status, headers: new Headers(raw.headers), text: raw.body, json: JSON.parse(raw.body) })
    for (const response of responses) {
      assert.ok(response.status >= 400, response.text)
      for (const member of ['error', 'error_description']) {
        const value = response.json[member]
        assert.equal(typeof value, 'string', response.text)
        assert.match(value as string, ERROR_TEXT)
      }
    }
  })
})
