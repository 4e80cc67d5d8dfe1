// Hostile review of private_key_jwt / client_secret_jwt (issue 16): properties that HOLD on the code
// under review, pinned. The reference server (with its jti replay cache) is the verifier; a tiny
// loopback server of our own only echoes what the reference server never would.
import assert from 'node:assert/strict'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { inspect } from 'node:util'
import { decodeJwt, exportJWK, jwtVerify } from 'jose'
import { TokenClient, sharedTokenCache, type SharedTokenStore, type TokenClientOptions } from '../../src/index.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { selfSignedCertificate } from '../helpers/tls-server.js'

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ec2 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const PEM = ec.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
const PEM_BODY = PEM.split('\n')[1] as string
const JWK = ec.privateKey.export({ format: 'jwk' }) as Record<string, string>
const RSA_JWK = rsa.privateKey.export({ format: 'jwk' }) as Record<string, string>
const JWT_SECRET = 'Zq9-hmac-secret-of-more-than-32-bytes-0123456789'
const SCOPES = Array.from({ length: 1_000 }, (_, i) => `s${i}`)

let reference: ReferenceServer
let echo: Server
let echoUrl = ''
const echoBodies: string[] = []
const clients: TokenClient[] = []

type MakeOptions = { [K in keyof TokenClientOptions]?: TokenClientOptions[K] | undefined }

function make(options: MakeOptions): TokenClient {
  const client = new TokenClient({
    tokenUrl: reference.tokenUrl,
    clientId: 'es',
    authMethod: 'private_key_jwt',
    privateKey: PEM,
    retry: { minDelayMs: 1, maxDelayMs: 2, attemptTimeoutMs: 5_000 },
    ...options,
  } as TokenClientOptions)
  clients.push(client)
  return client
}

const secretsOf = [PEM_BODY, JWK['d'] as string, RSA_JWK['d'] as string, (RSA_JWK['p'] as string).slice(0, 40), JWT_SECRET]
function assertNoKeyMaterial(text: string, where: string): void {
  for (const secret of secretsOf) assert.ok(!text.includes(secret), `key material in ${where}`)
}

before(async () => {
  reference = await startReferenceServer({
    throttle: false,
    clients: [
      { clientId: 'es', jwks: { keys: [{ ...(await exportJWK(ec.publicKey)), kid: 'es-1' }, await exportJWK(ec2.publicKey)] }, scopes: SCOPES },
      { clientId: 'rsa', jwks: { keys: [await exportJWK(rsa.publicKey)] }, scopes: SCOPES },
      { clientId: 'hmac', jwtSecret: JWT_SECRET, scopes: SCOPES },
    ],
  })
  echo = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => (body += chunk))
    request.on('end', () => {
      echoBodies.push(body)
      const assertion = new URLSearchParams(body).get('client_assertion') ?? ''
      response.writeHead(400, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ error: 'invalid_request', error_description: `bad assertion ${assertion} (${body})`, error_uri: `https://x/${assertion}` }))
    })
  })
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve))
  echoUrl = `http://127.0.0.1:${(echo.address() as { port: number }).port}/token`
})
after(async () => {
  await Promise.all(clients.map((client) => client.close()))
  await reference.close()
  await new Promise((resolve) => echo.close(resolve))
})

