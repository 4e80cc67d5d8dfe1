// private_key_jwt and client_secret_jwt (RFC 7523 §2.2) from TokenClient against the reference server:
// every key type and encoding privateKey takes, the assertion's claims and headers, a new jti for each
// attempt, and which cache key a key gets. Keys are generated here, with node:crypto.
import assert from 'node:assert/strict'
import { createHash, createPrivateKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { inspect } from 'node:util'
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, type JWK } from 'jose'
import { TokenClient, type TokenClientOptions } from '../../src/index.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { jwkThumbprint } from '../../src/auth/signing-key.js'
import { cacheKeyPrefix } from '../../src/cache/cache-key.js'
import { selfSignedCertificate } from '../helpers/tls-server.js'

const JWT_SECRET = 'a-jwt-secret-of-at-least-32-bytes-0123456789'
const pairs = {
  ec256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ec384: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  ec521: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ed: generateKeyPairSync('ed25519'),
}
const pem = (key: KeyObject, type: 'pkcs8' | 'sec1' | 'pkcs1') => key.export({ format: 'pem', type }) as string
const privateJwk = (key: KeyObject, extra: Partial<JWK> = {}) => ({ ...(key.export({ format: 'jwk' }) as JWK), ...extra })

let server: ReferenceServer
const clients: TokenClient[] = []
function client(options: Partial<TokenClientOptions>): TokenClient {
  const made = new TokenClient({ tokenUrl: server.tokenUrl, clientId: 'es', retry: { minDelayMs: 1, maxDelayMs: 2 }, ...options })
  clients.push(made)
  return made
}

before(async () => {
  const jwks = async (pair: { publicKey: KeyObject }, kid?: string) => ({
    keys: [{ ...(await exportJWK(pair.publicKey)), ...(kid !== undefined && { kid }) }],
  })
  server = await startReferenceServer({
    throttle: false,
    clients: [
      { clientId: 'es', jwks: await jwks(pairs.ec256, 'es-1'), scopes: ['api:read'] },
      { clientId: 'es384', jwks: await jwks(pairs.ec384), scopes: ['api:read'] },
      { clientId: 'es521', jwks: await jwks(pairs.ec521), scopes: ['api:read'] },
      { clientId: 'rsa', jwks: await jwks(pairs.rsa), scopes: ['api:read'] },
      { clientId: 'ed', jwks: await jwks(pairs.ed), scopes: ['api:read'] },
      { clientId: 'hmac', jwtSecret: JWT_SECRET, scopes: ['api:read'] },
    ],
  })
})
after(async () => {
  await Promise.all(clients.map((made) => made.close()))
  await server.close()
})

describe('private_key_jwt: each algorithm and key encoding gets a token', () => {
  const cases: [string, string, () => NonNullable<TokenClientOptions['privateKey']>, string?][] = [
    ['es', 'ES256', () => pem(pairs.ec256.privateKey, 'pkcs8')],
    ['es', 'ES256', () => pem(pairs.ec256.privateKey, 'sec1')],
    ['es', 'ES256', () => privateJwk(pairs.ec256.privateKey, { kid: 'es-1' })],
    ['es', 'ES256', () => pairs.ec256.privateKey],
    ['es384', 'ES384', () => pem(pairs.ec384.privateKey, 'sec1')],
    ['es521', 'ES512', () => privateJwk(pairs.ec521.privateKey)],
    ['rsa', 'RS256', () => pem(pairs.rsa.privateKey, 'pkcs1')],
    ['rsa', 'RS256', () => pem(pairs.rsa.privateKey, 'pkcs8')],
    ['rsa', 'PS256', () => privateJwk(pairs.rsa.privateKey), 'PS256'],
    ['rsa', 'PS256', () => pairs.rsa.privateKey, 'PS256'],
    ['ed', 'EdDSA', () => pem(pairs.ed.privateKey, 'pkcs8')],
    ['ed', 'EdDSA', () => pairs.ed.privateKey],
  ]
  for (const [clientId, alg, key, signingAlgorithm] of cases) {
    const given = key()
    const form = typeof given === 'string' ? given.split('\n')[0] : given instanceof Object && 'kty' in given ? 'JWK' : 'KeyObject'
    test(`${alg} for ${clientId}, key as ${form}`, async () => {
      const made = client({ clientId, authMethod: 'private_key_jwt', privateKey: given, ...(signingAlgorithm && { signingAlgorithm: signingAlgorithm as 'PS256' }) })
      const token = await made.getToken('api:read')
      assert.equal(token.scope, 'api:read')
      const entry = server.log.tokenRequests({ clientId }).at(-1)
      assert.equal(entry?.authMethod, 'private_key_jwt')
      assert.equal(entry?.clientAssertion?.alg, alg)
      assert.deepEqual(entry?.params.client_id, [clientId])
      assert.equal(made.options.signingAlgorithm, alg)
    })
  }

  test("the JWK's kid is the default keyId; keyId replaces it", async () => {
    await client({ authMethod: 'private_key_jwt', privateKey: privateJwk(pairs.ec256.privateKey, { kid: 'es-1' }) }).getToken('api:read')
    assert.equal(server.log.tokenRequests({ clientId: 'es' }).at(-1)?.clientAssertion?.kid, 'es-1')
    await client({ authMethod: 'private_key_jwt', privateKey: pairs.ec256.privateKey, keyId: 'es-1' }).getToken('api:read')
    assert.equal(server.log.tokenRequests({ clientId: 'es' }).at(-1)?.clientAssertion?.kid, 'es-1')
  })
})

