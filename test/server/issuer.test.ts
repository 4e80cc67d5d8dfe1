// The `issuer` option: the URL other hosts reach the server by (a container network), published in
// the metadata, the endpoint URLs, JWT `iss` and default `aud`, and introspection; `url` stays the
// origin the server listens on.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { SECRET, basic, fetchToken, postForm } from './helpers.js'

const clients = [{ clientId: 'svc', clientSecret: SECRET, scopes: ['api:read'] }]
const ISSUER = 'http://auth.test:8400'
const asSvc = basic('svc', SECRET)

describe('the issuer option', () => {
  let server: ReferenceServer
  before(async () => {
    server = await startReferenceServer({ clients, tokenFormat: 'jwt', issuer: ISSUER })
  })
  after(() => server.close())

  test('server.issuer and every endpoint URL are under it; server.url is where it listens', () => {
    assert.equal(server.issuer, ISSUER)
    assert.equal(server.tokenUrl, `${ISSUER}/token`)
    assert.equal(server.jwksUri, `${ISSUER}/jwks`)
    assert.equal(server.introspectionUrl, `${ISSUER}/introspect`)
    assert.equal(server.revocationUrl, `${ISSUER}/revoke`)
    assert.equal(server.resourceUrl, `${ISSUER}/resource`)
    assert.equal(server.url, `http://127.0.0.1:${server.port}`)
  })

  test('the metadata, at both well-known paths, publishes it and the endpoints under it', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const metadata = (await (await fetch(server.url + path)).json()) as Record<string, unknown>
      assert.equal(metadata['issuer'], ISSUER, path)
      assert.equal(metadata['token_endpoint'], `${ISSUER}/token`, path)
      assert.equal(metadata['jwks_uri'], `${ISSUER}/jwks`, path)
      assert.equal(metadata['introspection_endpoint'], `${ISSUER}/introspect`, path)
      assert.equal(metadata['revocation_endpoint'], `${ISSUER}/revoke`, path)
    }
  })

  test('JWT access tokens carry it as iss and, without resource, as aud; introspection says so too', async () => {
    const token = await fetchToken(`${server.url}/token`, asSvc)
    const keys = createLocalJWKSet((await (await fetch(`${server.url}/jwks`)).json()) as Parameters<typeof createLocalJWKSet>[0])
    const { payload } = await jwtVerify(token, keys, { issuer: ISSUER, audience: ISSUER, typ: 'at+jwt' })
    assert.equal(payload.iss, ISSUER)
    const introspection = await postForm(`${server.url}/introspect`, { token }, { authorization: asSvc })
    assert.equal(introspection.json['active'], true)
    assert.equal(introspection.json['iss'], ISSUER)
    assert.deepEqual(decodeJwt(token).aud, ISSUER)
  })
})

test('the issuer is written as an origin: lower-case host, no default port, no trailing slash; without it, the origin listened on', async () => {
  const plain = await startReferenceServer({ clients })
  try {
    assert.equal(plain.issuer, `http://127.0.0.1:${plain.port}`)
    assert.equal(plain.url, plain.issuer)
  } finally {
    await plain.close()
  }
  for (const [given, published] of [
    ['http://Auth.Test:80/', 'http://auth.test'],
    ['https://auth.test:443', 'https://auth.test'],
    ['https://auth.test:8443/', 'https://auth.test:8443'],
    ['http://[::1]:8400', 'http://[::1]:8400'],
  ] as const) {
    const server = await startReferenceServer({ clients, issuer: given })
    try {
      assert.equal(server.issuer, published, given)
      assert.equal(server.tokenUrl, `${published}/token`, given)
    } finally {
      await server.close()
    }
  }
})

test('an issuer that is not an http(s) origin is a TypeError naming the option', async () => {
  for (const issuer of ['', 'auth:8400', '/token', 'ftp://auth.test', 'http://auth.test/realms/x', 'http://auth.test?x=1',
    'http://auth.test/?', 'http://auth.test#top', 'http://user:pass@auth.test', 42, null]) {
    await assert.rejects(startReferenceServer({ clients, issuer: issuer as string }), (error: unknown) => {
      assert.ok(error instanceof TypeError, String(issuer))
      assert.equal((error as { code?: string }).code, 'ERR_INVALID_ARG_VALUE')
      assert.match(error.message, /^options\.issuer must be an absolute http: or https: URL with no path, query, fragment or credentials/)
      assert.ok(!error.message.includes('pass'), 'never echoes the value')
      return true
    })
  }
})
