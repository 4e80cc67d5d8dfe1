// DPoP at the token endpoint (RFC 9449 §4.3, §5, §8): every proof check accepted and refused with
// its exact answer, nonces, replay, dpopBoundAccessTokens, cnf.jkt, metadata, faults and the log.
import assert from 'node:assert/strict'
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto'
import { after, before, beforeEach, describe, test } from 'node:test'
import { decodeJwt, exportJWK, generateSecret, SignJWT } from 'jose'
import { startReferenceServer, type ReferenceServer, type ReferenceServerOptions } from '../../src/server/index.js'
import { TestClock } from '../helpers/test-clock.js'
import { proofKey, signProof, unsignedProof, type ProofKey, type ProofOptions } from './dpop-helpers.js'
import { ERROR_TEXT, SECRET, basic, postForm, postToken, rawHttp } from './helpers.js'

const asSvc = basic('svc', SECRET)
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
const GRANT = { grant_type: 'client_credentials' }

const clients: ReferenceServerOptions['clients'] = [
  { clientId: 'svc', clientSecret: SECRET, scopes: ['api:read'] },
  { clientId: 'jwt', clientSecret: SECRET, scopes: ['api:read'], tokenFormat: 'jwt' },
  { clientId: 'bound', clientSecret: SECRET, scopes: ['api:read'], dpopBoundAccessTokens: true },
  { clientId: 'quirky', clientSecret: SECRET, scopes: [], quirks: ['lowercase-bearer'] },
]

