import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { inspect } from 'node:util'
import { after, test } from 'node:test'
import { exportJWK } from 'jose'
import { cacheKeyPrefix } from '../../src/cache/cache-key.js'
import { AccessToken, DiscoveryError, InvalidResponseError, OAuthError, sharedTokenCache, TimeoutError, TokenClient, type TokenClientOptions } from '../../src/index.js'
import { athOf, dpopToken, nonceError, dpopServersClosedAfter, verifyProof, type DpopResponder } from '../helpers/dpop-server.js'
import { memoryStore } from '../helpers/memory-store.js'

const SECRET = 'a-client-secret-of-at-least-32-bytes-0123456789'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const server = dpopServersClosedAfter()
const closers: Array<() => Promise<void>> = []
after(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

/** Options to override, `undefined` included (to leave one out: `dpop: undefined`, `clientSecret: undefined`). */
type Overrides = { [K in keyof TokenClientOptions]?: TokenClientOptions[K] | undefined }

function client(options: Overrides): TokenClient {
  const made = new TokenClient({ clientId: 'svc', clientSecret: SECRET, dpop: true, retry: { minDelayMs: 1, maxDelayMs: 2 }, ...options } as TokenClientOptions)
  closers.push(() => made.close())
  return made
}

test('a token request carries a DPoP proof: typ, alg, the public jwk only; htm, htu without query, iat, a UUID jti, no nonce', async () => {
  const as = await server(() => dpopToken('tok-1'))
  const tokenUrl = `${as.origin}/oauth/token?tenant=a`
  const c = client({ tokenUrl })
  const before = Math.floor(Date.now() / 1000)
  const token = await c.getToken('api:read')
  assert.equal(token.tokenType, 'DPoP')
  assert.equal(token.authorizationHeader(), 'DPoP tok-1')
  assert.equal(as.seen.length, 1)
  const proof = as.seen[0]!.proof!
  assert.equal(proof.header.typ, 'dpop+jwt')
  assert.equal(proof.header.alg, 'ES256')
  assert.deepEqual(Object.keys(proof.header.jwk!).sort(), ['crv', 'kty', 'x', 'y'])
  assert.equal(proof.payload.htm, 'POST')
  assert.equal(proof.payload.htu, `${as.origin}/oauth/token`)
  assert.ok(proof.payload.iat! >= before - 1 && proof.payload.iat! <= before + 2)
  assert.match(String(proof.payload.jti), UUID)
  assert.equal(proof.payload.nonce, undefined)
  assert.equal(proof.payload.ath, undefined, 'no ath at the token endpoint')
  assert.equal(proof.jkt, c.options.dpop?.keyThumbprint)
  assert.deepEqual(c.options.dpop, { algorithm: 'ES256', keyThumbprint: proof.jkt })
})

test('use_dpop_nonce: one immediate retry with the nonce, a new proof and a new assertion; not counted against retry.retries', async () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const as = await server((request) => (request.proof?.payload.nonce === 'n-1' ? dpopToken() : nonceError('n-1')))
  const c = client({ tokenUrl: `${as.origin}/token`, clientSecret: undefined, authMethod: 'private_key_jwt', privateKey, retry: false })
  const token = await c.getToken('api:read')
  assert.equal(token.tokenType, 'DPoP')
  assert.equal(as.seen.length, 2)
  const [first, second] = as.seen
  assert.equal(first!.proof!.payload.nonce, undefined)
  assert.equal(second!.proof!.payload.nonce, 'n-1')
  assert.notEqual(first!.proof!.payload.jti, second!.proof!.payload.jti)
  const assertions = as.seen.map((request) => request.form.get('client_assertion'))
  assert.ok(assertions[0] && assertions[1] && assertions[0] !== assertions[1], 'a new client assertion for the nonce retry')
  // The nonce is kept for the origin and used at once next time.
  await c.getToken('api:read', { forceRefresh: true })
  assert.equal(as.seen.length, 3)
  assert.equal(as.seen[2]!.proof!.payload.nonce, 'n-1')
})

test('a second use_dpop_nonce in a row is the OAuth error it is: no loop', async () => {
  const as = await server((_request, index) => nonceError(`n-${index}`))
  const c = client({ tokenUrl: `${as.origin}/token` })
  const error = await c.getToken('api:read').then(() => undefined, (caught: unknown) => caught)
  assert.ok(error instanceof OAuthError)
  assert.equal(error.error, 'use_dpop_nonce')
  assert.equal(as.seen.length, 2)
  assert.equal(as.seen[1]!.proof!.payload.nonce, 'n-0')
})

