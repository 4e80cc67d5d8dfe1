// DPoP (RFC 9449) end to end against the reference server, nonces required at both ends:
// TokenClient (secret and private_key_jwt clients, a key made in memory and a kept one),
// createAuthFetch and tokenInterceptor at /resource (a new proof per request with ath, the resource
// nonce retried once), client.dpopHeaders() by hand, a downgrade refused, faults (a forced nonce, a
// refused proof), and DPoP together with mutual TLS (both bindings in cnf).
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { after, before, beforeEach, describe, test } from 'node:test'
import { decodeJwt, exportJWK } from 'jose'
import { Agent, request } from 'undici'
import { createAuthFetch, TokenClient, tokenInterceptor, type TokenClientOptions } from '../../src/index.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { startMutualTlsFixture, type MutualTlsFixture } from '../helpers/mutual-tls-fixture.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'

const SCOPE = 'api:read'
const TIMEOUT = { timeout: 10_000 }
const assertionKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const keptDpopKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
let server: ReferenceServer
const clients: TokenClient[] = []

before(async () => {
  server = await startReferenceServer({
    tokenFormat: 'jwt',
    throttle: false,
    dpop: { nonce: 'required', resourceNonce: true },
    clients: [
      { clientId: 'svc', clientSecret: RESERVED_SECRET, scopes: [SCOPE], dpopBoundAccessTokens: true },
      { clientId: 'keyed', jwks: { keys: [await exportJWK(assertionKey.publicKey)] }, scopes: [SCOPE] },
      { clientId: 'plain', clientSecret: RESERVED_SECRET, scopes: [SCOPE] },
    ],
  })
})
after(async () => {
  await Promise.all(clients.map((client) => client.close()))
  await server.close()
})
beforeEach(() => server.log.clear())

function client(options: Omit<TokenClientOptions, 'tokenUrl'>): TokenClient {
  const made = new TokenClient({ tokenUrl: server.tokenUrl, ...options } as TokenClientOptions)
  clients.push(made)
  return made
}

describe('TokenClient with DPoP at the reference server', () => {
  test('a secret client: use_dpop_nonce once, then a DPoP token whose cnf.jkt is the key; the nonce kept for the next request', TIMEOUT, async () => {
    const tokens = client({ clientId: 'svc', clientSecret: RESERVED_SECRET, dpop: true })
    const token = await tokens.getToken(SCOPE)
    assert.equal(token.tokenType, 'DPoP')
    assert.deepEqual(decodeJwt(token.accessToken)['cnf'], { jkt: tokens.options.dpop?.keyThumbprint })
    assert.deepEqual(server.log.tokenRequests().map((entry) => [entry.status, entry.error, entry.dpop?.nonce]), [
      [400, 'use_dpop_nonce', 'none'],
      [200, undefined, 'current'],
    ])
    await tokens.getToken(SCOPE, { forceRefresh: true })
    assert.deepEqual(server.log.tokenRequests().slice(2).map((entry) => entry.status), [200])
  })

  test('private_key_jwt with a kept key: a new assertion for the nonce retry, the kept key bound', TIMEOUT, async () => {
    const tokens = client({ clientId: 'keyed', authMethod: 'private_key_jwt', privateKey: assertionKey.privateKey, dpop: { privateKey: keptDpopKey.privateKey } })
    const token = await tokens.getToken(SCOPE)
    const log = server.log.tokenRequests()
    assert.deepEqual(log.map((entry) => entry.status), [400, 200])
    assert.deepEqual(log.map((entry) => entry.authMethod), ['private_key_jwt', 'private_key_jwt'])
    const kept = await (await import('jose')).calculateJwkThumbprint(await exportJWK(keptDpopKey.publicKey))
    assert.equal(log[1]?.dpop?.jkt, kept)
    assert.deepEqual(decodeJwt(token.accessToken)['cnf'], { jkt: kept })
  })

  test('faults: a forced nonce and a refused proof', TIMEOUT, async () => {
    const tokens = client({ clientId: 'plain', clientSecret: RESERVED_SECRET, dpop: true, retry: false })
    await tokens.getToken(SCOPE)
    server.log.clear()
    server.faults.add({ type: 'invalid-dpop-proof' }, { times: 1 })
    await assert.rejects(tokens.getToken(SCOPE, { forceRefresh: true }), (error: Error & { code?: string; error?: string }) => {
      assert.equal(error.code, 'OAUTH_ERROR')
      assert.equal(error.error, 'invalid_dpop_proof')
      return true
    })
    server.dpop.rotateNonce({ keepPrevious: false })
    const token = await tokens.getToken(SCOPE, { forceRefresh: true })
    assert.equal(token.tokenType, 'DPoP')
    assert.deepEqual(server.log.tokenRequests().map((entry) => [entry.status, entry.error]).slice(1), [
      [400, 'use_dpop_nonce'],
      [200, undefined],
    ])
  })

  test('a client without dpop gets a Bearer token from the same server', TIMEOUT, async () => {
    const bearer = client({ clientId: 'plain', clientSecret: RESERVED_SECRET })
    assert.equal((await bearer.getToken(SCOPE)).tokenType, 'Bearer')
  })
})

