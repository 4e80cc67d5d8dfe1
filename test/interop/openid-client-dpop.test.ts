// Interoperability of DPoP (RFC 9449) with openid-client v6 against the reference server: its
// DPoP handle (getDPoPHandle with randomDPoPKeyPair) gets DPoP-bound tokens with nonces required
// at the token endpoint, and calls /resource with them (fetchProtectedResource), resource nonce
// required as well. What it sends, as the server logs it: a proof per request, the nonce after the
// first use_dpop_nonce, the key's thumbprint as the token's cnf.jkt.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { calculateJwkThumbprint, exportJWK } from 'jose'
import * as openid from 'openid-client'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'

const SCOPE = 'api:read'
const TIMEOUT = { timeout: 10_000 }
let server: ReferenceServer

before(async () => {
  server = await startReferenceServer({
    tokenFormat: 'jwt',
    throttle: false,
    dpop: { nonce: 'required', resourceNonce: true },
    clients: [{ clientId: 'svc', clientSecret: RESERVED_SECRET, scopes: [SCOPE], dpopBoundAccessTokens: true }],
  })
})
after(() => server.close())

async function discover(): Promise<openid.Configuration> {
  return openid.discovery(new URL(server.issuer), 'svc', RESERVED_SECRET, openid.ClientSecretBasic(RESERVED_SECRET), {
    execute: [openid.allowInsecureRequests],
    algorithm: 'oauth2',
  })
}

describe('openid-client DPoP against the reference server', () => {
  test('clientCredentialsGrant with a DPoP handle: use_dpop_nonce, then a DPoP token bound to the key', TIMEOUT, async () => {
    const config = await discover()
    assert.ok(config.serverMetadata().dpop_signing_alg_values_supported?.includes('ES256'))
    const keyPair = await openid.randomDPoPKeyPair('ES256')
    const dpop = openid.getDPoPHandle(config, keyPair)
    const seen = server.log.tokenRequests().length
    const tokens = await openid.clientCredentialsGrant(config, { scope: SCOPE }, { DPoP: dpop })
    assert.equal(tokens.token_type.toLowerCase(), 'dpop')
    const requests = server.log.tokenRequests().slice(seen)
    assert.deepEqual(requests.map((entry) => [entry.status, entry.error, entry.dpop?.nonce]), [
      [400, 'use_dpop_nonce', 'none'],
      [200, undefined, 'current'],
    ])
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey))
    assert.equal(requests[1]?.dpop?.jkt, jkt)

    // The token at the resource, with its resource nonce: openid-client retries use_dpop_nonce too.
    const resourceSeen = server.log.filter({ path: '/resource' }).length
    const response = await openid.fetchProtectedResource(config, tokens.access_token, new URL(server.resourceUrl), 'GET', undefined, undefined, { DPoP: dpop })
    assert.equal(response.status, 200)
    assert.equal(((await response.json()) as { client_id: string }).client_id, 'svc')
    const resource = server.log.filter({ path: '/resource' }).slice(resourceSeen)
    assert.deepEqual(resource.map((entry) => entry.status), [401, 200])
    assert.equal(resource[1]?.dpop?.jkt, jkt)
    assert.ok(!JSON.stringify(server.log).includes(tokens.access_token))
  })

  test('a client registered with dpopBoundAccessTokens is refused without DPoP', TIMEOUT, async () => {
    const config = await discover()
    await assert.rejects(openid.clientCredentialsGrant(config, { scope: SCOPE }), (error: Error & { error?: string; error_description?: string }) => {
      assert.equal(error.error, 'invalid_request')
      assert.equal(error.error_description, 'this client requires DPoP-bound tokens')
      return true
    })
  })
})
