// Checklist item 30: token introspection (RFC 7662).
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { decodeJwt } from 'jose'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { TestClock } from '../helpers/test-clock.js'
import { ERROR_TEXT, SECRET, basic, fetchToken, postForm, rawHttp } from './helpers.js'

const asSvc = basic('svc', SECRET)
const asRs = basic('resource-server', 'rs-secret')

describe('30: introspection', () => {
  const clock = new TestClock()
  let server: ReferenceServer
  const introspect = (token: string, authorization = asRs) => postForm(server.introspectionUrl, { token }, { authorization })

  before(async () => {
    server = await startReferenceServer({
      clock,
      clients: [
        { clientId: 'svc', clientSecret: SECRET, scopes: ['api:read', 'api:write'] },
        // A resource server registered as a client, with no grant of its own.
        { clientId: 'resource-server', clientSecret: 'rs-secret', scopes: [], grantTypes: [] },
        { clientId: 'jwt', clientSecret: 'jwt-secret', scopes: ['api:read'], tokenFormat: 'jwt' },
        { clientId: 'victim', clientSecret: 'victim-secret', scopes: [] },
      ],
    })
  })
  after(() => server.close())
  beforeEach(() => server.log.clear())

  test('30: an active opaque token is described', async () => {
    const token = await fetchToken(server.tokenUrl, asSvc, { grant_type: 'client_credentials', scope: 'api:read' })
    const response = await introspect(token)
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('content-type'), 'application/json')
    const iat = Math.floor(clock.now() / 1000)
    assert.deepEqual(response.json, {
      active: true,
      client_id: 'svc',
      token_type: 'Bearer',
      exp: iat + 3600,
      iat,
      sub: 'svc',
      aud: server.issuer,
      iss: server.issuer,
      scope: 'api:read',
    })
  })

  test('30: an active JWT is described with its jti, iat and exp', async () => {
    const token = await fetchToken(server.tokenUrl, basic('jwt', 'jwt-secret'), [
      ['grant_type', 'client_credentials'],
      ['resource', 'https://a.example/'],
      ['resource', 'https://b.example/'],
    ])
    const claims = decodeJwt(token)
    const { json } = await introspect(token)
    assert.deepEqual(json, {
      active: true,
      client_id: 'jwt',
      token_type: 'Bearer',
      exp: claims.exp,
      iat: claims.iat,
      sub: 'jwt',
      aud: ['https://a.example/', 'https://b.example/'],
      iss: server.issuer,
      scope: 'api:read',
      jti: claims.jti,
    })
  })

  test('30: unknown, expired (by the clock) and revoked tokens are exactly {"active":false}', async () => {
    const unknown = await introspect('no-such-token')
    assert.equal(unknown.status, 200)
    assert.equal(unknown.text, '{"active":false}')

    const expiring = await fetchToken(server.tokenUrl, asSvc)
    clock.advance(3600_000 - 1)
    assert.equal((await introspect(expiring)).json['active'], true)
    clock.advance(1)
    assert.equal((await introspect(expiring)).text, '{"active":false}')

    const revoked = await fetchToken(server.tokenUrl, asSvc)
    assert.equal((await postForm(server.revocationUrl, { token: revoked }, { authorization: asSvc })).status, 200)
    assert.equal((await introspect(revoked)).text, '{"active":false}')

    const jwt = await fetchToken(server.tokenUrl, basic('jwt', 'jwt-secret'))
    clock.advance(3600_000)
    assert.equal((await introspect(jwt)).text, '{"active":false}')
  })

  test('30: token_type_hint is ignored', async () => {
    const token = await fetchToken(server.tokenUrl, asSvc)
    for (const hint of ['access_token', 'refresh_token', 'nonsense']) {
      const response = await postForm(server.introspectionUrl, { token, token_type_hint: hint }, { authorization: asRs })
      assert.equal(response.json['active'], true, hint)
    }
  })

  test('30: the caller authenticates like at the token endpoint; any registered client may introspect', async () => {
    const token = await fetchToken(server.tokenUrl, asSvc)
    const post = await postForm(server.introspectionUrl, { token, client_id: 'svc', client_secret: SECRET })
    assert.equal(post.json['active'], true)
    assert.equal(server.log.entries.at(-1)?.authMethod, 'client_secret_post')

    for (const [body, authorization] of [
      [{ token }, undefined],
      [{ token }, basic('resource-server', 'wrong')],
      [{ token, client_id: 'resource-server' }, undefined],
      [{ token }, 'Bearer ' + token],
    ] as const) {
      const response = await postForm(server.introspectionUrl, body, authorization === undefined ? {} : { authorization })
      assert.equal(response.status, 401, response.text)
      assert.equal(response.json['error'], 'invalid_client')
      assert.equal(response.headers.get('www-authenticate'), 'Basic realm="reference-server"')
      assert.ok(!response.text.includes('active'))
    }
    const both = await postForm(server.introspectionUrl, { token, client_secret: 'rs-secret' }, { authorization: asRs })
    assert.equal(both.status, 400)
    assert.equal(both.json['error'], 'invalid_request')
  })

  test('30: failed authentications at /introspect count towards the throttle', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      assert.equal((await introspect('x', basic('victim', 'wrong'))).status, 401)
    }
    const blocked = await introspect('x', basic('victim', 'victim-secret'))
    assert.equal(blocked.status, 429)
    assert.equal(blocked.headers.get('retry-after'), '60')
    clock.advance(60_000)
    assert.equal((await introspect('x', basic('victim', 'victim-secret'))).status, 200)
  })

  test('30: a missing token, a repeated token, a non-form body are invalid_request; other methods 405', async () => {
    for (const body of [{}, { token: '' }]) {
      const response = await postForm(server.introspectionUrl, body, { authorization: asRs })
      assert.equal(response.status, 400)
      assert.equal(response.json['error'], 'invalid_request')
    }
    const repeated = await postForm(server.introspectionUrl, [['token', 'a'], ['token', 'b']], { authorization: asRs })
    assert.equal(repeated.status, 400)
    const json = await postForm(server.introspectionUrl, '{"token":"a"}', { authorization: asRs, contentType: 'application/json' })
    assert.equal(json.status, 400)
    const get = await fetch(server.introspectionUrl, { headers: { authorization: asRs } })
    assert.equal(get.status, 405)
    assert.equal(get.headers.get('allow'), 'POST')
    for (const response of [repeated, json]) assert.match(response.json['error_description'] as string, ERROR_TEXT)
  })

  test('30: every answer carries no-store; the token is never logged', async () => {
    const token = await fetchToken(server.tokenUrl, asSvc)
    server.log.clear()
    const responses = [
      await introspect(token),
      await introspect('unknown'),
      await postForm(server.introspectionUrl, { token }),
      await postForm(server.introspectionUrl, { token, token_type_hint: 'access_token' }, { authorization: asRs }),
    ]
    for (const response of responses) {
      assert.equal(response.headers.get('cache-control'), 'no-store')
      assert.equal(response.headers.get('pragma'), 'no-cache')
    }
    const raw = await rawHttp(
      server.port,
      `POST /introspect HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: ${asRs}\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${6 + token.length}\r\n\r\ntoken=${token}`,
    )
    assert.equal(JSON.parse(raw.body).active, true)
    assert.ok(!JSON.stringify(server.log).includes(token))
    assert.deepEqual(server.log.entries.at(3)?.params, { token_type_hint: ['access_token'] })
    assert.equal(server.log.count({ path: '/introspect' }), 5)
    assert.equal(server.log.count({ path: '/introspect', clientId: 'resource-server' }), 4)
  })
})