test('use_dpop_nonce without a usable DPoP-Nonce (none, a space, too long) fails at once; such nonces are never kept', async () => {
  for (const nonce of [undefined, 'two words', 'x'.repeat(1025), 'quote"d']) {
    const as = await server(() => ({ status: 400, headers: nonce === undefined ? {} : { 'dpop-nonce': nonce }, body: { error: 'use_dpop_nonce' } }))
    const c = client({ tokenUrl: `${as.origin}/token` })
    await assert.rejects(c.getToken('a'), (error: unknown) => error instanceof OAuthError && error.error === 'use_dpop_nonce')
    assert.equal(as.seen.length, 1, String(nonce))
  }
  // A nonce of 1024 characters is taken.
  const long = 'n'.repeat(1024)
  const as = await server((request) => (request.proof?.payload.nonce === long ? dpopToken() : nonceError(long)))
  await client({ tokenUrl: `${as.origin}/token` }).getToken('a')
  assert.equal(as.seen.length, 2)
})

test('retries: a new proof per attempt, and the nonce of a 503 (any response) is used by the next', async () => {
  const as = await server((_request, index) => (index === 0 ? { status: 503, headers: { 'dpop-nonce': 'from-503' }, body: 'down' } : dpopToken(undefined, {})))
  const c = client({ tokenUrl: `${as.origin}/token` })
  await c.getToken('a')
  assert.equal(as.seen.length, 2)
  assert.notEqual(as.seen[0]!.proof!.payload.jti, as.seen[1]!.proof!.payload.jti)
  assert.equal(as.seen[1]!.proof!.payload.nonce, 'from-503')
  // A success's nonce replaces the kept one.
  const as2 = await server((_request, index) => ({ ...dpopToken(), headers: { 'dpop-nonce': `ok-${index}` } }))
  const c2 = client({ tokenUrl: `${as2.origin}/token` })
  await c2.getToken('a')
  await c2.getToken('a', { forceRefresh: true })
  assert.deepEqual(as2.seen.map((request) => request.proof!.payload.nonce), [undefined, 'ok-0'])
})

test('the nonce retry stays within retry.deadlineMs', async () => {
  const as = await server((_request, index) => (index === 0 ? nonceError('n') : { ...dpopToken(), delayMs: 400 }))
  const c = client({ tokenUrl: `${as.origin}/token`, retry: { deadlineMs: 150, attemptTimeoutMs: 10_000, minDelayMs: 1, maxDelayMs: 2 } })
  await assert.rejects(c.getToken('a'), (error: unknown) => error instanceof TimeoutError && error.limit === 'deadline')
  assert.equal(as.seen.length, 2)
})

test('token types: DPoP (any case) with dpop; DPoP without dpop and Bearer to a DPoP request are INVALID_RESPONSE; acceptBearer takes Bearer', async () => {
  const as = await server((request) => ({ body: { access_token: 'tok', token_type: request.form.get('scope') === 'bearer' ? 'Bearer' : 'dpop', expires_in: 60 } }))
  assert.equal((await client({ tokenUrl: `${as.origin}/token` }).getToken('x')).tokenType, 'DPoP')
  const plain = client({ tokenUrl: `${as.origin}/token`, dpop: undefined })
  await assert.rejects(plain.getToken('x'), (error: unknown) => error instanceof InvalidResponseError && /token_type "DPoP" answers a request without DPoP/.test(error.message))
  assert.equal(as.seen.at(-1)!.proof, undefined, 'no proof without dpop')
  const strict = client({ tokenUrl: `${as.origin}/token` })
  await assert.rejects(strict.getToken('bearer'), (error: unknown) => {
    assert.ok(error instanceof InvalidResponseError)
    assert.match(error.message, /dpop: \{ acceptBearer: true \}/)
    assert.match(error.message, /whoever holds it/)
    return true
  })
  const lenient = client({ tokenUrl: `${as.origin}/token`, dpop: { acceptBearer: true } })
  const token = await lenient.getToken('bearer')
  assert.equal(token.tokenType, 'Bearer')
  assert.deepEqual(await lenient.dpopHeaders(token, { method: 'GET', url: 'https://api.example.com/' }), { authorization: 'Bearer tok' })
  assert.equal(lenient.options.dpop?.acceptBearer, true)
})

