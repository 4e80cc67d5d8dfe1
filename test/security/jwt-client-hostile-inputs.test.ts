// Hostile inputs to private_key_jwt / client_secret_jwt (issue 16): each test states a property that
// holds against a hostile option, key or server. A tiny loopback server of our own stands in for hostile server
// behaviour the reference server cannot produce (echoing, reflecting, plain refusals); the reference
// server is used where a real verifier matters.
import assert from 'node:assert/strict'
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { exportJWK } from 'jose'
import { TokenClient, type TokenClientOptions } from '../../src/index.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'

type Reply = (assertion: string, body: string) => { status: number; json: Record<string, unknown> }
let reply: Reply = () => ({ status: 401, json: { error: 'invalid_client', error_description: 'nope' } })
const bodies: string[] = []
let hostile: Server
let hostileUrl = ''
let reference: ReferenceServer

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const PEM = ec.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
const PEM_BODY = PEM.split('\n')[1] as string
const clients: TokenClient[] = []
const JWT_SECRET = 'Zq9-hmac-secret-of-more-than-32-bytes-0123456789'

type MakeOptions = { [K in keyof TokenClientOptions]?: TokenClientOptions[K] | undefined }

function make(options: MakeOptions): TokenClient {
  const client = new TokenClient({
    tokenUrl: hostileUrl,
    clientId: 'svc',
    authMethod: 'private_key_jwt',
    privateKey: PEM,
    retry: { retries: 0, attemptTimeoutMs: 5_000 },
    ...options,
  } as TokenClientOptions)
  clients.push(client)
  return client
}

async function failure(client: TokenClient, scope = 'api:read'): Promise<Error & Record<string, unknown>> {
  try {
    await client.getToken(scope)
  } catch (error) {
    return error as Error & Record<string, unknown>
  }
  assert.fail('getToken resolved')
}

const lastAssertion = () => new URLSearchParams(bodies.at(-1)).get('client_assertion') ?? ''

before(async () => {
  hostile = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => (body += chunk))
    request.on('end', () => {
      bodies.push(body)
      const { status, json } = reply(new URLSearchParams(body).get('client_assertion') ?? '', body)
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify(json))
    })
  })
  await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve))
  hostileUrl = `http://127.0.0.1:${(hostile.address() as { port: number }).port}/token`
  reference = await startReferenceServer({
    throttle: false,
    clients: [
      { clientId: 'ps-only', jwks: { keys: [{ ...(await exportJWK(rsa.publicKey)), alg: 'PS256', use: 'sig' }] }, scopes: ['api:read'] },
    ],
  })
})
after(async () => {
  await Promise.all(clients.map((client) => client.close()))
  await new Promise((resolve) => hostile.close(resolve))
  await reference.close()
})

describe('hostile inputs: no log-line injection or leak through the invalid_client hint', { timeout: 10_000 }, () => {
  test('a keyId with CR/LF is refused at construction', async () => {
    reply = () => ({ status: 401, json: { error: 'invalid_client', error_description: 'nope' } })
    let client: TokenClient
    try {
      client = make({ keyId: 'k1\r\n2025-01-01T00:00:00Z ERROR forged log line' })
    } catch (error) {
      assert.equal((error as { code?: string }).code, 'ERR_INVALID_ARG_VALUE')
      return
    }
    const error = await failure(client)
    assert.doesNotMatch(error.message, /[\r\n]/, `the kid's CR/LF is in the message: ${JSON.stringify(error.message)}`)
  })

  test("a private JWK whose own kid has control characters is refused at construction", async () => {
    reply = () => ({ status: 401, json: { error: 'invalid_client', error_description: 'nope' } })
    const jwk = { ...(ec.privateKey.export({ format: 'jwk' }) as Record<string, unknown>), kid: "k'\n\u001b[2Jforged" }
    let client: TokenClient
    try {
      client = make({ privateKey: jwk })
    } catch (error) {
      assert.equal((error as { code?: string }).code, 'ERR_INVALID_ARG_VALUE')
      return
    }
    const error = await failure(client)
    assert.doesNotMatch(error.message, /[\n\u001b]/, `raw control characters in the message: ${JSON.stringify(error.message)}`)
  })

  test("the token URL's query (which may carry a credential) never reaches an error message, the aud of the hint included", async () => {
    reply = () => ({ status: 401, json: { error: 'invalid_client', error_description: 'nope' } })
    const error = await failure(make({ tokenUrl: `${hostileUrl}?code=FUNCTION-KEY-Zq9secret` }))
    assert.equal(error.endpoint, hostileUrl, 'the endpoint is said without the query, on purpose')
    assert.ok(!error.message.includes('FUNCTION-KEY-Zq9secret'), `query in the message: ${error.message}`)
  })
})

