// Checklist item 28: JWT access tokens (RFC 9068), verified with jose against the published JWK Set.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTVerifyOptions } from 'jose'
import { startReferenceServer, type ReferenceServer, type SigningAlgorithm } from '../../src/server/index.js'
import { TestClock } from '../helpers/test-clock.js'
import { SECRET, basic, fetchToken, postForm } from './helpers.js'

const asSvc = basic('svc', SECRET)
const clients = [
  { clientId: 'svc', clientSecret: SECRET, scopes: ['api:read', 'api:write'] },
  { clientId: 'opaque', clientSecret: 'opaque-secret', scopes: ['api:read'], tokenFormat: 'opaque' as const },
  { clientId: 'bare', clientSecret: 'bare-secret', scopes: [] },
]

async function publishedKeys(server: ReferenceServer) {
  const response = await fetch(server.jwksUri)
  assert.equal(response.status, 200)
  assert.equal(response.headers.get('content-type'), 'application/json')
  return createLocalJWKSet((await response.json()) as Parameters<typeof createLocalJWKSet>[0])
}

describe('28: JWT access tokens', () => {
  const clock = new TestClock()
  let server: ReferenceServer
  // jose checks exp and iat against the test clock, not the wall clock.
  const options = (): JWTVerifyOptions => ({
    issuer: server.issuer,
    typ: 'at+jwt',
    algorithms: ['ES256'],
    currentDate: new Date(clock.now()),
  })

  before(async () => {
    server = await startReferenceServer({ clock, clients, tokenFormat: 'jwt', throttle: false })
  })
  after(() => server.close())

  test('28: header typ at+jwt, alg ES256 and the kid of a published key; verifies against jwks_uri', async () => {
    const token = await fetchToken(server.tokenUrl, asSvc)
    const [kid] = server.jwks.keys.map((key) => key.kid)
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'ES256', typ: 'at+jwt', kid })
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(server.jwksUri)), {
      ...options(),
      audience: server.issuer,
      requiredClaims: ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'],
    })
    assert.equal(protectedHeader.typ, 'at+jwt')
    const iat = clock.now() / 1000
    assert.deepEqual(payload, {
      iss: server.issuer,
      sub: 'svc',
      aud: server.issuer,
      exp: iat + 3600,
      iat,
      jti: payload.jti,
      client_id: 'svc',
      scope: 'api:read api:write',
    })
    assert.match(payload.jti as string, /^[0-9a-f-]{36}$/)
    // JOSE ES256 signatures are r||s, 64 bytes, not DER.
    assert.equal(Buffer.from(token.split('.')[2] as string, 'base64url').length, 64)
  })

  test('28: scope is the granted set; absent when nothing was granted', async () => {
    const one = decodeJwt(await fetchToken(server.tokenUrl, asSvc, { grant_type: 'client_credentials', scope: 'api:write' }))
    assert.equal(one.scope, 'api:write')
    const none = decodeJwt(await fetchToken(server.tokenUrl, basic('bare', 'bare-secret')))
    assert.ok(!('scope' in none))
  })

  test('28: every token has its own jti', async () => {
    const ids = new Set<unknown>()
    for (let index = 0; index < 20; index++) ids.add(decodeJwt(await fetchToken(server.tokenUrl, asSvc)).jti)
    assert.equal(ids.size, 20)
  })

  test('28: aud is the resource asked for, an array for several', async () => {
    const keys = await publishedKeys(server)
    const single = await fetchToken(server.tokenUrl, asSvc, { grant_type: 'client_credentials', resource: 'https://api.example/v1' })
    const verified = await jwtVerify(single, keys, { ...options(), audience: 'https://api.example/v1' })
    assert.equal(verified.payload.aud, 'https://api.example/v1')
    const several = await fetchToken(server.tokenUrl, asSvc, [
      ['grant_type', 'client_credentials'],
      ['resource', 'https://a.example/'],
      ['resource', 'urn:example:b'],
    ])
    assert.deepEqual(decodeJwt(several).aud, ['https://a.example/', 'urn:example:b'])
    await jwtVerify(several, keys, { ...options(), audience: 'urn:example:b' })
  })

  test('28: without resource, aud is the audience option (one string or an array)', async () => {
    for (const [audience, expected] of [
      ['https://api.example', 'https://api.example'],
      [['https://a.example', 'https://b.example'], ['https://a.example', 'https://b.example']],
    ] as const) {
      const other = await startReferenceServer({ clients, tokenFormat: 'jwt', audience: [audience].flat() })
      try {
        assert.deepEqual(decodeJwt(await fetchToken(other.tokenUrl, asSvc)).aud, expected)
      } finally {
        await other.close()
      }
    }
  })

  test('28: iat and exp come from the injected clock; jose refuses the token after exp', async () => {
    const start = clock.now()
    clock.advance(1_500) // not on a whole second: iat is truncated
    const token = await fetchToken(server.tokenUrl, basic('svc', SECRET))
    const { iat, exp } = decodeJwt(token)
    assert.equal(iat, Math.floor((start + 1_500) / 1000))
    assert.equal(exp, (iat as number) + 3600)
    const keys = await publishedKeys(server)
    const at = (ms: number) => ({ ...options(), audience: server.issuer, currentDate: new Date(ms) })
    await jwtVerify(token, keys, at((exp as number) * 1000 - 1))
    await assert.rejects(jwtVerify(token, keys, at((exp as number) * 1000)), { code: 'ERR_JWT_EXPIRED' })
    // The server agrees to the millisecond: introspection says inactive from exp on.
    const introspect = () => postForm(server.introspectionUrl, { token }, { authorization: asSvc })
    clock.time = (exp as number) * 1000 - 1
    assert.equal((await introspect()).json['active'], true)
    clock.time = (exp as number) * 1000
    assert.deepEqual((await introspect()).json, { active: false })
  })

  test('28: opaque is the default format, and a client may override the server format', async () => {
    const opaqueFromJwtServer = await fetchToken(server.tokenUrl, basic('opaque', 'opaque-secret'))
    assert.match(opaqueFromJwtServer, /^[A-Za-z0-9_-]{43}$/)
    const plain = await startReferenceServer({
      clients: [...clients, { clientId: 'jwt', clientSecret: 'jwt-secret', scopes: [], tokenFormat: 'jwt' }],
    })
    try {
      assert.match(await fetchToken(plain.tokenUrl, asSvc), /^[A-Za-z0-9_-]{43}$/)
      const jwt = await fetchToken(plain.tokenUrl, basic('jwt', 'jwt-secret'))
      assert.equal(decodeProtectedHeader(jwt).typ, 'at+jwt')
      await jwtVerify(jwt, await publishedKeys(plain), { issuer: plain.issuer, audience: plain.issuer, typ: 'at+jwt' })
    } finally {
      await plain.close()
    }
  })

  test('28: RS256 and EdDSA keys sign verifiable tokens too; the JWK Set holds public members only', async () => {
    const expected: Record<SigningAlgorithm, Record<string, unknown>> = {
      ES256: { kty: 'EC', crv: 'P-256' },
      RS256: { kty: 'RSA', e: 'AQAB' },
      EdDSA: { kty: 'OKP', crv: 'Ed25519' },
    }
    for (const signingAlgorithm of ['ES256', 'RS256', 'EdDSA'] as const) {
      const other = await startReferenceServer({ clients, tokenFormat: 'jwt', signingAlgorithm })
      try {
        const [key, ...rest] = other.jwks.keys
        assert.equal(rest.length, 0)
        assert.ok(key)
        assert.equal(key.alg, signingAlgorithm)
        assert.equal(key.use, 'sig')
        for (const [name, value] of Object.entries(expected[signingAlgorithm])) assert.equal(key[name as keyof typeof key], value)
        for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.ok(!(secret in key), `${signingAlgorithm} publishes ${secret}`)
        const token = await fetchToken(other.tokenUrl, asSvc)
        assert.deepEqual(decodeProtectedHeader(token), { alg: signingAlgorithm, typ: 'at+jwt', kid: key.kid })
        const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(other.jwksUri)), {
          issuer: other.issuer,
          audience: other.issuer,
          typ: 'at+jwt',
          algorithms: [signingAlgorithm],
        })
        assert.equal(payload.client_id, 'svc')
      } finally {
        await other.close()
      }
    }
  })

  test('28: rotateKeys keeps the previous key published until the next rotation', async () => {
    const verify = async (token: string) =>
      jwtVerify(token, await publishedKeys(server), { ...options(), audience: server.issuer })
    const first = await fetchToken(server.tokenUrl, asSvc)
    const firstKid = decodeProtectedHeader(first).kid
    const secondKid = await server.rotateKeys()
    assert.notEqual(secondKid, firstKid)
    assert.deepEqual(server.jwks.keys.map((key) => key.kid), [secondKid, firstKid])
    const second = await fetchToken(server.tokenUrl, asSvc)
    assert.equal(decodeProtectedHeader(second).kid, secondKid)
    await verify(first)
    await verify(second)

    const thirdKid = await server.rotateKeys()
    assert.deepEqual(server.jwks.keys.map((key) => key.kid), [thirdKid, secondKid])
    await assert.rejects(verify(first), { code: 'ERR_JWKS_NO_MATCHING_KEY' })
    await verify(second)
    // The server no longer vouches for a token nobody can verify.
    assert.deepEqual((await postForm(server.introspectionUrl, { token: first }, { authorization: asSvc })).json, { active: false })
    const refused = await fetch(server.resourceUrl, { headers: { authorization: `Bearer ${first}` } })
    assert.equal(refused.status, 401)
    assert.match(refused.headers.get('www-authenticate') ?? '', /error="invalid_token"/)
    const accepted = await fetch(server.resourceUrl, { headers: { authorization: `Bearer ${second}` } })
    assert.equal(accepted.status, 200)
  })
})