test('cache key: the prefix holds the key thumbprint; two keys never share a token', () => {
  const a = cacheKeyPrefix('https://id/token', 'svc', 'client_secret_basic', undefined, undefined, { thumbprint: 'A', acceptBearer: false })
  const b = cacheKeyPrefix('https://id/token', 'svc', 'client_secret_basic', undefined, undefined, { thumbprint: 'B', acceptBearer: false })
  const bearerOk = cacheKeyPrefix('https://id/token', 'svc', 'client_secret_basic', undefined, undefined, { thumbprint: 'A', acceptBearer: true })
  const none = cacheKeyPrefix('https://id/token', 'svc', 'client_secret_basic')
  assert.equal(new Set([a, b, bearerOk, none]).size, 4)
  assert.match(a, /jkt=A/)
})

test('shared cache: a key made in memory is refused naming sharedCache; processes with the same kept key share, another key does not', async () => {
  const store = memoryStore()
  assert.throws(
    () => new TokenClient({ tokenUrl: 'https://id.example.com/token', clientId: 'svc', clientSecret: SECRET, dpop: true, sharedCache: sharedTokenCache(store) }),
    (error: unknown) => error instanceof TypeError && /^sharedCache /.test(error.message) && /a key made in memory cannot be shared: give dpop.privateKey, the same in every process/.test(error.message),
  )
  const as = await server(() => dpopToken())
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
  const one = client({ tokenUrl: `${as.origin}/token`, dpop: { privateKey: key }, sharedCache: sharedTokenCache(store) })
  const two = client({ tokenUrl: `${as.origin}/token`, dpop: { privateKey: key }, sharedCache: sharedTokenCache(store) })
  const three = client({ tokenUrl: `${as.origin}/token`, dpop: { privateKey: other }, sharedCache: sharedTokenCache(store) })
  const first = await one.getToken('a')
  const second = await two.getToken('a')
  assert.equal(second.accessToken, first.accessToken)
  assert.equal(second.tokenType, 'DPoP')
  assert.equal(as.seen.length, 1)
  const third = await three.getToken('a')
  assert.notEqual(third.accessToken, first.accessToken)
  assert.equal(as.seen.length, 2)
  assert.notEqual(as.seen[0]!.proof!.jkt, as.seen[1]!.proof!.jkt)
})

async function metadataServer(algs: unknown) {
  const as = await server((request) => {
    if (request.url.startsWith('/.well-known/')) {
      return {
        body: {
          issuer: as.origin,
          token_endpoint: `${as.origin}/token`,
          ...(algs !== undefined && { dpop_signing_alg_values_supported: algs }),
        },
      }
    }
    return dpopToken()
  })
  return as
}

test('discovery: dpop: true makes a key of the first listed algorithm the client supports, else ES256', async () => {
  const listed = await metadataServer(['HS256', 'EdDSA', 'ES256'])
  const c = client({ issuer: listed.origin })
  await c.getToken('a')
  const proof = listed.seen.find((request) => request.url === '/token')!.proof!
  assert.equal(proof.header.alg, 'EdDSA')
  assert.equal(c.options.dpop?.algorithm, 'EdDSA')
  assert.equal(c.options.dpop?.keyThumbprint, proof.jkt)
  const unlisted = await metadataServer(undefined)
  const d = client({ issuer: unlisted.origin })
  await d.getToken('a')
  assert.equal(unlisted.seen.find((request) => request.url === '/token')!.proof!.header.alg, 'ES256')
})

test('discovery: a key or algorithm the metadata does not list, or a list of none the client supports, is a DISCOVERY_ERROR and no token request', async () => {
  const rows: Array<[unknown, Overrides, RegExp]> = [
    [['PS256'], { dpop: { privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey } }, /does not list ES256, the algorithm of dpop\.privateKey/],
    [['ES256'], { dpop: { signingAlgorithm: 'EdDSA' } }, /does not list EdDSA, the algorithm of dpop\.signingAlgorithm/],
    [['HS256', 'none'], { dpop: true }, /lists none of the DPoP algorithms/],
    ['ES256', { dpop: true }, /not a list of strings/],
  ]
  for (const [algs, options, message] of rows) {
    const as = await metadataServer(algs)
    const c = client({ issuer: as.origin, ...options })
    await assert.rejects(c.getToken('a'), (error: unknown) => error instanceof DiscoveryError && message.test(error.message))
    assert.equal(as.seen.filter((request) => request.url === '/token').length, 0)
  }
  // A client without dpop never reads the list.
  const as = await metadataServer('ES256')
  await assert.rejects(client({ issuer: as.origin, dpop: undefined }).getToken('a'), InvalidResponseError) // the server answers DPoP tokens
})