test('client_secret_jwt: HS256 keyed by the secret gets a token, and the secret is never sent', async () => {
  const made = client({ clientId: 'hmac', clientSecret: JWT_SECRET, authMethod: 'client_secret_jwt' })
  const token = await made.getToken('api:read')
  assert.equal(token.scope, 'api:read')
  const entry = server.log.tokenRequests({ clientId: 'hmac' }).at(-1)
  assert.equal(entry?.authMethod, 'client_secret_jwt')
  assert.equal(entry?.clientAssertion?.alg, 'HS256')
  assert.equal(entry?.params.client_secret, undefined)
})

test('a retry sends a new assertion: the server, which refuses replayed jtis, takes it', async () => {
  // The first attempt is verified (its jti goes in the replay cache), then stalls mid-body past the
  // attempt timeout; the retry is verified again, and a reused jti would be invalid_client, final.
  server.faults.add({ type: 'delay', ms: 2_000, when: 'body' }, { times: 1, clientId: 'es' })
  const retries: unknown[] = []
  const made = client({
    authMethod: 'private_key_jwt',
    privateKey: pairs.ec256.privateKey,
    retry: { minDelayMs: 1, maxDelayMs: 2, attemptTimeoutMs: 300, onRetry: (event) => retries.push(event.error.code) },
  })
  const token = await made.getToken('api:read')
  assert.equal(token.scope, 'api:read')
  assert.deepEqual(retries, ['TIMEOUT'])
  const [first, second] = server.log.tokenRequests({ clientId: 'es' }).slice(-2)
  assert.equal(first?.status, 200, 'the first attempt was verified and answered before it stalled')
  assert.equal(second?.status, 200)
})

test('client_secret_jwt retries with a new assertion too', async () => {
  server.faults.add({ type: 'delay', ms: 2_000, when: 'body' }, { times: 1, clientId: 'hmac' })
  const made = client({
    clientId: 'hmac',
    clientSecret: JWT_SECRET,
    authMethod: 'client_secret_jwt',
    retry: { minDelayMs: 1, maxDelayMs: 2, attemptTimeoutMs: 300 },
  })
  assert.equal((await made.getToken('api:read')).scope, 'api:read')
})

