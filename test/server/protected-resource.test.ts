// Checklist item 32: a protected resource (RFC 6750 §3) that checks the server's own tokens.
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { inspect } from 'node:util'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { TestClock } from '../helpers/test-clock.js'
import { ERROR_TEXT, SECRET, basic, fetchToken, postForm, rawHttp } from './helpers.js'

const asSvc = basic('svc', SECRET)
const REALM = 'Bearer realm="reference-server"'
const INVALID_TOKEN = `${REALM}, error="invalid_token", error_description="the access token is unknown, expired or revoked"`

describe('32: protected resource', () => {
  const clock = new TestClock()
  let server: ReferenceServer
  const call = (token: string | undefined, init: RequestInit = {}, query = '') =>
    fetch(server.resourceUrl + query, {
      ...init,
      headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(init.headers as Record<string, string>) },
    })

  before(async () => {
    server = await startReferenceServer({
      clock,
      clients: [
        { clientId: 'svc', clientSecret: SECRET, scopes: ['api:read', 'api:write'] },
        { clientId: 'jwt', clientSecret: 'jwt-secret', scopes: ['api:read'], tokenFormat: 'jwt' },
      ],
    })
  })
  after(() => server.close())
  beforeEach(() => server.log.clear())

  test('32: resourceUrl is the issuer plus /resource', () => {
    assert.equal(server.resourceUrl, `${server.issuer}/resource`)
  })

  test('32: an active token gets 200 with who it belongs to', async () => {
    const token = await fetchToken(server.tokenUrl, asSvc, { grant_type: 'client_credentials', scope: 'api:read' })
    const response = await call(token)
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('content-type'), 'application/json')
    assert.deepEqual(await response.json(), {
      client_id: 'svc',
      sub: 'svc',
      scope: 'api:read',
      aud: server.issuer,
      exp: clock.now() / 1000 + 3600,
      method: 'GET',
      bodyLength: 0,
    })
    const jwt = await fetchToken(server.tokenUrl, basic('jwt', 'jwt-secret'), {
      grant_type: 'client_credentials',
      resource: server.resourceUrl,
    })
    const viaJwt = (await (await call(jwt)).json()) as Record<string, unknown>
    assert.equal(viaJwt['client_id'], 'jwt')
    assert.equal(viaJwt['aud'], server.resourceUrl)
  })

  test('32: a request with a body is answered with its method and body length', async () => {
    const token = await fetchToken(server.tokenUrl, asSvc)
    const body = JSON.stringify({ hello: 'wörld', items: [1, 2, 3] })
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const response = await call(token, { method, body, headers: { 'content-type': 'application/json' } })
      assert.equal(response.status, 200, method)
      const json = (await response.json()) as Record<string, unknown>
      assert.equal(json['method'], method)
      assert.equal(json['bodyLength'], Buffer.byteLength(body))
      assert.equal(json['client_id'], 'svc')
    }
    const streamed = await call(token, {
      method: 'POST',
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new Uint8Array(100))
          controller.enqueue(new Uint8Array(23))
          controller.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    assert.equal(((await streamed.json()) as { bodyLength: number }).bodyLength, 123)
  })

  test('32: no token is 401 with a bare Bearer challenge, no error attribute', async () => {
    for (const headers of [{}, { authorization: asSvc }, { authorization: 'Digest x' }]) {
      const response = await fetch(server.resourceUrl, { headers })
      assert.equal(response.status, 401)
      assert.equal(response.headers.get('www-authenticate'), REALM)
      assert.equal(await response.text(), '')
      assert.equal(response.headers.get('cache-control'), 'no-store')
    }
    assert.equal(server.log.count({ path: '/resource' }), 3)
    assert.ok(server.log.entries.every((entry) => entry.authMethod === 'none' && entry.error === undefined))
  })

  test('32: an unknown, expired (by the clock) or revoked token is 401 invalid_token', async () => {
    const unknown = await call('bm90LWEtdG9rZW4')
    assert.equal(unknown.status, 401)
    assert.equal(unknown.headers.get('www-authenticate'), INVALID_TOKEN)
    const body = (await unknown.json()) as Record<string, string>
    assert.equal(body['error'], 'invalid_token')
    assert.match(body['error_description'] as string, ERROR_TEXT)

    for (const authorization of [asSvc, basic('jwt', 'jwt-secret')]) {
      const expiring = await fetchToken(server.tokenUrl, authorization)
      clock.advance(3600_000 - 1)
      assert.equal((await call(expiring)).status, 200)
      clock.advance(1)
      const expired = await call(expiring)
      assert.equal(expired.status, 401)
      assert.equal(expired.headers.get('www-authenticate'), INVALID_TOKEN)
    }

    const revoked = await fetchToken(server.tokenUrl, asSvc)
    await postForm(server.revocationUrl, { token: revoked }, { authorization: asSvc })
    const refused = await call(revoked)
    assert.equal(refused.status, 401)
    assert.equal(refused.headers.get('www-authenticate'), INVALID_TOKEN)
  })

  test('32: a client that gets invalid_token may fetch a new token and retry once', async () => {
    const old = await fetchToken(server.tokenUrl, asSvc)
    await postForm(server.revocationUrl, { token: old }, { authorization: asSvc })
    const first = await call(old)
    assert.match(first.headers.get('www-authenticate') ?? '', /error="invalid_token"/)
    const retried = await call(await fetchToken(server.tokenUrl, asSvc))
    assert.equal(retried.status, 200)
  })

  test('32: a missing scope is 403 insufficient_scope naming the scope required', async () => {
    const token = await fetchToken(server.tokenUrl, asSvc, { grant_type: 'client_credentials', scope: 'api:read' })
    const refused = await call(token, {}, '?scope=api:write')
    assert.equal(refused.status, 403)
    assert.equal(
      refused.headers.get('www-authenticate'),
      `${REALM}, error="insufficient_scope", error_description="the access token lacks a required scope", scope="api:write"`,
    )
    assert.equal(((await refused.json()) as { error: string }).error, 'insufficient_scope')
    assert.equal((await call(token, {}, '?scope=api:read')).status, 200)
    const both = await fetchToken(server.tokenUrl, asSvc)
    assert.equal((await call(both, {}, '?scope=api:write+api:read')).status, 200)
    assert.equal((await call(token, {}, '?scope=api:read%20api:write')).status, 403)
    assert.equal((await call(token, {}, '?scope=')).status, 200, 'an empty scope requires nothing')
  })

  test('32: malformed requests are 400 invalid_request', async () => {
    const token = await fetchToken(server.tokenUrl, asSvc)
    const cases: [Record<string, string>, string][] = [
      [{ authorization: 'Bearer' }, ''],
      [{ authorization: 'Bearer ' }, ''],
      [{ authorization: 'Bearer a b' }, ''],
      [{ authorization: 'Bearer a"b' }, ''],
      [{ authorization: `Bearer ${token}` }, `?access_token=${token}`],
      [{}, `?access_token=${token}`],
      [{ authorization: `Bearer ${token}` }, '?scope=a%20%20b'],
      [{ authorization: `Bearer ${token}` }, '?scope=a&scope=b'],
    ]
    for (const [headers, query] of cases) {
      const response = await fetch(server.resourceUrl + query, { headers })
      assert.equal(response.status, 400, JSON.stringify(headers) + query)
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer realm="reference-server", error="invalid_request", error_description="[^"]+"$/)
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_request')
    }
    const twice = await rawHttp(
      server.port,
      `GET /resource HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ${token}\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    )
    assert.equal(twice.status, 400)
    assert.equal(JSON.parse(twice.body).error, 'invalid_request')
    assert.ok(!JSON.stringify(server.log).includes(token))
  })

  test('32: a body over maxBodyBytes is 413', async () => {
    const token = await fetchToken(server.tokenUrl, asSvc)
    const response = await call(token, { method: 'POST', body: 'x'.repeat(16 * 1024 + 1) })
    assert.equal(response.status, 413)
  })

  test('32: requests are logged by path with the client and the error, never the token', async () => {
    const token = await fetchToken(server.tokenUrl, asSvc, { grant_type: 'client_credentials', scope: 'api:read' })
    await call(token)
    await call(token, { method: 'POST', body: '{}' }, '?scope=api:write')
    await call('unknown-token')
    await call(undefined)
    assert.deepEqual(
      server.log.filter({ path: '/resource' }).map(({ method, status, authMethod, clientId, error, params }) => ({
        method,
        status,
        authMethod,
        clientId,
        error,
        params,
      })),
      [
        { method: 'GET', status: 200, authMethod: 'bearer', clientId: 'svc', error: undefined, params: {} },
        {
          method: 'POST',
          status: 403,
          authMethod: 'bearer',
          clientId: 'svc',
          error: 'insufficient_scope',
          params: { scope: ['api:write'] },
        },
        { method: 'GET', status: 401, authMethod: 'bearer', clientId: undefined, error: 'invalid_token', params: {} },
        { method: 'GET', status: 401, authMethod: 'none', clientId: undefined, error: undefined, params: {} },
      ],
    )
    assert.equal(server.log.count({ path: '/resource', clientId: 'svc' }), 2)
    assert.equal(server.log.count({ path: '/resource', scope: 'api:write' }), 1)
    assert.equal(server.log.count({ path: '/token' }), 1)
    const shown = JSON.stringify(server.log) + inspect(server.log, { depth: Infinity }) + inspect(server, { depth: Infinity })
    assert.ok(!shown.includes(token))
  })
})
