// Discovery (issue 16, point 3): the token endpoint and auth method from the issuer's metadata, RFC
// 8414 first, then OpenID Discovery; the issuer checked exactly; one metadata request per client life.
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, beforeEach, describe, test } from 'node:test'
import { decodeJwt, exportJWK } from 'jose'
import { DiscoveryError, TokenClient, isTokenClientError, type TokenClientOptions } from '../../src/index.js'
import { metadataLocations } from '../../src/http/authorization-server-metadata.js'
import { chooseAuthMethod } from '../../src/auth/auth-method-choice.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'

const SECRET = 'a-secret-of-at-least-thirty-two-bytes!!'
const clients: TokenClient[] = []
const make = (options: { [K in keyof TokenClientOptions]?: TokenClientOptions[K] | undefined }): TokenClient => {
  const client = new TokenClient({ clientId: 'svc', clientSecret: SECRET, retry: { minDelayMs: 1, maxDelayMs: 2 }, ...options } as TokenClientOptions)
  clients.push(client)
  return client
}
after(async () => {
  await Promise.all(clients.map((client) => client.close()))
})

describe('where the metadata is looked for', () => {
  const table: [string, string[]][] = [
    ['https://id.example.com/tenant', ['https://id.example.com/.well-known/oauth-authorization-server/tenant', 'https://id.example.com/tenant/.well-known/openid-configuration']],
    ['https://id.example.com/tenant/', ['https://id.example.com/.well-known/oauth-authorization-server/tenant', 'https://id.example.com/tenant/.well-known/openid-configuration']],
    ['https://id.example.com', ['https://id.example.com/.well-known/oauth-authorization-server', 'https://id.example.com/.well-known/openid-configuration']],
    ['https://id.example.com/', ['https://id.example.com/.well-known/oauth-authorization-server', 'https://id.example.com/.well-known/openid-configuration']],
  ]
  for (const [issuer, expected] of table) {
    test(issuer, () => assert.deepEqual(metadataLocations(new URL(issuer)).map(String), expected))
  }
})

describe('the auth method, from token_endpoint_auth_methods_supported', () => {
  const secret = { given: undefined, hasPrivateKey: false } as const
  const table: [string, readonly string[] | undefined, Parameters<typeof chooseAuthMethod>[1], string][] = [
    ['absent list: Basic (RFC 8414)', undefined, secret, 'client_secret_basic'],
    ['Basic listed', ['client_secret_post', 'client_secret_basic'], secret, 'client_secret_basic'],
    ['post only', ['private_key_jwt', 'client_secret_post'], secret, 'client_secret_post'],
    ['client_secret_jwt only', ['client_secret_jwt'], secret, 'client_secret_jwt'],
    ['a key', ['client_secret_basic', 'private_key_jwt'], { given: undefined, hasPrivateKey: true }, 'private_key_jwt'],
    ['given and listed', ['client_secret_basic', 'client_secret_post'], { given: 'client_secret_post', hasPrivateKey: false }, 'client_secret_post'],
  ]
  for (const [name, supported, input, expected] of table) {
    test(name, () => assert.deepEqual(chooseAuthMethod(supported, input), { method: expected }))
  }
  test('refusals', () => {
    assert.ok('refused' in chooseAuthMethod(['private_key_jwt'], secret))
    assert.ok('refused' in chooseAuthMethod(['client_secret_basic'], { given: undefined, hasPrivateKey: true }))
    assert.ok('refused' in chooseAuthMethod(undefined, { given: 'client_secret_post', hasPrivateKey: false }))
  })
})