describe('DPoP at the resource', () => {
  test('createAuthFetch: Authorization DPoP, a proof with ath, the resource nonce retried once', TIMEOUT, async () => {
    const tokens = client({ clientId: 'svc', clientSecret: RESERVED_SECRET, dpop: true })
    const authFetch = createAuthFetch(tokens, { scope: SCOPE, origins: [server.issuer] })
    const first = await authFetch(server.resourceUrl)
    assert.equal(first.status, 200)
    assert.equal(((await first.json()) as { client_id: string }).client_id, 'svc')
    const second = await authFetch(`${server.resourceUrl}?scope=${SCOPE}`, { method: 'POST', body: 'x' })
    assert.equal(second.status, 200)
    await second.body?.cancel()
    const resource = server.log.filter({ path: '/resource' })
    assert.deepEqual(resource.map((entry) => [entry.status, entry.authMethod, entry.dpop?.nonce]), [
      [401, 'dpop', 'none'],
      [200, 'dpop', 'current'],
      [200, 'dpop', 'current'],
    ])
    assert.ok(!JSON.stringify(server.log).includes((await tokens.getToken(SCOPE)).accessToken))
  })

  test('tokenInterceptor: the same, through undici request()', TIMEOUT, async () => {
    const tokens = client({ clientId: 'svc', clientSecret: RESERVED_SECRET, dpop: true })
    const agent = new Agent()
    try {
      const dispatcher = agent.compose(tokenInterceptor({ client: tokens, scope: SCOPE, origins: [server.issuer] }))
      const response = await request(server.resourceUrl, { dispatcher })
      assert.equal(response.statusCode, 200)
      await response.body.dump()
      const again = await request(server.resourceUrl, { dispatcher, method: 'PUT', body: 'y' })
      assert.equal(again.statusCode, 200)
      await again.body.dump()
      assert.deepEqual(server.log.filter({ path: '/resource' }).map((entry) => entry.status), [401, 200, 200])
    } finally {
      await agent.close()
    }
  })

  test('client.dpopHeaders() by hand, with the nonce the resource gave', TIMEOUT, async () => {
    const tokens = client({ clientId: 'svc', clientSecret: RESERVED_SECRET, dpop: true })
    const token = await tokens.getToken(SCOPE)
    const call = async (nonce?: string) => {
      const headers = await tokens.dpopHeaders(token, { method: 'GET', url: server.resourceUrl, ...(nonce !== undefined && { nonce }) })
      return fetch(server.resourceUrl, { headers: { ...headers } })
    }
    const refused = await call()
    assert.equal(refused.status, 401)
    const nonce = refused.headers.get('dpop-nonce') ?? undefined
    assert.ok(nonce)
    assert.equal((await call(nonce)).status, 200)
  })
})

describe('DPoP with mutual TLS', () => {
  let fixture: MutualTlsFixture
  before(async () => {
    fixture = await startMutualTlsFixture({ pkiClientId: 'orders', selfSignedClientId: 'billing', scopes: [SCOPE] })
  })
  after(() => fixture.server.close())

  test('tls_client_auth and DPoP: a token bound to both, used through createAuthFetch', TIMEOUT, async () => {
    const { server: tlsServer, ca, pki } = fixture
    const tokens = new TokenClient({
      tokenUrl: tlsServer.mtlsTokenUrl!,
      clientId: 'orders',
      authMethod: 'tls_client_auth',
      tls: { cert: pki.cert, key: pki.key, ca },
      dpop: true,
    })
    clients.push(tokens)
    const token = await tokens.getToken(SCOPE)
    assert.equal(token.tokenType, 'DPoP')
    assert.deepEqual(decodeJwt(token.accessToken)['cnf'], { 'x5t#S256': pki.thumbprint, jkt: tokens.options.dpop?.keyThumbprint })
    const response = await createAuthFetch(tokens, { scope: SCOPE, origins: [tlsServer.issuer] })(tlsServer.resourceUrl)
    assert.equal(response.status, 200)
    await response.body?.cancel()
  })
})