/** A token endpoint that keeps every body, answers 503 first, then a token. */
async function capturingServer(): Promise<{ url: string; bodies: URLSearchParams[]; close(): Promise<void> }> {
  const bodies: URLSearchParams[] = []
  const http: Server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      bodies.push(new URLSearchParams(body))
      if (bodies.length === 1) {
        res.writeHead(503).end()
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ access_token: 'tok', token_type: 'Bearer', expires_in: 3600 }))
    })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const address = http.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}/oauth2/token?tenant=x`,
    bodies,
    close: () => new Promise((resolve) => http.close(() => resolve())),
  }
}

const certificate = certificateFixture()
test('each attempt signs its own assertion: claims, headers, a new jti, x5t#S256 from the certificate', {
  skip: typeof certificate === 'string' ? certificate : false,
}, async () => {
  assert.ok(typeof certificate !== 'string')
  const capture = await capturingServer()
  try {
    const made = client({
      tokenUrl: capture.url,
      clientId: 'orders',
      authMethod: 'private_key_jwt',
      privateKey: certificate.key,
      keyId: 'k-2025',
      certificate: certificate.pem,
    })
    const before = Math.floor(Date.now() / 1000)
    await made.getToken('api:read')
    assert.equal(capture.bodies.length, 2)
    const [first, second] = capture.bodies.map((body) => {
      assert.equal(body.get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
      assert.equal(body.get('client_id'), 'orders')
      assert.equal(body.get('grant_type'), 'client_credentials')
      const jwt = body.get('client_assertion') ?? ''
      return { header: decodeProtectedHeader(jwt), claims: decodeJwt(jwt) }
    })
    assert.ok(first && second)
    assert.notEqual(first.claims.jti, second.claims.jti)
    for (const { header, claims } of [first, second]) {
      assert.equal(header.alg, 'ES256')
      assert.equal(header.kid, 'k-2025')
      assert.equal(header['x5t#S256'], certificate.x5tS256)
      assert.equal(claims.iss, 'orders')
      assert.equal(claims.sub, 'orders')
      assert.equal(claims.aud, capture.url, 'aud is the token endpoint URL, as given')
      assert.ok((claims.iat ?? 0) >= before && (claims.iat ?? 0) <= before + 5)
      assert.equal(claims.exp, (claims.iat ?? 0) + 60)
      assert.match(String(claims.jti), /^[0-9a-f-]{36}$/)
    }
  } finally {
    await capture.close()
  }
})

describe('cache keys', () => {
  test('two keys of one client id give two cache keys, named by the public key thumbprint', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const a = client({ authMethod: 'private_key_jwt', privateKey: pairs.ec256.privateKey })
    const b = client({ authMethod: 'private_key_jwt', privateKey: other.privateKey })
    assert.notEqual(a.options.keyThumbprint, b.options.keyThumbprint)
    assert.equal(a.options.keyThumbprint, await calculateJwkThumbprint(await exportJWK(pairs.ec256.publicKey)))
    const prefix = (thumbprint?: string) => cacheKeyPrefix(server.tokenUrl, 'es', 'private_key_jwt', thumbprint)
    assert.notEqual(prefix(a.options.keyThumbprint), prefix(b.options.keyThumbprint))
    assert.ok(!prefix(a.options.keyThumbprint).includes(pem(pairs.ec256.privateKey, 'pkcs8').split('\n')[1] ?? 'x'))
  })

  test('the thumbprint written here agrees with jose for every key type', async () => {
    for (const pair of Object.values(pairs)) {
      const jwk = pair.publicKey.export({ format: 'jwk' })
      assert.equal(jwkThumbprint(jwk), await calculateJwkThumbprint(await exportJWK(pair.publicKey)))
    }
  })
})

/** A self-signed certificate for a new P-256 key (openssl, through the TLS helper), with its x5t#S256. */
function certificateFixture(): { key: KeyObject; pem: string; x5tS256: string } | string {
  const made = selfSignedCertificate('DNS:orders.example')
  if (typeof made === 'string') return made
  return { key: createPrivateKey(made.key), pem: made.cert, x5tS256: createHash('sha256').update(new X509Certificate(made.cert).raw).digest('base64url') }
}

test('invalid_client with a key the server does not know: the message says what to check, never the key', async () => {
  const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const made = client({ authMethod: 'private_key_jwt', privateKey: pem(stranger.privateKey, 'pkcs8'), keyId: 'es-1' })
  const error = await made.getToken('api:read').then(() => undefined, (caught: unknown) => caught)
  assert.ok(error instanceof Error)
  assert.match(error.message, /the server refused the client assertion \(private_key_jwt, ES256, kid 'es-1', key thumbprint [\w-]{43}\)/)
  assert.match(error.message, /clock/)
  assert.ok(error.message.includes(`aud ${server.tokenUrl}`))
  const body = pem(stranger.privateKey, 'pkcs8').split('\n')[1] ?? 'x'
  assert.ok(!error.message.includes(body) && !inspect(error).includes(body))
})
