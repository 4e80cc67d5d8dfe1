// Interoperability of mutual-TLS client authentication and certificate-bound tokens (RFC 8705):
// openid-client v6's TlsClientAuth, with `use_mtls_endpoint_aliases` and an undici Agent that
// presents the client certificate (its documented set-up), gets tokens from the reference server
// over HTTPS, found by discovery. A certificate of the server's CA authenticates as tls_client_auth,
// a registered self-signed one as self_signed_tls_client_auth; either way the token is bound to
// the certificate, and the protected resource takes it only over a connection that presents it.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { decodeJwt } from 'jose'
import * as openid from 'openid-client'
import { Agent, fetch as undiciFetch, request } from 'undici'
import type { IssuedCertificate, ReferenceServer } from '../../src/server/index.js'
import { startMutualTlsFixture } from '../helpers/mutual-tls-fixture.js'

const SCOPE = 'api:read'
const TIMEOUT = { timeout: 10_000 }
let server: ReferenceServer
let pki: IssuedCertificate
let selfSigned: IssuedCertificate
const agents: Agent[] = []

before(async () => {
  ;({ server, pki, selfSigned } = await startMutualTlsFixture({ pkiClientId: 'pki', selfSignedClientId: 'self', scopes: [SCOPE] }))
})
after(async () => {
  await Promise.all(agents.map((agent) => agent.close()))
  await server.close()
})

function agentFor(identity: IssuedCertificate | undefined): Agent {
  const ca = server.certificateAuthority!.cert
  const agent = new Agent({ connect: identity === undefined ? { ca } : { ca, cert: identity.cert, key: identity.key } })
  agents.push(agent)
  return agent
}

/** openid-client configured by discovery, as its documentation shows for mTLS. */
async function discover(clientId: string, identity: IssuedCertificate): Promise<openid.Configuration> {
  const agent = agentFor(identity)
  const fetchWithCertificate: openid.CustomFetch = (url, options) =>
    undiciFetch(url, { ...(options as object), dispatcher: agent }) as unknown as Promise<Response>
  const config = await openid.discovery(new URL(server.issuer), clientId, { use_mtls_endpoint_aliases: true }, openid.TlsClientAuth(), {
    [openid.customFetch]: fetchWithCertificate,
    algorithm: 'oauth2',
  })
  config[openid.customFetch] = fetchWithCertificate
  return config
}

describe('openid-client TlsClientAuth against the reference server', () => {
  for (const [clientId, method] of [
    ['pki', 'tls_client_auth'],
    ['self', 'self_signed_tls_client_auth'],
  ] as const) {
    test(`${method}: discovery, the alias, a certificate-bound token`, TIMEOUT, async () => {
      const identity = clientId === 'pki' ? pki : selfSigned
      const config = await discover(clientId, identity)
      assert.equal(config.serverMetadata().mtls_endpoint_aliases?.token_endpoint, server.mtlsTokenUrl)
      const seen = server.log.tokenRequests().length
      const tokens = await openid.clientCredentialsGrant(config, { scope: SCOPE })
      const [entry] = server.log.tokenRequests().slice(seen)
      assert.equal(entry?.path, '/mtls/token')
      assert.equal(entry?.authMethod, method)
      assert.equal(entry?.status, 200)
      assert.deepEqual(entry?.clientCertificate, { subject: identity.subject, thumbprint: identity.thumbprint })
      assert.deepEqual(decodeJwt(tokens.access_token)['cnf'], { 'x5t#S256': identity.thumbprint })

      const resource = async (presented: IssuedCertificate | undefined) => {
        const response = await request(server.resourceUrl, {
          dispatcher: agentFor(presented),
          headers: { authorization: `Bearer ${tokens.access_token}` },
        })
        await response.body.dump()
        return response.statusCode
      }
      assert.equal(await resource(identity), 200)
      assert.equal(await resource(undefined), 401)
      assert.equal(await resource(clientId === 'pki' ? selfSigned : pki), 401)
    })
  }

  test('without use_mtls_endpoint_aliases openid-client posts to /token, where the answer names the alias', TIMEOUT, async () => {
    const agent = agentFor(pki)
    const fetchWithCertificate: openid.CustomFetch = (url, options) =>
      undiciFetch(url, { ...(options as object), dispatcher: agent }) as unknown as Promise<Response>
    const config = await openid.discovery(new URL(server.issuer), 'pki', {}, openid.TlsClientAuth(), {
      [openid.customFetch]: fetchWithCertificate,
      algorithm: 'oauth2',
    })
    config[openid.customFetch] = fetchWithCertificate
    const seen = server.log.tokenRequests().length
    // A 401 with a Basic challenge: openid-client rejects with a WWWAuthenticateChallengeError.
    await assert.rejects(openid.clientCredentialsGrant(config, { scope: SCOPE }), { name: 'WWWAuthenticateChallengeError' })
    const [entry] = server.log.tokenRequests().slice(seen)
    assert.equal(entry?.path, '/token')
    assert.equal(entry?.status, 401)
    assert.equal(entry?.error, 'invalid_client')
    assert.equal(entry?.clientCertificate, undefined)
  })
})