describe('hostile inputs: key import', { timeout: 10_000 }, () => {
  test('an RSA-PSS private KeyObject constructs a client that signs PS256', () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 })
    let client: TokenClient | undefined
    try {
      client = make({ privateKey: pss.privateKey })
    } catch (error) {
      assert.fail(`constructor threw ${(error as Error).name} ${(error as { code?: string }).code}: ${(error as Error).message}`)
    }
    assert.equal(client.options.signingAlgorithm, 'PS256')
  })

  test("a mis-wired signingAlgorithm holding the PEM is not quoted back in the constructor's message", () => {
    assert.throws(
      () => make({ signingAlgorithm: PEM as never }),
      (error: Error) => {
        assert.equal((error as { code?: string }).code, 'ERR_INVALID_ARG_VALUE')
        assert.ok(!error.message.includes(PEM_BODY), `the PEM body is in the message: ${error.message.slice(0, 120)}...`)
        return true
      },
    )
  })

  test("a private JWK's alg (PS256) is the algorithm used, so a server that registered the key for PS256 accepts", async () => {
    const jwk = { ...(rsa.privateKey.export({ format: 'jwk' }) as Record<string, unknown>), alg: 'PS256' }
    const client = make({ tokenUrl: reference.tokenUrl, clientId: 'ps-only', privateKey: jwk })
    const outcome = await client.getToken('api:read').then(() => 'token', (error: Error) => error.message)
    assert.equal(client.options.signingAlgorithm, 'PS256', `the JWK says PS256; the client signs RS256, and the server: ${outcome}`)
    assert.equal(outcome, 'token')
  })

  test("a private JWK whose alg does not fit the key, or whose key_ops/use forbid signing, is refused", () => {
    const base = ec.privateKey.export({ format: 'jwk' }) as Record<string, unknown>
    for (const extra of [{ alg: 'ES384' }, { alg: 'RS256' }, { key_ops: ['verify'] }, { use: 'enc' }]) {
      assert.throws(() => make({ privateKey: { ...base, ...extra } }), { code: 'ERR_INVALID_ARG_VALUE' }, `accepted ${JSON.stringify(extra)}`)
    }
  })

  test('a private JWK whose public members (x, y) are not those of d is refused', () => {
    const base = ec.privateKey.export({ format: 'jwk' }) as Record<string, unknown>
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as Record<string, unknown>
    // Else the client would show (and key its cache with) the thumbprint of a key it does not sign with.
    assert.throws(() => make({ privateKey: { ...base, x: other['x'] as string, y: other['y'] as string } }), { code: 'ERR_INVALID_ARG_VALUE' })
  })

  test('a keyId of a megabyte is refused (every request would carry it, every hint would print it)', () => {
    assert.throws(() => make({ keyId: 'k'.repeat(1_000_000) }), { code: 'ERR_INVALID_ARG_VALUE' })
  })
})

describe('hostile inputs: what a hostile server gets into errors and tokens', { timeout: 10_000 }, () => {
  test("an error_description echoing the assertion across the 2,000-character cut keeps no part of its signature", async () => {
    reply = (assertion) => ({ status: 400, json: { error: 'invalid_request', error_description: `${'x'.repeat(2_000 - ' got '.length - (assertion.length - 36))} got ${assertion}` } })
    const error = await failure(make({}))
    const signature = lastAssertion().split('.')[2] as string
    assert.ok(signature.length > 40)
    assert.ok(!String(error.errorDescription).includes(signature.slice(0, 40)), 'errorDescription holds the first 40 characters of the signature')
  })

  test('an error_description echoing the client_secret_jwt secret across the 2,000-character cut keeps no part of it', async () => {
    reply = () => ({ status: 400, json: { error: 'invalid_request', error_description: `${'x'.repeat(1_990)}${JWT_SECRET}` } })
    const error = await failure(make({ authMethod: 'client_secret_jwt', privateKey: undefined, clientSecret: JWT_SECRET }))
    assert.ok(!String(error.errorDescription).includes(JWT_SECRET.slice(0, 10)), `a prefix of the secret: ${String(error.errorDescription).slice(-20)}`)
  })

  test('a token response whose access_token is the client assertion itself is refused', async () => {
    reply = (assertion) => ({ status: 200, json: { access_token: assertion, token_type: 'Bearer', expires_in: 300 } })
    const client = make({})
    const outcome = await client.getToken('api:read').then(
      (token) => ({ token: token.accessToken }),
      (error: Error) => ({ error }),
    )
    assert.ok('error' in outcome, 'the client would send its own client assertion as a Bearer token to every resource server')
  })

  test("a clock whose wallNow is NaN fails the constructor (ERR_INVALID_ARG_VALUE), never with jose's bare TypeError", async () => {
    reply = () => ({ status: 200, json: { access_token: 'abc', token_type: 'Bearer', expires_in: 300 } })
    let client: TokenClient
    try {
      client = make({ clock: { now: () => performance.timeOrigin + performance.now(), wallNow: () => Number.NaN } })
    } catch (error) {
      assert.equal((error as { code?: string }).code, 'ERR_INVALID_ARG_VALUE')
      return
    }
    const error = await failure(client)
    assert.doesNotMatch(error.message, /^Invalid setIssuedAt input$/, 'a jose internal message reaches the caller')
  })
})

export type { KeyObject }
