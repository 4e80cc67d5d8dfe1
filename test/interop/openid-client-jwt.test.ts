// Interoperability of JWT client authentication (RFC 7523 §2.2, OpenID Connect Core §9): openid-client
// v6's PrivateKeyJwt and ClientSecretJwt get tokens from the reference server, found by discovery or
// configured by hand. What openid-client (oauth4webapi underneath) sends, as the server logs it:
// `aud` the issuer, `exp` = `iat` + 60 s, `nbf`, a random `jti` per request, `client_id` in the body
// too, `alg` from the key (RS256, PS256, ES256, and `Ed25519`, not `EdDSA`, for an Ed25519 key),
// `kid` when given, HS256 for ClientSecretJwt.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose'
import * as openid from 'openid-client'
import { generateClientSecret, startReferenceServer, type ReferenceServer, type RequestLogEntry } from '../../src/server/index.js'

const SCOPE = 'api:read'
const TIMEOUT = { timeout: 10_000 }
const JWT_SECRET = generateClientSecret().secret
const keys: Record<string, CryptoKey> = {}
let server: ReferenceServer

before(async () => {
  const clients = []
  for (const [clientId, alg, kid] of [
    ['es256', 'ES256', 'es-key'],
    ['rs256', 'RS256', undefined],
    ['ps256', 'PS256', 'ps-key'],
    ['ed25519', 'Ed25519', undefined],
  ] as const) {
    const pair = await generateKeyPair(alg)
    keys[clientId] = pair.privateKey
    const jwk = { ...(await exportJWK(pair.publicKey)), ...(kid !== undefined && { kid }) }
    clients.push({ clientId, jwks: { keys: [jwk] }, scopes: [SCOPE] })
  }
  clients.push({ clientId: 'hs256', jwtSecret: JWT_SECRET, scopes: [SCOPE] })
  server = await startReferenceServer({ clients, throttle: false })
})
after(() => server.close())

function configuration(clientId: string, auth: openid.ClientAuth): openid.Configuration {
  // Built by hand; the discovery test below finds the same through the metadata.
  const metadata: openid.ServerMetadata = {
    issuer: server.issuer,
    token_endpoint: server.tokenUrl,
    introspection_endpoint: server.introspectionUrl,
  }
  const config = new openid.Configuration(metadata, clientId, undefined, auth)
  openid.allowInsecureRequests(config) // plain http on loopback
  return config
}

/** Runs `action` and returns its result with the one token request it made, as the server logged it. */
async function logged<T>(action: () => Promise<T>): Promise<{ result: T; entry: RequestLogEntry }> {
  const seen = server.log.tokenRequests().length
  const result = await action()
  const entries = server.log.tokenRequests().slice(seen)
  assert.equal(entries.length, 1, 'exactly one token request')
  return { result, entry: entries[0] as RequestLogEntry }
}

/**
 * The refusal openid-client rejects with. A 401 carrying `WWW-Authenticate` (the server sends the Basic
 * challenge on every 401, RFC 6749 §5.2) is a `WWWAuthenticateChallengeError` with the response.
 */
async function refusal(pending: Promise<unknown>): Promise<{ status: number; body: unknown }> {
  const error: unknown = await pending.then(
    () => assert.fail('expected the token request to fail'),
    (reason: unknown) => reason,
  )
  assert.ok(error instanceof openid.WWWAuthenticateChallengeError, String(error))
  assert.equal(error.cause[0]?.scheme, 'basic')
  return { status: error.status, body: await error.response.json() }
}