describe('no key material in inspect, JSON, options, errors', { timeout: 10_000 }, () => {
  test('inspect() / JSON.stringify() / options of clients built from PEM, JWK, KeyObject and a secret', () => {
    const built = [
      make({ privateKey: PEM }),
      make({ privateKey: JWK }),
      make({ clientId: 'rsa', privateKey: RSA_JWK }),
      make({ privateKey: ec.privateKey }),
      make({ clientId: 'hmac', authMethod: 'client_secret_jwt', privateKey: undefined, clientSecret: JWT_SECRET }),
    ]
    for (const client of built) {
      assertNoKeyMaterial(inspect(client, { depth: 10, showHidden: true }), 'inspect')
      assertNoKeyMaterial(JSON.stringify(client), 'JSON')
      assertNoKeyMaterial(inspect(client.options), 'options')
    }
  })

  test('constructor refusals name the option, carry no cause, quote no key, and are quick', () => {
    const other = selfSignedCertificate('DNS:other.example')
    assert.equal(typeof other, 'object', String(other))
    const cases: [string, MakeOptions][] = [
      ['garbage string', { privateKey: `-----BEGIN PRIVATE KEY-----\n${PEM_BODY.split('').reverse().join('')}\n-----END PRIVATE KEY-----` }],
      ['Buffer', { privateKey: Buffer.from(PEM) as never }],
      ['1 MB PEM', { privateKey: `-----BEGIN PRIVATE KEY-----\n${randomBytes(768 * 1024).toString('base64')}\n-----END PRIVATE KEY-----` }],
      ['encrypted PEM', { privateKey: ec.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string }],
      ['RSA-1024', { privateKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey }],
      ['secp256k1', { privateKey: generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ format: 'jwk' }) as never }],
      ['oct JWK', { privateKey: { kty: 'oct', k: Buffer.from(JWT_SECRET).toString('base64url') } as never }],
      ['public JWK', { privateKey: { ...JWK, d: undefined } as never }],
      ['certificate of another key', { certificate: (other as { cert: string }).cert }],
      ['short HMAC secret', { authMethod: 'client_secret_jwt', privateKey: undefined, clientSecret: JWT_SECRET.slice(0, 31) }],
      ['non-ASCII HMAC secret of 31 bytes', { authMethod: 'client_secret_jwt', privateKey: undefined, clientSecret: `${'é'.repeat(15)}x` }],
      ['clientSecret with private_key_jwt', { clientSecret: JWT_SECRET }],
      ['privateKey with client_secret_basic', { authMethod: 'client_secret_basic', clientSecret: 'x', privateKey: PEM }],
    ]
    for (const [name, options] of cases) {
      const started = performance.now()
      assert.throws(
        () => make(options),
        (error: Error) => {
          assert.equal((error as { code?: string }).code, 'ERR_INVALID_ARG_VALUE', name)
          assert.equal(error.cause, undefined, name)
          assertNoKeyMaterial(`${error.message} ${inspect(error)}`, name)
          return true
        },
        name,
      )
      assert.ok(performance.now() - started < 1_000, `${name} took long`)
    }
  })

  test('an error_description and error_uri echoing the full assertion and body are redacted', async () => {
    for (const options of [{}, { authMethod: 'client_secret_jwt', privateKey: undefined, clientSecret: JWT_SECRET }] as MakeOptions[]) {
      const client = make({ ...options, tokenUrl: echoUrl, retry: { retries: 0 } })
      const error = await client.getToken('s1').then(() => assert.fail('resolved'), (e: Error & Record<string, unknown>) => e)
      const assertion = new URLSearchParams(echoBodies.at(-1)).get('client_assertion') as string
      assert.ok(assertion.length > 100)
      const everything = `${error.message} ${String(error.errorDescription)} ${String(error.errorUri)} ${inspect(error, { depth: 10 })} ${JSON.stringify(error)}`
      assert.ok(!everything.includes(assertion), 'the assertion is redacted')
      assertNoKeyMaterial(everything, 'the error')
    }
  })

  test("the reference server's request log keeps alg and kid, never the assertion", async () => {
    reference.log.clear()
    await make({ keyId: 'es-1' }).getToken('s2')
    const log = JSON.stringify(reference.log)
    assert.match(log, /es-1/)
    assert.doesNotMatch(log, /eyJ/)
  })
})

