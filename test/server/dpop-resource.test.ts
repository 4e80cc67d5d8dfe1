// DPoP at the protected resource (RFC 9449 §7, §9): the proof, ath, the key binding, the resource's
// own nonce, and the challenges of each scheme.
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { startReferenceServer, type ReferenceServer, type ReferenceServerOptions } from '../../src/server/index.js'
import { TestClock } from '../helpers/test-clock.js'
import { ath, proofKey, signProof, type ProofKey, type ProofOptions } from './dpop-helpers.js'
import { ERROR_TEXT, SECRET, basic, fetchToken, postToken, rawHttp } from './helpers.js'

const asSvc = basic('svc', SECRET)
const GRANT = { grant_type: 'client_credentials' }
const ALGS = 'RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519'
const clients: ReferenceServerOptions['clients'] = [
  { clientId: 'svc', clientSecret: SECRET, scopes: ['api:read', 'api:write'] },
  { clientId: 'jwt', clientSecret: SECRET, scopes: ['api:read'], tokenFormat: 'jwt' },
]

const challenge = (error: string, description: string): string => `DPoP algs="${ALGS}", error="${error}", error_description="${description}"`

describe('DPoP at the protected resource', () => {
  const clock = new TestClock()
  let server: ReferenceServer
  let key: ProofKey

  /** A DPoP-bound token of svc (or of `client`), bound to `signer`. */
  const dpopToken = async (signer = key, authorization = asSvc, body: Record<string, string> = { ...GRANT, scope: 'api:read' }) => {
    const proof = await signProof(signer, { htm: 'POST', htu: server.tokenUrl }, clock.now())
    const response = await postToken(server.tokenUrl, body, { authorization, headers: { dpop: proof } })
    assert.equal(response.json['token_type'], 'DPoP', response.text)
    return response.json['access_token'] as string
  }
  const resourceProof = (token: string, claims: Record<string, unknown> = {}, options?: ProofOptions, signer = key) =>
    signProof(signer, { htm: 'GET', htu: server.resourceUrl, ath: ath(token), ...claims }, clock.now(), options)
  const call = (token: string, proof: string | undefined, init: RequestInit = {}, query = '') =>
    fetch(server.resourceUrl + query, {
      ...init,
      headers: { authorization: `DPoP ${token}`, ...(proof === undefined ? {} : { dpop: proof }), ...(init.headers as Record<string, string>) },
    })
  const refusedWith = async (response: Response, status: number, error: string, description: string) => {
    assert.equal(response.status, status)
    assert.equal(response.headers.get('www-authenticate'), challenge(error, description))
    assert.deepEqual(await response.json(), { error, error_description: description })
    assert.match(description, ERROR_TEXT)
  }

  before(async () => {
    server = await startReferenceServer({ clock, clients, throttle: false, dpop: {} })
    key = await proofKey('ES256')
  })
  after(() => server.close())
  beforeEach(() => server.log.clear())

  test('a DPoP-bound token with a valid proof gets 200; the log says dpop, never the token or the proof', async () => {
    const token = await dpopToken()
    server.log.clear()
    const proof = await resourceProof(token)
    const response = await call(token, proof)
    assert.equal(response.status, 200)
    const body = (await response.json()) as Record<string, unknown>
    assert.equal(body['client_id'], 'svc')
    const [entry] = server.log.filter({ path: '/resource' })
    assert.equal(entry?.authMethod, 'dpop')
    assert.equal(entry?.clientId, 'svc')
    assert.deepEqual(entry?.dpop, { alg: 'ES256', jkt: key.jkt, nonce: 'none' })
    const json = JSON.stringify(server.log)
    assert.ok(!json.includes(token))
    assert.ok(!json.includes(proof.split('.')[1] as string))
  })

  test('any method; htm must be it, htu the resource URL (query ignored)', async () => {
    const token = await dpopToken()
    const post = await call(token, await resourceProof(token, { htm: 'POST' }), { method: 'POST', body: 'abc' })
    assert.equal(post.status, 200)
    assert.equal(((await post.json()) as { bodyLength: number }).bodyLength, 3)
    await refusedWith(
      await call(token, await resourceProof(token, { htm: 'POST' })),
      401,
      'invalid_dpop_proof',
      'the DPoP proof htm must be the method of the request',
    )
    await refusedWith(
      await call(token, await resourceProof(token, { htu: server.tokenUrl })),
      401,
      'invalid_dpop_proof',
      'the DPoP proof htu must be the URL of this endpoint, without query and fragment',
    )
    const scoped = await call(token, await resourceProof(token, { htu: `${server.resourceUrl}?other=1` }), {}, '?scope=api:read')
    assert.equal(scoped.status, 200)
  })

  test('ath is required and must be the hash of the token', async () => {
    const token = await dpopToken()
    await refusedWith(
      await call(token, await resourceProof(token, {}, { omit: ['ath'] })),
      401,
      'invalid_dpop_proof',
      'the DPoP proof has no ath (the hash of the access token)',
    )
    await refusedWith(
      await call(token, await resourceProof(token, { ath: ath('another token') })),
      401,
      'invalid_dpop_proof',
      'the DPoP proof ath is not the hash of the access token',
    )
  })

  test('the proof must be signed by the key the token is bound to', async () => {
    const token = await dpopToken()
    const other = await proofKey('EdDSA')
    await refusedWith(
      await call(token, await resourceProof(token, {}, {}, other)),
      401,
      'invalid_dpop_proof',
      'the DPoP proof key is not the key the access token is bound to (cnf.jkt)',
    )
    assert.equal(server.log.filter({ path: '/resource' }).at(-1)?.dpop?.jkt, other.jkt)
  })

  test('the DPoP scheme needs a proof; the proof checks of the token endpoint apply', async () => {
    const token = await dpopToken()
    await refusedWith(await call(token, undefined), 401, 'invalid_dpop_proof', 'the request has no DPoP proof (a DPoP header)')
    await refusedWith(
      await call(token, await resourceProof(token, {}, { header: { typ: 'JWT' } })),
      401,
      'invalid_dpop_proof',
      'the DPoP proof typ must be dpop+jwt',
    )
    await refusedWith(
      await call(token, await resourceProof(token, { iat: clock.now() / 1000 - 100 })),
      401,
      'invalid_dpop_proof',
      'the DPoP proof is too old (iat more than 60 seconds ago)',
    )
  })

  test('a proof is taken once at the resource too', async () => {
    const token = await dpopToken()
    const proof = await resourceProof(token)
    assert.equal((await call(token, proof)).status, 200)
    await refusedWith(await call(token, proof), 401, 'invalid_dpop_proof', 'the DPoP proof jti was used before (a replay)')
  })

  test('a DPoP-bound token sent as Bearer is 401 invalid_token with a DPoP challenge', async () => {
    const token = await dpopToken()
    const response = await fetch(server.resourceUrl, { headers: { authorization: `Bearer ${token}`, dpop: await resourceProof(token) } })
    await refusedWith(response, 401, 'invalid_token', 'the access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof')
    assert.equal(server.log.filter({ path: '/resource' })[0]?.authMethod, 'bearer')
  })

  test('a Bearer token sent with the DPoP scheme is 401 invalid_token; an unknown token too', async () => {
    const bearer = await fetchToken(server.tokenUrl, asSvc)
    await refusedWith(
      await call(bearer, await resourceProof(bearer)),
      401,
      'invalid_token',
      'the access token is not DPoP-bound: send it with the Bearer scheme',
    )
    await refusedWith(await call('bm90LWEtdG9rZW4', await resourceProof('bm90LWEtdG9rZW4')), 401, 'invalid_token', 'the access token is unknown, expired or revoked')
  })

  test('an expired DPoP-bound token is invalid_token, before the proof is looked at', async () => {
    const token = await dpopToken()
    clock.advance(3600_000)
    await refusedWith(await call(token, undefined), 401, 'invalid_token', 'the access token is unknown, expired or revoked')
  })

  test('malformed DPoP credentials are 400 invalid_request; two Authorization headers too', async () => {
    for (const authorization of ['DPoP', 'DPoP a b', 'dpop  ']) {
      const response = await fetch(server.resourceUrl, { headers: { authorization } })
      await refusedWith(response, 400, 'invalid_request', 'malformed DPoP credentials')
    }
    const raw = await rawHttp(
      server.port,
      'GET /resource HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: DPoP a\r\nAuthorization: DPoP b\r\nConnection: close\r\n\r\n',
    )
    assert.equal(raw.status, 400)
    assert.match(raw.headers['www-authenticate'] ?? '', /error="invalid_request"/)
  })

  test('the scheme name is case-insensitive', async () => {
    const token = await dpopToken()
    const response = await fetch(server.resourceUrl, { headers: { authorization: `dpop ${token}`, dpop: await resourceProof(token) } })
    assert.equal(response.status, 200)
  })

  test('a missing scope is 403 insufficient_scope with a DPoP challenge', async () => {
    const token = await dpopToken()
    const response = await call(token, await resourceProof(token), {}, '?scope=api:write')
    assert.equal(response.status, 403)
    assert.equal(
      response.headers.get('www-authenticate'),
      `DPoP algs="${ALGS}", error="insufficient_scope", error_description="the access token lacks a required scope", scope="api:write"`,
    )
  })

  test('no credentials: both challenges, Bearer and DPoP, as two WWW-Authenticate headers', async () => {
    const raw = await rawHttp(server.port, 'GET /resource HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
    assert.equal(raw.status, 401)
    assert.equal(raw.headers['www-authenticate'], `Bearer realm="reference-server", DPoP algs="${ALGS}"`)
    const response = await fetch(server.resourceUrl, { headers: { authorization: 'Digest x' } })
    assert.equal(response.status, 401)
    assert.equal(response.headers.get('www-authenticate'), `Bearer realm="reference-server", DPoP algs="${ALGS}"`)
    assert.equal(await response.text(), '')
  })

  test('a JWT DPoP-bound token works at the resource like an opaque one', async () => {
    const token = await dpopToken(key, basic('jwt', SECRET), GRANT)
    assert.equal((await call(token, await resourceProof(token))).status, 200)
  })

  test('server.tokens.issue can bind a token to a DPoP key directly', async () => {
    const token = server.tokens.issue({ clientId: 'svc', scope: ['api:read'], resources: [], dpopJkt: key.jkt }, 60, clock.now())
    assert.equal((await call(token, await resourceProof(token))).status, 200)
    const bearer = await fetch(server.resourceUrl, { headers: { authorization: `Bearer ${token}` } })
    assert.equal(bearer.status, 401)
  })
})

describe('DPoP at the protected resource: the resource nonce', () => {
  const clock = new TestClock()
  let server: ReferenceServer
  let key: ProofKey

  const dpopToken = async () => {
    const proof = await signProof(key, { htm: 'POST', htu: server.tokenUrl }, clock.now())
    const response = await postToken(server.tokenUrl, GRANT, { authorization: asSvc, headers: { dpop: proof } })
    assert.equal(response.status, 200, response.text)
    return response.json['access_token'] as string
  }
  const call = async (token: string, claims: Record<string, unknown> = {}) =>
    fetch(server.resourceUrl, {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await signProof(key, { htm: 'GET', htu: server.resourceUrl, ath: ath(token), ...claims }, clock.now()),
      },
    })

  before(async () => {
    server = await startReferenceServer({ clock, clients, throttle: false, dpop: { resourceNonce: true, algorithms: ['ES256'] } })
    key = await proofKey('ES256')
  })
  after(() => server.close())

  test('without the resource nonce: 401 use_dpop_nonce with DPoP-Nonce; the token endpoint needs none', async () => {
    const token = await dpopToken()
    const response = await call(token)
    assert.equal(response.status, 401)
    const description = 'a DPoP nonce is required: sign the proof again with the nonce of the DPoP-Nonce header'
    assert.equal(response.headers.get('www-authenticate'), `DPoP algs="ES256", error="use_dpop_nonce", error_description="${description}"`)
    assert.deepEqual(await response.json(), { error: 'use_dpop_nonce', error_description: description })
    const nonce = response.headers.get('dpop-nonce')
    assert.equal(nonce, server.dpop.resourceNonce)
    const retry = await call(token, { nonce })
    assert.equal(retry.status, 200)
    assert.equal(retry.headers.get('dpop-nonce'), nonce)
    assert.deepEqual(
      server.log.filter({ path: '/resource' }).map((entry) => entry.dpop?.nonce),
      ['none', 'current'],
    )
  })

  test("the resource's nonce is its own: the token endpoint's is stale there", async () => {
    const token = await dpopToken()
    assert.notEqual(server.dpop.nonce, server.dpop.resourceNonce)
    const response = await call(token, { nonce: server.dpop.nonce })
    assert.equal(response.status, 401)
    assert.match(response.headers.get('www-authenticate') ?? '', /error="use_dpop_nonce", error_description="the DPoP nonce is not current/)
  })

  test('rotateResourceNonce: the previous one is taken until the next rotation, or not with keepPrevious: false', async () => {
    const token = await dpopToken()
    const old = server.dpop.resourceNonce
    server.dpop.rotateResourceNonce()
    assert.equal((await call(token, { nonce: old })).status, 200)
    server.dpop.rotateResourceNonce({ keepPrevious: false })
    const current = await call(token, { nonce: server.dpop.resourceNonce })
    assert.equal(current.status, 200)
    const previous = server.dpop.resourceNonce
    server.dpop.rotateResourceNonce({ keepPrevious: false })
    assert.equal((await call(token, { nonce: previous })).status, 401)
  })

  test('every answer of the resource carries DPoP-Nonce, a bare 401 included; the token endpoint none', async () => {
    const response = await fetch(server.resourceUrl)
    assert.equal(response.status, 401)
    assert.equal(response.headers.get('dpop-nonce'), server.dpop.resourceNonce)
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="reference-server", DPoP algs="ES256"')
    const token = await postToken(server.tokenUrl, GRANT, { authorization: asSvc })
    assert.equal(token.headers.get('dpop-nonce'), null)
  })
})

describe('DPoP at the protected resource, without the dpop option', () => {
  let server: ReferenceServer
  before(async () => {
    server = await startReferenceServer({ clients })
  })
  after(() => server.close())

  test('no credentials: the bare Bearer challenge alone, as before', async () => {
    const response = await fetch(server.resourceUrl)
    assert.equal(response.status, 401)
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="reference-server"')
  })

  test('a DPoP-bound token still works, and its refusals still say DPoP', async () => {
    const key = await proofKey('ES256')
    const now = Date.now()
    const proof = await signProof(key, { htm: 'POST', htu: server.tokenUrl }, now)
    const token = (await postToken(server.tokenUrl, GRANT, { authorization: asSvc, headers: { dpop: proof } })).json['access_token'] as string
    const ok = await fetch(server.resourceUrl, {
      headers: { authorization: `DPoP ${token}`, dpop: await signProof(key, { htm: 'GET', htu: server.resourceUrl, ath: ath(token) }, now) },
    })
    assert.equal(ok.status, 200)
    const asBearer = await fetch(server.resourceUrl, { headers: { authorization: `Bearer ${token}` } })
    assert.match(asBearer.headers.get('www-authenticate') ?? '', /^DPoP algs="[^"]+", error="invalid_token"/)
  })
})