describe('openid-client 6 PrivateKeyJwt', () => {
  const cases: [string, string, string | undefined][] = [
    ['es256', 'ES256', 'es-key'],
    ['rs256', 'RS256', undefined],
    ['ps256', 'PS256', 'ps-key'],
    ['ed25519', 'Ed25519', undefined],
  ]
  for (const [clientId, alg, kid] of cases) {
    test(`${alg}${kid ? ` with kid ${kid}` : ''}: clientCredentialsGrant gets a token`, TIMEOUT, async () => {
      const key = kid === undefined ? (keys[clientId] as CryptoKey) : { key: keys[clientId] as CryptoKey, kid }
      const config = configuration(clientId, openid.PrivateKeyJwt(key))
      const { result, entry } = await logged(() => openid.clientCredentialsGrant(config, { scope: SCOPE }))
      assert.equal(result.token_type, 'bearer')
      assert.equal(result.scope, SCOPE)
      assert.ok(result.access_token.length > 20)
      assert.equal(entry.status, 200)
      assert.equal(entry.authMethod, 'private_key_jwt')
      assert.equal(entry.clientId, clientId)
      assert.deepEqual(entry.clientAssertion, kid === undefined ? { alg } : { alg, kid })
      assert.deepEqual(entry.params['client_id'], [clientId])
      assert.equal(entry.params['client_assertion'], undefined)
    })
  }

  test('a fresh jti every request: three grants in a row all succeed', TIMEOUT, async () => {
    const config = configuration('es256', openid.PrivateKeyJwt({ key: keys['es256'] as CryptoKey, kid: 'es-key' }))
    for (let index = 0; index < 3; index++) assert.ok((await openid.clientCredentialsGrant(config, { scope: SCOPE })).access_token)
  })

  test('discovery (RFC 8414) finds the methods advertised, and introspection takes the assertion too', TIMEOUT, async () => {
    const auth = openid.PrivateKeyJwt({ key: keys['es256'] as CryptoKey, kid: 'es-key' })
    const config = await openid.discovery(new URL(server.issuer), 'es256', undefined, auth, {
      algorithm: 'oauth2',
      execute: [openid.allowInsecureRequests],
    })
    const metadata = config.serverMetadata()
    assert.ok(metadata.token_endpoint_auth_methods_supported?.includes('private_key_jwt'))
    assert.ok(metadata.token_endpoint_auth_signing_alg_values_supported?.includes('ES256'))
    const tokens = await openid.clientCredentialsGrant(config, { scope: SCOPE })
    const introspection = await openid.tokenIntrospection(config, tokens.access_token)
    assert.equal(introspection.active, true)
    assert.equal(introspection.client_id, 'es256')
    assert.equal(server.log.filter({ path: '/introspect' }).at(-1)?.authMethod, 'private_key_jwt')
  })

  test('a key the server does not know: openid-client surfaces the 401 invalid_client', TIMEOUT, async () => {
    const stranger = (await generateKeyPair('ES256')).privateKey
    const config = configuration('es256', openid.PrivateKeyJwt({ key: stranger, kid: 'es-key' }))
    const { status, body } = await refusal(openid.clientCredentialsGrant(config, { scope: SCOPE }))
    assert.equal(status, 401)
    assert.deepEqual(body, { error: 'invalid_client', error_description: 'the assertion signature does not verify' })
  })
})

describe('openid-client 6 ClientSecretJwt', () => {
  test('HS256 with the jwtSecret: clientCredentialsGrant gets a token', TIMEOUT, async () => {
    const config = configuration('hs256', openid.ClientSecretJwt(JWT_SECRET))
    const { result, entry } = await logged(() => openid.clientCredentialsGrant(config, { scope: SCOPE }))
    assert.equal(result.scope, SCOPE)
    assert.equal(entry.status, 200)
    assert.equal(entry.authMethod, 'client_secret_jwt')
    assert.deepEqual(entry.clientAssertion, { alg: 'HS256' })
    assert.ok(!JSON.stringify(server.log).includes(JWT_SECRET))
  })

  test('the wrong secret: 401 invalid_client', TIMEOUT, async () => {
    const config = configuration('hs256', openid.ClientSecretJwt(generateClientSecret().secret))
    const { status, body } = await refusal(openid.clientCredentialsGrant(config, { scope: SCOPE }))
    assert.equal(status, 401)
    assert.deepEqual(body, { error: 'invalid_client', error_description: 'the assertion signature does not verify' })
  })
})
