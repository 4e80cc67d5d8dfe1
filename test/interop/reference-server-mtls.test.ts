// TokenClient, createAuthFetch and tokenInterceptor with mutual TLS against the reference server
// over HTTPS (RFC 8705), end to end: tls_client_auth and self_signed_tls_client_auth at the alias,
// discovery (the alias from mtls_endpoint_aliases, the method from the metadata), a secret client
// whose token the certificate binds, and certificate-bound tokens at /resource through the fetch
// wrapper (no extra code) and the interceptor (composed on client.createAgent()).
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { inspect } from 'node:util'
import { decodeJwt } from 'jose'
import { Agent, fetch as undiciFetch, request } from 'undici'
import { createAuthFetch, TokenClient, tokenInterceptor, type TokenClientOptions } from '../../src/index.js'
import type { IssuedCertificate, ReferenceServer } from '../../src/server/index.js'
import { startMutualTlsFixture } from '../helpers/mutual-tls-fixture.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'

const SCOPE = 'api:read'
const TIMEOUT = { timeout: 10_000 }
let server: ReferenceServer
let ca: string
let orders: IssuedCertificate
let selfSigned: IssuedCertificate
const clients: TokenClient[] = []

before(async () => {
  ;({ server, ca, pki: orders, selfSigned } = await startMutualTlsFixture({
    pkiClientId: 'orders',
    selfSignedClientId: 'billing',
    scopes: [SCOPE],
    clients: [{ clientId: 'secret', clientSecret: RESERVED_SECRET, scopes: [SCOPE] }],
  }))
})
after(async () => {
  await Promise.all(clients.map((client) => client.close()))
  await server.close()
})
beforeEach(() => server.log.clear())

function client(options: Omit<TokenClientOptions, 'tls'> & { identity: IssuedCertificate }): TokenClient {
  const { identity, ...rest } = options
  const made = new TokenClient({ ...rest, tls: { cert: identity.cert, key: identity.key, ca } } as TokenClientOptions)
  clients.push(made)
  return made
}

describe('TokenClient with a client certificate', () => {
  test('tls_client_auth at the alias: a token bound to the certificate, cached', TIMEOUT, async () => {
    const tokens = client({ tokenUrl: server.mtlsTokenUrl!, clientId: 'orders', authMethod: 'tls_client_auth', identity: orders })
    const token = await tokens.getToken(SCOPE)
    assert.deepEqual(decodeJwt(token.accessToken)['cnf'], { 'x5t#S256': orders.thumbprint })
    assert.equal((await tokens.getToken(SCOPE)).accessToken, token.accessToken)
    const log = server.log.tokenRequests()
    assert.equal(log.length, 1)
    assert.equal(log[0]?.authMethod, 'tls_client_auth')
    assert.deepEqual(log[0]?.params['client_id'], ['orders'])
    assert.equal(tokens.options.tlsCertificateThumbprint, orders.thumbprint)
    assert.ok(!inspect(tokens, { depth: 8, showHidden: true }).includes('PRIVATE KEY'))
  })

  test('self_signed_tls_client_auth: the registered self-signed certificate', TIMEOUT, async () => {
    const tokens = client({ tokenUrl: server.mtlsTokenUrl!, clientId: 'billing', authMethod: 'self_signed_tls_client_auth', identity: selfSigned })
    const token = await tokens.getToken(SCOPE)
    assert.deepEqual(decodeJwt(token.accessToken)['cnf'], { 'x5t#S256': selfSigned.thumbprint })
    assert.equal(server.log.tokenRequests()[0]?.authMethod, 'self_signed_tls_client_auth')
  })

  test('discovery: the alias of mtls_endpoint_aliases, the method from the metadata', TIMEOUT, async () => {
    for (const [clientId, identity, method] of [
      ['orders', orders, 'tls_client_auth'],
      // The client chooses tls_client_auth (listed first); the request is the same, and the server
      // takes the self-signed certificate as self_signed_tls_client_auth.
      ['billing', selfSigned, 'self_signed_tls_client_auth'],
    ] as const) {
      const tokens = client({ issuer: server.issuer, clientId, identity })
      await tokens.getToken(SCOPE)
      assert.equal(tokens.options.tokenUrl, server.mtlsTokenUrl)
      assert.equal(tokens.options.authMethod, 'tls_client_auth')
      const entry = server.log.tokenRequests({ clientId })[0]
      assert.equal(entry?.path, '/mtls/token')
      assert.equal(entry?.authMethod, method)
    }
  })

  test('a secret client with a certificate: the secret authenticates, the certificate binds the token', TIMEOUT, async () => {
    const tokens = client({ issuer: server.issuer, clientId: 'secret', clientSecret: RESERVED_SECRET, identity: orders })
    const token = await tokens.getToken(SCOPE)
    const entry = server.log.tokenRequests()[0]
    assert.equal(entry?.path, '/mtls/token')
    assert.equal(entry?.authMethod, 'client_secret_basic')
    assert.deepEqual(decodeJwt(token.accessToken)['cnf'], { 'x5t#S256': orders.thumbprint })
  })

  test('faults apply at the alias: a 503 is retried over mutual TLS, and the log says which attempt took it', TIMEOUT, async () => {
    const tokens = client({ tokenUrl: server.mtlsTokenUrl!, clientId: 'orders', authMethod: 'tls_client_auth', identity: orders, retry: { minDelayMs: 1, maxDelayMs: 5 } })
    server.faults.add({ type: 'status', status: 503 }, { times: 1 })
    await tokens.getToken(SCOPE)
    const log = server.log.tokenRequests({ clientId: 'orders' })
    assert.deepEqual(log.map((entry) => [entry.path, entry.status, entry.fault, entry.authMethod]), [
      ['/mtls/token', 503, 'status', 'tls_client_auth'],
      ['/mtls/token', 200, undefined, 'tls_client_auth'],
    ])
  })

  test('a certificate the client is not registered with: OAUTH_ERROR invalid_client, with the thumbprint in the hint', TIMEOUT, async () => {
    const tokens = client({ tokenUrl: server.mtlsTokenUrl!, clientId: 'orders', authMethod: 'tls_client_auth', identity: selfSigned })
    await assert.rejects(tokens.getToken(SCOPE), (error: Error & { code?: string; oauthError?: string }) => {
      assert.equal(error.code, 'OAUTH_ERROR')
      assert.match(error.message, /invalid_client/)
      assert.ok(error.message.includes(selfSigned.thumbprint), error.message)
      assert.ok(!error.message.includes('PRIVATE KEY'))
      return true
    })
  })
})