describe('DPoP at the token endpoint', () => {
  const clock = new TestClock()
  let server: ReferenceServer
  let key: ProofKey

  const proofFor = (claims: Record<string, unknown> = {}, options?: ProofOptions, signer = key) =>
    signProof(signer, { htm: 'POST', htu: server.tokenUrl, ...claims }, clock.now(), options)
  const withProof = (proof: string, authorization = asSvc) => postToken(server.tokenUrl, GRANT, { authorization, headers: { dpop: proof } })
  const refused = async (proof: string, description: string) => {
    const response = await withProof(proof)
    assert.equal(response.status, 400, response.text)
    assert.deepEqual(response.json, { error: 'invalid_dpop_proof', error_description: description })
    assert.match(description, ERROR_TEXT)
    return response
  }

  before(async () => {
    server = await startReferenceServer({ clock, clients, throttle: false, dpop: {} })
    key = await proofKey('ES256')
  })
  after(() => server.close())
  beforeEach(() => {
    server.log.clear()
    server.faults.clear()
  })

  test('a valid proof gets a DPoP-bound token: token_type DPoP, the record keeps the key thumbprint', async () => {
    const response = await withProof(await proofFor())
    assert.equal(response.status, 200, response.text)
    assert.equal(response.json['token_type'], 'DPoP')
    assert.equal(response.headers.get('dpop-nonce'), null, 'nonces are off')
    const token = response.json['access_token'] as string
    assert.equal(server.tokens.get(token, clock.now())?.dpopJkt, key.jkt)
    const [entry] = server.log.tokenRequests()
    assert.deepEqual(entry?.dpop, { alg: 'ES256', jkt: key.jkt, nonce: 'none' })
  })

  test('without a DPoP header the token is a Bearer token, unbound', async () => {
    const response = await postToken(server.tokenUrl, GRANT, { authorization: asSvc })
    assert.equal(response.json['token_type'], 'Bearer')
    assert.equal(server.tokens.get(response.json['access_token'] as string, clock.now())?.dpopJkt, undefined)
    assert.equal(server.log.tokenRequests()[0]?.dpop, undefined)
  })

  test('every algorithm of the allowlist verifies (EdDSA, ES384, ES512, PS256, RS256)', async () => {
    for (const alg of ['EdDSA', 'ES384', 'ES512', 'PS256', 'RS256']) {
      const signer = await proofKey(alg)
      const response = await withProof(await proofFor({}, {}, signer))
      assert.equal(response.status, 200, `${alg}: ${response.text}`)
      assert.equal(server.tokens.get(response.json['access_token'] as string, clock.now())?.dpopJkt, signer.jkt)
    }
  })

  test('introspection shows token_type DPoP and cnf.jkt; a JWT access token carries cnf.jkt', async () => {
    const opaque = (await withProof(await proofFor())).json['access_token'] as string
    const introspection = await postForm(server.introspectionUrl, { token: opaque }, { authorization: asSvc })
    assert.equal(introspection.json['token_type'], 'DPoP')
    assert.deepEqual(introspection.json['cnf'], { jkt: key.jkt })
    const jwt = (await withProof(await proofFor(), basic('jwt', SECRET))).json['access_token'] as string
    assert.deepEqual(decodeJwt(jwt)['cnf'], { jkt: key.jkt })
    const jwtIntrospection = await postForm(server.introspectionUrl, { token: jwt }, { authorization: asSvc })
    assert.equal(jwtIntrospection.json['token_type'], 'DPoP')
    assert.deepEqual(jwtIntrospection.json['cnf'], { jkt: key.jkt })
    const bearer = (await postToken(server.tokenUrl, GRANT, { authorization: asSvc })).json['access_token'] as string
    const plain = await postForm(server.introspectionUrl, { token: bearer }, { authorization: asSvc })
    assert.equal(plain.json['token_type'], 'Bearer')
    assert.equal(plain.json['cnf'], undefined)
  })

  test('exactly one DPoP header', async () => {
    const [one, two] = [await proofFor(), await proofFor()]
    const body = 'grant_type=client_credentials'
    const response = await rawHttp(
      server.port,
      `POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${asSvc}\r\n` +
        'Content-Type: application/x-www-form-urlencoded\r\n' +
        `DPoP: ${one}\r\nDPoP: ${two}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    )
    assert.equal(response.status, 400)
    assert.deepEqual(JSON.parse(response.body), { error: 'invalid_dpop_proof', error_description: 'exactly one DPoP header is allowed' })
  })

  test('the proof must be a JWS with typ dpop+jwt', async () => {
    const notJwt = 'the DPoP proof is not a JWT (a JWS in compact serialization)'
    for (const proof of ['', 'abc', 'a.b', 'a.b.c', 'eyJ9.e30.AA']) await refused(proof, notJwt)
    await refused(await proofFor({}, { header: { typ: undefined } }), 'the DPoP proof typ must be dpop+jwt')
    await refused(await proofFor({}, { header: { typ: 'JWT' } }), 'the DPoP proof typ must be dpop+jwt')
    await refused(await proofFor({}, { header: { typ: 'at+jwt' } }), 'the DPoP proof typ must be dpop+jwt')
  })

  test('alg: never none, never an HMAC, only the allowlist', async () => {
    const header = { typ: 'dpop+jwt', alg: 'none', jwk: key.jwk }
    const claims = { jti: randomUUID(), htm: 'POST', htu: server.tokenUrl, iat: clock.now() / 1000 }
    await refused(unsignedProof(header, claims), 'unsigned DPoP proofs (alg none) are never accepted')
    const secret = await generateSecret('HS256')
    const hmac = await new SignJWT(claims).setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.jwk }).sign(secret)
    await refused(hmac, 'the DPoP proof alg is not one the server accepts (dpop_signing_alg_values_supported)')
  })

  test('jwk: present, public, a key for the alg', async () => {
    await refused(await proofFor({}, { header: { jwk: undefined } }), 'the DPoP proof has no jwk header (a public JWK)')
    await refused(await proofFor({}, { header: { jwk: 'a string' } }), 'the DPoP proof has no jwk header (a public JWK)')
    const privateJwk = await exportJWK(key.privateKey)
    await refused(await proofFor({}, { header: { jwk: privateJwk } }), 'the DPoP proof jwk must be a public key, it has private members')
    // A P-256 key in the header of an ES384 proof, and an RSA key in that of an ES256 one.
    const es384 = await proofKey('ES384')
    await refused(await proofFor({}, { header: { jwk: key.jwk } }, es384), 'the DPoP proof jwk is not a public key for its alg')
    const rsa = await proofKey('RS256')
    await refused(await proofFor({}, { header: { jwk: rsa.jwk } }), 'the DPoP proof jwk is not a public key for its alg')
    // An RSA key under 2048 bits (jose will not sign with one, node:crypto will).
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const claims = { jti: randomUUID(), htm: 'POST', htu: server.tokenUrl, iat: clock.now() / 1000 }
    const input = `${b64({ typ: 'dpop+jwt', alg: 'RS256', jwk: small.publicKey.export({ format: 'jwk' }) })}.${b64(claims)}`
    const signature = sign('sha256', Buffer.from(input), small.privateKey).toString('base64url')
    await refused(`${input}.${signature}`, 'the DPoP proof jwk is not a public key for its alg')
  })

  test('the signature must verify with the embedded jwk', async () => {
    const other = await proofKey('ES256')
    const response = await refused(await proofFor({}, { header: { jwk: other.jwk } }), 'the DPoP proof signature does not verify with its jwk')
    assert.equal(response.json['access_token'], undefined)
    assert.deepEqual(server.log.tokenRequests().at(-1)?.dpop, { alg: 'ES256' }, 'no thumbprint for an unverified key')
  })

  test('jti, htm, htu', async () => {
    await refused(await proofFor({}, { omit: ['jti'] }), 'the DPoP proof jti must be a non-empty string')
    await refused(await proofFor({ jti: '' }), 'the DPoP proof jti must be a non-empty string')
    await refused(await proofFor({ jti: 42 }), 'the DPoP proof jti must be a non-empty string')
    const htm = 'the DPoP proof htm must be the method of the request'
    await refused(await proofFor({ htm: 'GET' }), htm)
    await refused(await proofFor({ htm: 'post' }), htm)
    await refused(await proofFor({}, { omit: ['htm'] }), htm)
    const htu = 'the DPoP proof htu must be the URL of this endpoint, without query and fragment'
    await refused(await proofFor({ htu: server.resourceUrl }), htu)
    await refused(await proofFor({ htu: `${server.tokenUrl}/` }), htu)
    await refused(await proofFor({ htu: server.tokenUrl.replace('http:', 'https:') }), htu)
    await refused(await proofFor({ htu: server.tokenUrl.replace(String(server.port), String(server.port + 1)) }), htu)
    await refused(await proofFor({ htu: '/token' }), htu)
    await refused(await proofFor({}, { omit: ['htu'] }), htu)
  })

  test('htu: query and fragment ignored, scheme and host regardless of case', async () => {
    for (const htu of [
      `${server.tokenUrl}?a=b`,
      `${server.tokenUrl}#frag`,
      server.tokenUrl.replace('http://127.0.0.1', 'HTTP://127.0.0.1'),
      `http://localhost:${server.port}/token`.replace('localhost', '127.0.0.1').toUpperCase().replace('/TOKEN', '/token'),
    ]) {
      const response = await withProof(await proofFor({ htu }))
      assert.equal(response.status, 200, `${htu}: ${response.text}`)
    }
  })

  test('iat: a number, not in the future past the skew, not older than 60 s plus the skew', async () => {
    const now = clock.now() / 1000
    await refused(await proofFor({}, { omit: ['iat'] }), 'the DPoP proof has no iat (a number)')
    await refused(await proofFor({ iat: String(now) }), 'the DPoP proof has no iat (a number)')
    await refused(await proofFor({ iat: now + 16 }), 'the DPoP proof was issued in the future (iat)')
    await refused(await proofFor({ iat: now - 76 }), 'the DPoP proof is too old (iat more than 60 seconds ago)')
    assert.equal((await withProof(await proofFor({ iat: now + 15 }))).status, 200)
    assert.equal((await withProof(await proofFor({ iat: now - 75 }))).status, 200)
    await refused(await proofFor({ exp: now - 20 }), 'the DPoP proof has expired (exp)')
  })

  test('a proof is taken once: its jti again is a replay, even after a refusal for something else', async () => {
    const proof = await proofFor()
    assert.equal((await withProof(proof)).status, 200)
    await refused(proof, 'the DPoP proof jti was used before (a replay)')
    // A refused proof records nothing: the same jti with a valid proof passes.
    const jti = randomUUID()
    await refused(await proofFor({ jti, htm: 'GET' }), 'the DPoP proof htm must be the method of the request')
    assert.equal((await withProof(await proofFor({ jti }))).status, 200)
    // Another key may use the same jti: the cache is per key.
    assert.equal((await withProof(await proofFor({ jti }, {}, await proofKey('ES256')))).status, 200)
    // Once the iat window has passed, the jti is forgotten (and the proof too old anyway).
    clock.advance(76_000)
    await refused(proof, 'the DPoP proof is too old (iat more than 60 seconds ago)')
  })

  test('client authentication runs first: a wrong secret with a bad proof is 401 invalid_client', async () => {
    const response = await withProof('junk', basic('svc', 'wrong'))
    assert.equal(response.status, 401)
    assert.equal(response.json['error'], 'invalid_client')
  })

  test('dpopBoundAccessTokens: a request without a proof is 400 invalid_request; with one, a DPoP token', async () => {
    const asBound = basic('bound', SECRET)
    const without = await postToken(server.tokenUrl, GRANT, { authorization: asBound })
    assert.equal(without.status, 400)
    assert.deepEqual(without.json, { error: 'invalid_request', error_description: 'this client requires DPoP-bound tokens' })
    const withOne = await withProof(await proofFor(), asBound)
    assert.equal(withOne.status, 200)
    assert.equal(withOne.json['token_type'], 'DPoP')
  })

  test('lowercase-bearer leaves token_type DPoP alone', async () => {
    const quirky = basic('quirky', SECRET)
    assert.equal((await withProof(await proofFor(), quirky)).json['token_type'], 'DPoP')
    assert.equal((await postToken(server.tokenUrl, GRANT, { authorization: quirky })).json['token_type'], 'bearer')
  })

  test('the metadata advertises dpop_signing_alg_values_supported with the dpop option', async () => {
    const metadata = (await (await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>
    assert.deepEqual(metadata['dpop_signing_alg_values_supported'], [
      'RS256',
      'RS384',
      'RS512',
      'PS256',
      'PS384',
      'PS512',
      'ES256',
      'ES384',
      'ES512',
      'EdDSA',
      'Ed25519',
    ])
    assert.deepEqual(server.dpop.algorithms, metadata['dpop_signing_alg_values_supported'])
  })

  test('faults: invalid-dpop-proof refuses the next N proofs, and only requests with a proof take it', async () => {
    server.faults.add({ type: 'invalid-dpop-proof' }, { times: 2 })
    assert.equal((await postToken(server.tokenUrl, GRANT, { authorization: asSvc })).status, 200)
    assert.equal(server.faults.pending, 2, 'a Bearer request leaves it waiting')
    assert.equal((await withProof(await proofFor(), basic('svc', 'wrong'))).status, 401)
    assert.equal(server.faults.pending, 2, 'a request refused before DPoP leaves it waiting')
    for (let i = 0; i < 2; i++) await refused(await proofFor(), 'the DPoP proof was refused (a scripted fault)')
    assert.equal(server.faults.pending, 0)
    assert.equal((await withProof(await proofFor())).status, 200)
    const entries = server.log.tokenRequests()
    assert.deepEqual(entries.at(-2)?.dpop, { fault: 'invalid-dpop-proof' })
    assert.equal(entries.at(-2)?.fault, undefined)
  })

  test('faults: use-dpop-nonce asks for a nonce though nonces are off; the retry with it passes', async () => {
    server.faults.add({ type: 'use-dpop-nonce' }, { clientId: 'svc' })
    const first = await withProof(await proofFor())
    assert.equal(first.status, 400)
    assert.deepEqual(first.json, {
      error: 'use_dpop_nonce',
      error_description: 'a DPoP nonce is required: sign the proof again with the nonce of the DPoP-Nonce header',
    })
    const nonce = first.headers.get('dpop-nonce')
    assert.equal(nonce, server.dpop.nonce)
    const retry = await withProof(await proofFor({ nonce: nonce as string }))
    assert.equal(retry.status, 200)
    assert.equal(retry.headers.get('dpop-nonce'), null, 'nonces are off again')
    const [refusedEntry, passedEntry] = server.log.tokenRequests()
    assert.deepEqual(refusedEntry?.dpop, { alg: 'ES256', jkt: key.jkt, nonce: 'none', fault: 'use-dpop-nonce' })
    assert.equal(refusedEntry?.error, 'use_dpop_nonce')
    assert.deepEqual(passedEntry?.dpop, { alg: 'ES256', jkt: key.jkt, nonce: 'current' })
    // A forced request whose proof carries the current nonce passes at once.
    server.faults.add({ type: 'use-dpop-nonce' })
    const ready = await withProof(await proofFor({ nonce: server.dpop.nonce }))
    assert.equal(ready.status, 200)
    assert.equal(ready.headers.get('dpop-nonce'), server.dpop.nonce)
  })

  test('faults: a DPoP fault and another fault apply to one request together', async () => {
    server.faults.add({ type: 'token', fields: { extra: 1 } })
    server.faults.add({ type: 'use-dpop-nonce' })
    const response = await withProof(await proofFor())
    assert.equal(response.json['error'], 'use_dpop_nonce')
    const [entry] = server.log.tokenRequests()
    assert.equal(entry?.fault, 'token')
    assert.equal(entry?.dpop?.fault, 'use-dpop-nonce')
  })

  test('the log never holds a proof, an access token or key material besides the thumbprint', async () => {
    const proof = await proofFor()
    const response = await withProof(proof)
    await refused(proof, 'the DPoP proof jti was used before (a replay)')
    const json = JSON.stringify(server.log)
    assert.ok(!json.includes(proof.split('.')[0] as string), 'the proof header')
    assert.ok(!json.includes(proof.split('.')[1] as string), 'the proof payload')
    assert.ok(!json.includes(response.json['access_token'] as string))
    assert.ok(!json.includes(key.jwk.x as string), 'the public key itself')
    assert.ok(json.includes(key.jkt))
  })
})

describe('DPoP at the token endpoint: nonces required', () => {
  const clock = new TestClock()
  let server: ReferenceServer
  let key: ProofKey
  const proofFor = (claims: Record<string, unknown> = {}) => signProof(key, { htm: 'POST', htu: server.tokenUrl, ...claims }, clock.now())
  const withProof = (proof: string) => postToken(server.tokenUrl, GRANT, { authorization: asSvc, headers: { dpop: proof } })

  before(async () => {
    server = await startReferenceServer({ clock, clients, throttle: false, dpop: { nonce: 'required', nonceLifetimeSeconds: 60 } })
    key = await proofKey('ES256')
  })
  after(() => server.close())
  beforeEach(() => server.log.clear())

  test('a proof without a nonce is 400 use_dpop_nonce with DPoP-Nonce; the retry with it passes', async () => {
    const first = await withProof(await proofFor())
    assert.equal(first.status, 400)
    assert.deepEqual(first.json, {
      error: 'use_dpop_nonce',
      error_description: 'a DPoP nonce is required: sign the proof again with the nonce of the DPoP-Nonce header',
    })
    const nonce = first.headers.get('dpop-nonce') as string
    assert.equal(nonce, server.dpop.nonce)
    assert.match(nonce, /^[A-Za-z0-9_-]{22}$/)
    const retry = await withProof(await proofFor({ nonce }))
    assert.equal(retry.status, 200)
    assert.equal(retry.headers.get('dpop-nonce'), nonce)
    assert.deepEqual(
      server.log.tokenRequests().map((entry) => entry.dpop?.nonce),
      ['none', 'current'],
    )
  })

  test('every answer of the token endpoint carries DPoP-Nonce: Bearer requests, errors, faults', async () => {
    const nonce = server.dpop.nonce
    const bearer = await postToken(server.tokenUrl, GRANT, { authorization: asSvc })
    assert.equal(bearer.status, 200)
    assert.equal(bearer.json['token_type'], 'Bearer')
    assert.equal(bearer.headers.get('dpop-nonce'), nonce)
    const wrong = await postToken(server.tokenUrl, GRANT, { authorization: basic('svc', 'wrong') })
    assert.equal(wrong.status, 401)
    assert.equal(wrong.headers.get('dpop-nonce'), nonce)
    assert.equal((await fetch(server.tokenUrl)).headers.get('dpop-nonce'), nonce, '405')
    server.faults.add({ type: 'status', status: 503 })
    assert.equal((await postToken(server.tokenUrl, GRANT, { authorization: asSvc })).headers.get('dpop-nonce'), nonce)
    const resource = await fetch(server.resourceUrl)
    assert.equal(resource.headers.get('dpop-nonce'), null, 'the resource has its own nonce, off here')
  })

  test('a stale nonce is 400 use_dpop_nonce; after a rotation the previous nonce is still taken', async () => {
    const stale = await withProof(await proofFor({ nonce: 'not-a-nonce-of-ours' }))
    assert.equal(stale.status, 400)
    assert.deepEqual(stale.json, {
      error: 'use_dpop_nonce',
      error_description: 'the DPoP nonce is not current: sign the proof again with the nonce of the DPoP-Nonce header',
    })
    const old = server.dpop.nonce
    const fresh = server.dpop.rotateNonce()
    assert.notEqual(fresh, old)
    assert.equal(server.dpop.nonce, fresh)
    const withOld = await withProof(await proofFor({ nonce: old }))
    assert.equal(withOld.status, 200, 'the previous nonce is taken')
    assert.equal(withOld.headers.get('dpop-nonce'), fresh, 'and the answer says the new one')
    assert.equal((await withProof(await proofFor({ nonce: fresh }))).status, 200)
    server.dpop.rotateNonce()
    assert.equal((await withProof(await proofFor({ nonce: old }))).json['error'], 'use_dpop_nonce', 'two rotations ago: stale')
    assert.deepEqual(
      server.log.tokenRequests().map((entry) => entry.dpop?.nonce),
      ['stale', 'previous', 'current', 'stale'],
    )
  })

  test('rotateNonce({ keepPrevious: false }) makes the replaced nonce stale at once', async () => {
    const old = server.dpop.nonce
    server.dpop.rotateNonce({ keepPrevious: false })
    const response = await withProof(await proofFor({ nonce: old }))
    assert.equal(response.json['error'], 'use_dpop_nonce')
    assert.equal(response.headers.get('dpop-nonce'), server.dpop.nonce)
    assert.throws(() => server.dpop.rotateNonce({ keepPrevious: 'no' as unknown as boolean }), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_VALUE',
      message: /options\.keepPrevious/,
    })
  })

  test('the nonce is replaced after nonceLifetimeSeconds by the clock; the replaced one lasts one lifetime more', async () => {
    const first = server.dpop.nonce
    clock.advance(60_000)
    const second = server.dpop.nonce
    assert.notEqual(second, first)
    assert.equal((await withProof(await proofFor({ nonce: first }))).status, 200)
    clock.advance(120_000)
    const third = server.dpop.nonce
    assert.notEqual(third, second)
    assert.equal((await withProof(await proofFor({ nonce: second }))).json['error'], 'use_dpop_nonce', 'two lifetimes on')
  })

  test('the nonce is checked last: a bad proof with no nonce is invalid_dpop_proof, not use_dpop_nonce', async () => {
    const response = await withProof(await proofFor({ htm: 'GET' }))
    assert.equal(response.json['error'], 'invalid_dpop_proof')
  })
})