describe('assertions: claims, jti, clocks', { timeout: 10_000 }, () => {
  test('retries after 503s, forceRefresh and a second scope each send a new jti (the replay cache accepts them all)', async () => {
    const client = make({})
    reference.faults.add({ type: 'status', status: 503 })
    reference.faults.add({ type: 'status', status: 503 })
    reference.log.clear()
    await client.getToken('s3')
    await client.getToken('s3', { forceRefresh: true })
    await client.getToken('s3', { forceRefresh: true })
    await client.getToken('s4')
    assert.equal(reference.log.entries.filter((entry) => entry.path.endsWith('/token')).length, 6)
    reference.faults.clear()
  })

  test('iat is the injected wallNow (even years off), exp is iat + 60, aud is the token URL, iss = sub = client id', async () => {
    const wall = Date.UTC(2040, 0, 1, 0, 0, 0, 999)
    const client = make({ tokenUrl: echoUrl, retry: { retries: 0 }, clock: { now: () => performance.timeOrigin + performance.now(), wallNow: () => wall } })
    await client.getToken('s5').catch(() => undefined)
    const claims = decodeJwt(new URLSearchParams(echoBodies.at(-1)).get('client_assertion') as string)
    assert.equal(claims.iat, Math.floor(wall / 1000))
    assert.equal(claims.exp, Math.floor(wall / 1000) + 60)
    assert.equal(claims.aud, echoUrl)
    assert.equal(claims.iss, 'es')
    assert.equal(claims.sub, 'es')
    assert.match(String(claims.jti), /^[0-9a-f-]{36}$/)
  })

  test('1,000 concurrent cold calls: one request (one assertion, one jti) per scope, and the event loop keeps turning', async () => {
    const client = make({ clientId: 'rsa', privateKey: rsa.privateKey, retry: { retries: 0, attemptTimeoutMs: 8_000 } })
    reference.log.clear()
    let maxLagMs = 0
    let last = performance.now()
    const ticker = setInterval(() => {
      const now = performance.now()
      maxLagMs = Math.max(maxLagMs, now - last - 5)
      last = now
    }, 5)
    try {
      const twice = [...SCOPES, ...SCOPES]
      const tokens = await Promise.all(twice.map((scope) => client.getToken(scope)))
      assert.equal(tokens.length, 2_000)
    } finally {
      clearInterval(ticker)
    }
    assert.equal(reference.log.entries.filter((entry) => entry.path.endsWith('/token') && entry.status === 200).length, 1_000)
    assert.ok(maxLagMs < 1_000, `the event loop stalled ${Math.round(maxLagMs)} ms`)
  })
})

describe('client_secret_jwt and cache separation', { timeout: 10_000 }, () => {
  test('client_secret_jwt against the reference server; a 32-byte non-ASCII secret (16 x é) is its UTF-8 bytes as HS256 key', async () => {
    await make({ clientId: 'hmac', authMethod: 'client_secret_jwt', privateKey: undefined, clientSecret: JWT_SECRET }).getToken('s6')
    // The reference server registers only VSCHAR secrets: checked against our echo server instead.
    const secret = 'é'.repeat(16)
    await make({ tokenUrl: echoUrl, clientId: 'hmac', authMethod: 'client_secret_jwt', privateKey: undefined, clientSecret: secret, retry: { retries: 0 } })
      .getToken('s6')
      .catch(() => undefined)
    const assertion = new URLSearchParams(echoBodies.at(-1)).get('client_assertion') as string
    const { payload, protectedHeader } = await jwtVerify(assertion, Buffer.from(secret, 'utf8'), { audience: echoUrl, issuer: 'hmac' })
    assert.equal(protectedHeader.alg, 'HS256')
    assert.equal(payload.sub, 'hmac')
  })

  test('two clients of one id with different keys have different thumbprints and never share a shared-cache entry', async () => {
    const values = new Map<string, string>()
    const store: SharedTokenStore = {
      description: 'memory (test)',
      get: async (name) => values.get(name),
      set: async (name, value) => void values.set(name, value),
      deleteIfEquals: async (name, expected) => values.get(name) === expected && values.delete(name),
      takeLease: async (name, owner) => (values.has(name) ? false : (values.set(name, owner), true)),
      renewLease: async (name, owner) => values.get(name) === owner,
      releaseLease: async (name, owner) => values.get(name) === owner && values.delete(name),
    }
    const a = make({ privateKey: ec.privateKey, sharedCache: sharedTokenCache(store) })
    const b = make({ privateKey: ec2.privateKey, sharedCache: sharedTokenCache(store) })
    assert.notEqual(a.options.keyThumbprint, b.options.keyThumbprint)
    reference.log.clear()
    const tokenA = await a.getToken('s7')
    const tokenB = await b.getToken('s7')
    assert.notEqual(tokenA.accessToken, tokenB.accessToken)
    assert.equal(reference.log.entries.filter((entry) => entry.path.endsWith('/token') && entry.status === 200).length, 2)
    const stored = JSON.stringify([...values])
    assert.ok(!stored.includes(tokenA.accessToken), 'a stored entry is sealed')
    assertNoKeyMaterial(stored, 'the store')
  })
})