describe('certificate-bound tokens at the resource', () => {
  test('createAuthFetch presents the certificate with no extra code; plain fetch without it gets 401', TIMEOUT, async () => {
    const tokens = client({ tokenUrl: server.mtlsTokenUrl!, clientId: 'orders', authMethod: 'tls_client_auth', identity: orders })
    const authFetch = createAuthFetch(tokens, { scope: SCOPE, origins: [server.issuer] })
    const response = await authFetch(server.resourceUrl)
    assert.equal(response.status, 200)
    assert.equal(((await response.json()) as { client_id: string }).client_id, 'orders')
    const resource = server.log.filter({ path: '/resource' }).at(-1)
    assert.equal(resource?.clientCertificate?.thumbprint, orders.thumbprint)

    // The same token over a connection without the certificate: refused.
    const trusting = new Agent({ connect: { ca } })
    try {
      const { accessToken } = await tokens.getToken(SCOPE)
      const bare = await undiciFetch(server.resourceUrl, { dispatcher: trusting, headers: { authorization: `Bearer ${accessToken}` } })
      assert.equal(bare.status, 401)
      await bare.body?.cancel()
    } finally {
      await trusting.close()
    }
  })

  test('tokenInterceptor composed on client.createAgent() presents it', TIMEOUT, async () => {
    const tokens = client({ tokenUrl: server.mtlsTokenUrl!, clientId: 'orders', authMethod: 'tls_client_auth', identity: orders })
    const agent = tokens.createAgent()
    try {
      const dispatcher = agent.compose(tokenInterceptor({ client: tokens, scope: SCOPE, origins: [server.issuer] }))
      const response = await request(server.resourceUrl, { dispatcher })
      assert.equal(response.statusCode, 200)
      assert.equal(((await response.body.json()) as { client_id: string }).client_id, 'orders')
    } finally {
      await agent.close()
    }
  })

  test('the interceptor on a dispatcher without the certificate: the bound token is refused, and renewed once', TIMEOUT, async () => {
    const tokens = client({ tokenUrl: server.mtlsTokenUrl!, clientId: 'orders', authMethod: 'tls_client_auth', identity: orders })
    const trusting = new Agent({ connect: { ca } })
    try {
      const dispatcher = trusting.compose(tokenInterceptor({ client: tokens, scope: SCOPE, origins: [server.issuer] }))
      const response = await request(server.resourceUrl, { dispatcher })
      assert.equal(response.statusCode, 401)
      await response.body.dump()
      // One token, then one renewal on invalid_token: never a loop.
      assert.equal(server.log.tokenRequests().length, 2)
    } finally {
      await trusting.close()
    }
  })
})