describe('DPoP options', () => {
  const bad: [unknown, RegExp][] = [
    ['yes', /^options\.dpop must be/],
    [{ nonce: 'on' }, /^options\.dpop\.nonce must be 'off' or 'required'/],
    [{ resourceNonce: 1 }, /^options\.dpop\.resourceNonce must be a boolean/],
    [{ nonceLifetimeSeconds: 0 }, /^options\.dpop\.nonceLifetimeSeconds must be a positive integer/],
    [{ proofLifetimeSeconds: 1.5 }, /^options\.dpop\.proofLifetimeSeconds must be a positive integer/],
    [{ clockSkewSeconds: -1 }, /^options\.dpop\.clockSkewSeconds must be a non-negative integer/],
    [{ maxJtis: 0 }, /^options\.dpop\.maxJtis must be a positive integer/],
    [{ algorithms: [] }, /^options\.dpop\.algorithms must be a non-empty array of /],
    [{ algorithms: ['HS256'] }, /^options\.dpop\.algorithms must be a non-empty array of /],
    [{ algorithms: ['none'] }, /^options\.dpop\.algorithms must be a non-empty array of /],
  ]
  for (const [dpop, message] of bad) {
    test(`refused: ${JSON.stringify(dpop)}`, async () => {
      await assert.rejects(startReferenceServer({ clients, dpop: dpop as never }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message })
    })
  }

  test('dpopBoundAccessTokens must be a boolean', async () => {
    await assert.rejects(
      startReferenceServer({ clients: [{ clientId: 'x', clientSecret: 'y', scopes: [], dpopBoundAccessTokens: 'yes' as never }] }),
      { name: 'TypeError', message: /^options\.clients\[0\]\.dpopBoundAccessTokens must be a boolean/ },
    )
  })

  test('algorithms restricts what is taken and advertised; proofLifetimeSeconds and clockSkewSeconds the iat window', async () => {
    const clock = new TestClock()
    const server = await startReferenceServer({
      clock,
      clients,
      dpop: { algorithms: ['ES256', 'ES256'], proofLifetimeSeconds: 10, clockSkewSeconds: 0 },
    })
    try {
      const metadata = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
      assert.deepEqual(metadata['dpop_signing_alg_values_supported'], ['ES256'])
      const post = async (signer: ProofKey, iat = clock.now() / 1000) =>
        postToken(server.tokenUrl, GRANT, {
          authorization: asSvc,
          headers: { dpop: await signProof(signer, { htm: 'POST', htu: server.tokenUrl, iat }, clock.now()) },
        })
      const eddsa = await post(await proofKey('EdDSA'))
      assert.deepEqual(eddsa.json, {
        error: 'invalid_dpop_proof',
        error_description: 'the DPoP proof alg is not one the server accepts (dpop_signing_alg_values_supported)',
      })
      const es256 = await proofKey('ES256')
      assert.equal((await post(es256)).status, 200)
      assert.equal((await post(es256, clock.now() / 1000 + 1)).json['error_description'], 'the DPoP proof was issued in the future (iat)')
      assert.equal((await post(es256, clock.now() / 1000 - 10)).status, 200)
      assert.equal(
        (await post(es256, clock.now() / 1000 - 11)).json['error_description'],
        'the DPoP proof is too old (iat more than 10 seconds ago)',
      )
    } finally {
      await server.close()
    }
  })

  test('without the dpop option DPoP is accepted, and advertised in the metadata', async () => {
    const clock = new TestClock()
    const server = await startReferenceServer({ clock, clients })
    try {
      const metadata = (await (await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>
      assert.deepEqual(metadata['dpop_signing_alg_values_supported'], server.dpop.algorithms)
      const key = await proofKey('ES256')
      const proof = await signProof(key, { htm: 'POST', htu: server.tokenUrl }, clock.now())
      const response = await postToken(server.tokenUrl, GRANT, { authorization: asSvc, headers: { dpop: proof } })
      assert.equal(response.json['token_type'], 'DPoP')
    } finally {
      await server.close()
    }
  })
})
