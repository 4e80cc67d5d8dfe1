// Checklist item 29: authorization server metadata (RFC 8414), also at the OpenID Connect
// location, and what openid-client v6 makes of it.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import * as client from 'openid-client'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { SECRET, basic } from './helpers.js'

const clients = [
  { clientId: 'svc', clientSecret: SECRET, scopes: ['api:read', 'api:write'] },
  { clientId: 'other', clientSecret: 'other-secret', scopes: ['api:write', 'audit'] },
]
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt']
// RFC 8414 §2: the algorithms of private_key_jwt, then of client_secret_jwt; never none.
const SIGNING_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'HS256', 'HS384', 'HS512']

describe('29: metadata', () => {
  let server: ReferenceServer
  before(async () => {
    server = await startReferenceServer({ clients })
  })
  after(() => server.close())

  test('29: the RFC 8414 document, issuer identical to server.issuer', async () => {
    const response = await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('content-type'), 'application/json')
    const metadata = (await response.json()) as Record<string, unknown>
    assert.deepEqual(metadata, {
      issuer: server.issuer,
      token_endpoint: server.tokenUrl,
      jwks_uri: server.jwksUri,
      introspection_endpoint: server.introspectionUrl,
      revocation_endpoint: server.revocationUrl,
      grant_types_supported: ['client_credentials'],
      response_types_supported: [],
      scopes_supported: ['api:read', 'api:write', 'audit'],
      token_endpoint_auth_methods_supported: AUTH_METHODS,
      token_endpoint_auth_signing_alg_values_supported: SIGNING_ALGS,
      introspection_endpoint_auth_methods_supported: AUTH_METHODS,
      introspection_endpoint_auth_signing_alg_values_supported: SIGNING_ALGS,
      revocation_endpoint_auth_methods_supported: AUTH_METHODS,
      revocation_endpoint_auth_signing_alg_values_supported: SIGNING_ALGS,
      dpop_signing_alg_values_supported: server.dpop.algorithms,
    })
    assert.equal(metadata['issuer'], `http://127.0.0.1:${server.port}`)
  })

  test('29: the same document at /.well-known/openid-configuration', async () => {
    const oauth = await (await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)).text()
    const oidc = await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).text()
    assert.equal(oidc, oauth)
  })

  test('29: metadata and JWK Set answer GET and HEAD only', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/jwks']) {
      assert.equal((await fetch(server.issuer + path, { method: 'HEAD' })).status, 200, path)
      const post = await fetch(server.issuer + path, { method: 'POST' })
      assert.equal(post.status, 405, path)
      assert.equal(post.headers.get('allow'), 'GET, HEAD')
      assert.equal(((await post.json()) as { error: string }).error, 'invalid_request')
    }
  })

  test('29: the issuer is right for an IPv6 host', async (t) => {
    let v6: ReferenceServer
    try {
      v6 = await startReferenceServer({ clients, host: '::1' })
    } catch (error) {
      if ((error as { code?: string }).code === 'EADDRNOTAVAIL') return t.skip('no IPv6 loopback')
      throw error
    }
    try {
      const metadata = (await (await fetch(`${v6.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, string>
      assert.equal(metadata['issuer'], `http://[::1]:${v6.port}`)
      assert.equal(metadata['issuer'], v6.issuer)
      assert.equal(metadata['token_endpoint'], `http://[::1]:${v6.port}/token`)
      const config = await client.discovery(new URL(v6.issuer), 'svc', SECRET, client.ClientSecretBasic(SECRET), {
        algorithm: 'oauth2',
        execute: [client.allowInsecureRequests],
      })
      assert.equal(config.serverMetadata().issuer, v6.issuer)
    } finally {
      await v6.close()
    }
  })

  test('29: openid-client discovers the server (oidc and oauth2) and uses every endpoint', async () => {
    for (const algorithm of ['oidc', 'oauth2'] as const) {
      server.log.clear()
      const config = await client.discovery(new URL(server.issuer), 'svc', SECRET, client.ClientSecretBasic(SECRET), {
        algorithm,
        execute: [client.allowInsecureRequests],
      })
      const metadata = config.serverMetadata()
      assert.equal(metadata.issuer, server.issuer)
      assert.equal(metadata.token_endpoint, server.tokenUrl)
      const tokens = await client.clientCredentialsGrant(config, { scope: 'api:read' })
      assert.equal(tokens.token_type, 'bearer')
      assert.equal(tokens.scope, 'api:read')
      const active = await client.tokenIntrospection(config, tokens.access_token)
      assert.equal(active.active, true)
      assert.equal(active.client_id, 'svc')
      await client.tokenRevocation(config, tokens.access_token)
      assert.deepEqual({ ...(await client.tokenIntrospection(config, tokens.access_token)) }, { active: false })
      const wellKnown = algorithm === 'oidc' ? '/.well-known/openid-configuration' : '/.well-known/oauth-authorization-server'
      assert.deepEqual(
        server.log.entries.map((entry) => [entry.path, entry.status, entry.authMethod]),
        [
          [wellKnown, 200, 'none'],
          ['/token', 200, 'client_secret_basic'],
          ['/introspect', 200, 'client_secret_basic'],
          ['/revoke', 200, 'client_secret_basic'],
          ['/introspect', 200, 'client_secret_basic'],
        ],
      )
    }
  })

  test('29: openid-client with client_secret_post works against the same metadata', async () => {
    const config = await client.discovery(new URL(server.issuer), 'other', 'other-secret', client.ClientSecretPost('other-secret'), {
      execute: [client.allowInsecureRequests],
    })
    const tokens = await client.clientCredentialsGrant(config)
    assert.equal(tokens.scope, 'api:write audit')
    assert.equal(server.log.tokenRequests({ clientId: 'other' }).at(-1)?.authMethod, 'client_secret_post')
    assert.equal((await client.tokenIntrospection(config, tokens.access_token)).active, true)
    // Basic helper stays usable alongside: the same token, introspected by another client.
    const response = await fetch(server.introspectionUrl, {
      method: 'POST',
      headers: { authorization: basic('svc', SECRET), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.access_token }),
    })
    assert.equal(((await response.json()) as { client_id: string }).client_id, 'other')
  })
})