test('every client-authentication method works with dpop (secret basic and post, client_secret_jwt, private_key_jwt)', async () => {
  const as = await server((request) => (request.proof === undefined ? { status: 400, body: { error: 'invalid_dpop_proof' } } : dpopToken()))
  const { privateKey } = generateKeyPairSync('ed25519')
  for (const options of [
    { authMethod: 'client_secret_basic' },
    { authMethod: 'client_secret_post' },
    { authMethod: 'client_secret_jwt' },
    { authMethod: 'private_key_jwt', clientSecret: undefined, privateKey },
  ] as Overrides[]) {
    const token = await client({ tokenUrl: `${as.origin}/token`, ...options }).getToken('a')
    assert.equal(token.tokenType, 'DPoP', String(options.authMethod))
  }
})

test('keys: ES384, ES512, EdDSA, RS256, PS256 made in memory; kept PEM, JWK and KeyObject keys imported; the proof verifies', async () => {
  const as = await server(() => dpopToken())
  for (const signingAlgorithm of ['ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'PS256'] as const) {
    await client({ tokenUrl: `${as.origin}/token`, dpop: { signingAlgorithm } }).getToken('a')
    assert.equal(as.seen.at(-1)!.proof!.header.alg, signingAlgorithm)
  }
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  const inputs = [
    [rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 'PS256', 'PS256'],
    [rsa.privateKey, undefined, 'RS256'],
    [await exportJWK(ec.privateKey), undefined, 'ES384'],
  ] as const
  for (const [privateKey, signingAlgorithm, alg] of inputs) {
    const c = client({ tokenUrl: `${as.origin}/token`, dpop: { privateKey, ...(signingAlgorithm && { signingAlgorithm }) } })
    await c.getToken('a')
    assert.equal(as.seen.at(-1)!.proof!.header.alg, alg)
    assert.equal(as.seen.at(-1)!.proof!.jkt, c.options.dpop?.keyThumbprint)
  }
})

test('bad dpop options are TypeErrors naming the option', () => {
  const base = { tokenUrl: 'https://id.example.com/token', clientId: 'svc', clientSecret: SECRET }
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const rows: Array<[unknown, RegExp]> = [
    ['yes', /^dpop must be true or an object/],
    [1, /^dpop must be true or an object/],
    [null, /^dpop must be true or an object/],
    [[], /^dpop must be true or an object/],
    [{ privateKye: ec.privateKey }, /^dpop\.privateKye is not a TokenClient option; did you mean dpop\.privateKey\?/],
    [{ alg: 'ES256' }, /^dpop\.alg is not a TokenClient option; did you mean dpop\.signingAlgorithm\?/],
    [{ acceptBearer: 'yes' }, /^dpop\.acceptBearer must be a boolean/],
    [{ signingAlgorithm: 'HS256' }, /^dpop\.signingAlgorithm must be one of/],
    [{ signingAlgorithm: 'RS384' }, /^dpop\.signingAlgorithm must be one of/],
    [{ privateKey: ec.publicKey }, /^dpop\.privateKey is a public KeyObject/],
    [{ privateKey: ec.publicKey.export({ format: 'pem', type: 'spki' }).toString() }, /^dpop\.privateKey is a public key PEM/],
    [{ privateKey: 'not a key' }, /^dpop\.privateKey must be a PEM private key/],
    [{ privateKey: ec.privateKey, signingAlgorithm: 'ES384' }, /^dpop\.signingAlgorithm 'ES384' does not fit dpop\.privateKey/],
    [{ privateKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey }, /^dpop\.privateKey is an RSA key of 1024 bits/],
  ]
  for (const [dpop, message] of rows) {
    assert.throws(() => new TokenClient({ ...base, dpop } as TokenClientOptions), (error: unknown) => {
      assert.ok(error instanceof TypeError, String(error))
      assert.equal((error as TypeError & { code?: string }).code, 'ERR_INVALID_ARG_VALUE')
      assert.match(error.message, message)
      return true
    }, JSON.stringify(dpop))
  }
  // acceptBearer at the top level is pointed to its place.
  assert.throws(() => new TokenClient({ ...base, acceptBearer: true } as unknown as TokenClientOptions), /did you mean dpop\.acceptBearer\?/)
  // dpop: false is no DPoP.
  const off = new TokenClient({ ...base, dpop: false })
  assert.equal(off.options.dpop, undefined)
  void off.close()
})

test('nothing secret in inspect(), JSON.stringify(), options or messages', async () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = await exportJWK(privateKey)
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  const c = client({ tokenUrl: 'https://id.example.com/token', dpop: { privateKey: jwk } })
  const shown = [inspect(c, { depth: 10 }), JSON.stringify(c), String(c), inspect(c.options, { depth: 10 }), JSON.stringify(c.options)].join('\n')
  assert.ok(!shown.includes(jwk.d!), 'no private member')
  assert.ok(!shown.includes(pem.split('\n')[1]!), 'no PEM')
  assert.deepEqual(Object.keys(c.options.dpop!).sort(), ['algorithm', 'keyThumbprint'])
  // A malformed key's message names the option but never quotes the key.
  try {
    new TokenClient({ tokenUrl: 'https://id.example.com/token', clientId: 'svc', clientSecret: SECRET, dpop: { privateKey: { ...jwk, x: 'AAAA' } } })
    assert.fail('should throw')
  } catch (error) {
    assert.match((error as Error).message, /^dpop\.privateKey/)
    assert.ok(!(error as Error).message.includes(jwk.d!))
    assert.equal((error as Error).cause, undefined)
  }
})