describe('options', () => {
  const refused = (options: Parameters<typeof make>[0], pattern: RegExp) =>
    assert.throws(() => make(options), (error: TypeError & { code?: string }) => error.code === 'ERR_INVALID_ARG_VALUE' && pattern.test(error.message))
  test('issuer and tokenUrl are mutually exclusive; one is required', () => {
    refused({ issuer: 'https://id.example.com', tokenUrl: 'https://id.example.com/token' }, /tokenUrl.*issuer/)
    refused({}, /^tokenUrl must be a string or URL \(required, unless issuer is given/)
  })
  test('the issuer is held to the tokenUrl rules, without a query', () => {
    refused({ issuer: 'http://id.example.com' }, /^issuer must use https/)
    refused({ issuer: 'https://id.example.com/?tenant=a' }, /^issuer must not have a query/)
    refused({ issuer: 'not a url' }, /^issuer must be an absolute URL/)
    make({ issuer: 'http://id.example.com', allowInsecureHttp: true })
  })
  test('client.options shows the issuer, and no token URL before discovery', () => {
    const client = make({ issuer: 'https://id.example.com/tenant' })
    assert.deepEqual(client.options, { issuer: 'https://id.example.com/tenant', clientId: 'svc', clientSecret: '[redacted]' })
  })
})

describe('against the reference server', () => {
  let server: ReferenceServer
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  before(async () => {
    server = await startReferenceServer({
      throttle: false,
      clients: [
        { clientId: 'svc', clientSecret: SECRET, scopes: ['api:read'] },
        { clientId: 'es', jwks: { keys: [await exportJWK(publicKey)] }, scopes: ['api:read'] },
      ],
    })
  })
  after(() => server.close())

  test('a token via the issuer; the token URL and method shown once known; metadata fetched once', async () => {
    const client = make({ issuer: server.issuer })
    const token = await client.getToken('api:read')
    assert.ok(token.accessToken.length > 0)
    assert.deepEqual(client.options, {
      issuer: server.issuer,
      tokenUrl: server.tokenUrl,
      clientId: 'svc',
      authMethod: 'client_secret_basic',
      clientSecret: '[redacted]',
    })
    await client.getToken('api:read', { forceRefresh: true })
    const log = server.log.tokenRequests({ clientId: 'svc' })
    assert.equal(log.at(-1)?.authMethod, 'client_secret_basic')
    const metadataRequests = server.log.entries.filter((entry) => entry.path.startsWith('/.well-known/')).length
    assert.equal(metadataRequests, 1)
  })

  test('private_key_jwt via the issuer, the assertion aud being the issuer', async () => {
    const client = make({ issuer: server.issuer, clientId: 'es', clientSecret: undefined, privateKey })
    const token = await client.getToken('api:read')
    assert.ok(token.accessToken.length > 0)
    assert.equal(client.options.authMethod, 'private_key_jwt')
    assert.equal(server.log.tokenRequests({ clientId: 'es' }).at(-1)?.authMethod, 'private_key_jwt')
  })
})

/** A tiny server whose answers each test sets: the metadata at any path, a token at /token. */
describe('against hostile metadata', () => {
  let http: Server
  let origin: string
  let requests: { path: string; body: string; authorization: string | undefined }[] = []
  let metadata: (path: string, count: number) => { status: number; body?: unknown; hang?: boolean } = () => ({ status: 404 })
  const hanging: ServerResponse[] = []
  const tokenRequests = () => requests.filter((request) => request.path === '/token')
  const metadataRequests = () => requests.filter((request) => request.path.includes('/.well-known/'))

  before(async () => {
    http = createServer((request: IncomingMessage, response: ServerResponse) => {
      let body = ''
      request.on('data', (chunk: Buffer) => (body += chunk.toString()))
      request.on('end', () => {
        const path = request.url ?? ''
        requests.push({ path, body, authorization: request.headers.authorization })
        if (path === '/token') {
          response.writeHead(200, { 'content-type': 'application/json' })
          response.end(JSON.stringify({ access_token: 'tok', token_type: 'Bearer', expires_in: 3600 }))
          return
        }
        const answer = metadata(path, metadataRequests().length)
        if (answer.hang === true) {
          hanging.push(response)
          return
        }
        response.writeHead(answer.status, { 'content-type': 'application/json' })
        response.end(answer.body === undefined ? '{}' : JSON.stringify(answer.body))
      })
    })
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  })
  after(() => {
    for (const response of hanging) response.destroy()
    return new Promise<void>((resolve) => http.close(() => resolve()))
  })
  beforeEach(() => {
    requests = []
  })

  const good = (issuer: string, extra: Record<string, unknown> = {}) => ({ issuer, token_endpoint: `${origin}/token`, ...extra })
  const discoveryError = async (client: TokenClient, pattern: RegExp) => {
    await assert.rejects(client.getToken(), (error: unknown) => {
      assert.ok(error instanceof DiscoveryError, String(error))
      assert.ok(isTokenClientError(error) && error.code === 'DISCOVERY_ERROR')
      assert.match(error.message, pattern)
      assert.equal(error.attempts, 0)
      return true
    })
    assert.equal(tokenRequests().length, 0, 'no token request')
  }

  test('20 concurrent first calls make one metadata request; the path-inserted location first', async () => {
    const issuer = `${origin}/tenant`
    metadata = (path) => (path === '/.well-known/oauth-authorization-server/tenant' ? { status: 200, body: good(issuer) } : { status: 404 })
    const client = make({ issuer })
    const tokens = await Promise.all(Array.from({ length: 20 }, () => client.getToken('a')))
    assert.ok(tokens.every((token) => token.accessToken === 'tok'))
    assert.equal(metadataRequests().length, 1)
    assert.equal(tokenRequests().length, 1)
    await client.getToken('b')
    assert.equal(metadataRequests().length, 1, 'cached for the life of the client')
  })

  test('a 404 at the RFC 8414 location, then the OpenID one works', async () => {
    const issuer = `${origin}/tenant`
    metadata = (path) => (path === '/tenant/.well-known/openid-configuration' ? { status: 200, body: good(issuer) } : { status: 404 })
    const client = make({ issuer })
    assert.equal((await client.getToken()).accessToken, 'tok')
    assert.deepEqual(metadataRequests().map((request) => request.path), [
      '/.well-known/oauth-authorization-server/tenant',
      '/tenant/.well-known/openid-configuration',
    ])
  })

  test('a 500 is not cached: the next call discovers again and succeeds', async () => {
    let failing = true
    metadata = () => (failing ? { status: 500 } : { status: 200, body: good(origin) })
    const client = make({ issuer: origin })
    await discoveryError(client, /no metadata found .*answered 500/)
    failing = false
    assert.equal((await client.getToken()).accessToken, 'tok')
    assert.equal(metadataRequests().length, 3)
  })

  test('another issuer in the metadata: DISCOVERY_ERROR and no token request', async () => {
    metadata = () => ({ status: 200, body: good('https://evil.example.com') })
    await discoveryError(make({ issuer: origin }), /issuer is 'https:\/\/evil\.example\.com', not the configured one/)
  })

  test('the issuer is compared exactly: a trailing slash differs', async () => {
    metadata = () => ({ status: 200, body: good(`${origin}/`) })
    await discoveryError(make({ issuer: origin }), /not the configured one/)
  })

  test('an http token_endpoint on a non-loopback host', async () => {
    metadata = () => ({ status: 200, body: good(origin, { token_endpoint: 'http://id.example.com/token' }) })
    await discoveryError(make({ issuer: origin }), /token_endpoint must use https/)
  })

  test('no token_endpoint', async () => {
    metadata = () => ({ status: 200, body: { issuer: origin } })
    await discoveryError(make({ issuer: origin }), /no token_endpoint/)
  })

  test('not found at either location', async () => {
    metadata = () => ({ status: 404 })
    await discoveryError(make({ issuer: origin }), /no metadata found/)
  })

  test('the method from the metadata: client_secret_post when Basic is not listed', async () => {
    metadata = () => ({ status: 200, body: good(origin, { token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_post'] }) })
    const client = make({ issuer: origin })
    await client.getToken()
    const [request] = tokenRequests()
    assert.equal(request?.authorization, undefined)
    assert.match(request?.body ?? '', /client_secret=/)
    assert.equal(client.options.authMethod, 'client_secret_post')
  })

  test('an authMethod the server does not list: DISCOVERY_ERROR before any token request', async () => {
    metadata = () => ({ status: 200, body: good(origin, { token_endpoint_auth_methods_supported: ['client_secret_basic'] }) })
    await discoveryError(make({ issuer: origin, authMethod: 'client_secret_post' }), /authMethod 'client_secret_post' is not supported/)
  })

  test('client_secret_jwt chosen from the metadata signs with aud = the issuer', async () => {
    const issuer = `${origin}/tenant`
    metadata = () => ({ status: 200, body: good(issuer, { token_endpoint_auth_methods_supported: ['client_secret_jwt'] }) })
    const client = make({ issuer })
    await client.getToken()
    const assertion = new URLSearchParams(tokenRequests()[0]?.body).get('client_assertion')
    assert.equal(decodeJwt(assertion ?? '').aud, issuer)
  })

  test('close() during discovery: callers get CLIENT_CLOSED, no token request', async () => {
    metadata = () => ({ status: 200, hang: true })
    const client = make({ issuer: origin })
    const outcome = assert.rejects(client.getToken(), (error: unknown) => isTokenClientError(error) && error.code === 'CLIENT_CLOSED')
    while (metadataRequests().length === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    await client.close()
    await outcome
    assert.equal(tokenRequests().length, 0)
  })

  test('a token endpoint on another origin than the issuer: the client pools that origin too', async () => {
    const other = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ access_token: 'elsewhere', token_type: 'Bearer', expires_in: 3600 }))
    })
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
    try {
      const tokenUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/token`
      metadata = () => ({ status: 200, body: good(origin, { token_endpoint: tokenUrl }) })
      const client = make({ issuer: origin })
      assert.equal((await client.getToken()).accessToken, 'elsewhere')
      assert.equal(client.options.tokenUrl, tokenUrl)
      await client.close()
    } finally {
      other.closeAllConnections()
      await new Promise<void>((resolve) => other.close(() => resolve()))
    }
  })
})