test('dpopHeaders(): DPoP <token> and a proof for this request (htm, htu without query, ath, the resource nonce)', async () => {
  const as = await server(() => dpopToken('tok-9'))
  const c = client({ tokenUrl: `${as.origin}/token` })
  const token = await c.getToken('a')
  const headers = await c.dpopHeaders(token, { method: 'get', url: 'https://api.example.com/orders?page=2#top' })
  assert.equal(headers.authorization, 'DPoP tok-9')
  const proof = await verifyProof(headers.dpop!)
  assert.equal(proof.payload.htm, 'GET')
  assert.equal(proof.payload.htu, 'https://api.example.com/orders')
  assert.equal(proof.payload.ath, athOf('tok-9'))
  assert.equal(proof.payload.nonce, undefined)
  const withNonce = await verifyProof((await c.dpopHeaders(token, { method: 'PATCH', url: new URL('https://api.example.com/x'), nonce: 'rs-1' })).dpop!)
  assert.equal(withNonce.payload.htm, 'PATCH')
  assert.equal(withNonce.payload.nonce, 'rs-1')
  // Kept for the origin, never for another origin, never sent to the authorization server.
  assert.equal((await verifyProof((await c.dpopHeaders(token, { method: 'GET', url: 'https://api.example.com/y' })).dpop!)).payload.nonce, 'rs-1')
  assert.equal((await verifyProof((await c.dpopHeaders(token, { method: 'GET', url: 'https://other.example.com/y' })).dpop!)).payload.nonce, undefined)
  await assert.rejects(c.dpopHeaders(token, { method: 'GET', url: 'ftp://x/' }), /^TypeError: url must be an absolute http\(s\) URL/)
  await assert.rejects(c.dpopHeaders(token, { method: 'GET', url: 'https://x/', nonce: 'a b' }), /^TypeError: nonce must be a DPoP-Nonce value/)
  await assert.rejects(c.dpopHeaders(token, { method: 'G T', url: 'https://x/' }), /^TypeError: method must be an HTTP method/)
  const plain = client({ tokenUrl: `${as.origin}/token`, dpop: undefined })
  await assert.rejects(plain.dpopHeaders(new AccessToken('t', new Date(Date.now() + 60_000), ''), { method: 'GET', url: 'https://x/' }), /^TypeError: dpop is not set on this client/)
})

test('an AccessToken record keeps its DPoP type', () => {
  const token = new AccessToken('abc', new Date(Date.now() + 60_000), 'a', 'DPoP')
  assert.equal(AccessToken.fromRecord(token.toRecord()).tokenType, 'DPoP')
  assert.equal(token.authorizationHeader(), 'DPoP abc')
  assert.match(String(token), /^AccessToken\(DPoP,/)
})
