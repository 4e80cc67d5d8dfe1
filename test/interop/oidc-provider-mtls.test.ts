// Interoperability of mutual TLS (RFC 8705) with oidc-provider over HTTPS: TokenClient with
// tls_client_auth (a certificate of a CA oidc-provider trusts, its subject DN registered) and
// self_signed_tls_client_auth (a certificate registered as the x5c of a JWK), by tokenUrl and by
// discovery (oidc-provider serves only /.well-known/openid-configuration and no mtls aliases, so
// the client falls back to the OpenID location and posts to token_endpoint); certificate-bound
// tokens (oidc-provider stores the x5t#S256 it bound the token to); refusals as typed errors.
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import type { TLSSocket } from 'node:tls'
import { exportJWK } from 'jose'
import { TokenClient, TokenClientError, type TokenClientOptions } from '../../src/index.js'
import {
  createSelfSignedCertificate,
  createTestCertificateAuthority,
  type IssuedCertificate,
} from '../../src/server/index.js'
import { rfc4514Subject } from '../../src/server/tls/peer-certificate.js'
import { startOidcProvider, type KoaContext, type OidcProvider, type RunningOidcProvider } from '../helpers/oidc-provider.js'

const SCOPE = 'api:read'
const TIMEOUT = { timeout: 15_000 }
const authority = createTestCertificateAuthority({ subject: { commonName: 'oidc-provider interop CA' } })
const serverCertificate = authority.issue({ ipAddresses: ['127.0.0.1'], usage: 'server' })
const pki = authority.issue({ subject: { commonName: 'pki-client', organization: 'Example' }, usage: 'client' })
const selfSigned = createSelfSignedCertificate({ subject: { commonName: 'self-signed-client' }, usage: 'client', keyType: 'rsa' })
const stranger = createSelfSignedCertificate({ usage: 'client' })
let oidc: RunningOidcProvider
let provider: OidcProvider
const clients: TokenClient[] = []

function peer(ctx: KoaContext): X509Certificate | undefined {
  return (ctx.socket as TLSSocket).getPeerX509Certificate?.() ?? undefined
}

before(async () => {
  const x509 = new X509Certificate(selfSigned.cert)
  const registration = {
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: SCOPE,
    tls_client_certificate_bound_access_tokens: true,
  }
  oidc = await startOidcProvider(
    {
      clients: [
        { ...registration, client_id: 'pki-client', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=pki-client,O=Example' },
        {
          ...registration,
          client_id: 'self-signed-client',
          token_endpoint_auth_method: 'self_signed_tls_client_auth',
          jwks: { keys: [{ ...(await exportJWK(x509.publicKey)), x5c: [x509.raw.toString('base64')] }] },
        },
      ],
      scopes: [SCOPE],
      clientAuthMethods: ['client_secret_basic', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'],
      features: {
        clientCredentials: { enabled: true },
        devInteractions: { enabled: false },
        mTLS: {
          enabled: true,
          certificateBoundAccessTokens: true,
          tlsClientAuth: true,
          selfSignedTlsClientAuth: true,
          getCertificate: (ctx: KoaContext) => peer(ctx),
          certificateAuthorized: (ctx: KoaContext) => (ctx.socket as TLSSocket).authorized === true,
          certificateSubjectMatches: (ctx: KoaContext, property: string, expected: string) =>
            property === 'tls_client_auth_subject_dn' && rfc4514Subject(peer(ctx)?.subject ?? '') === expected,
        },
      },
    },
    (configured) => {
      provider = configured
    },
    { cert: serverCertificate.cert, key: serverCertificate.key, clientCa: authority.cert },
  )
})
after(async () => {
  await Promise.all(clients.map((client) => client.close()))
  await oidc.close()
  assert.deepEqual(oidc.serverErrors, [])
})

function client(options: Omit<TokenClientOptions, 'tls'> & { identity: IssuedCertificate }): TokenClient {
  const { identity, ...rest } = options
  const made = new TokenClient({ ...rest, tls: { cert: identity.cert, key: identity.key, ca: authority.cert } } as TokenClientOptions)
  clients.push(made)
  return made
}

describe('TokenClient with mutual TLS against oidc-provider', () => {
  for (const [clientId, method, identity] of [
    ['pki-client', 'tls_client_auth', pki],
    ['self-signed-client', 'self_signed_tls_client_auth', selfSigned],
  ] as const) {
    test(`${method} by tokenUrl: a token bound to the certificate`, TIMEOUT, async () => {
      const tokens = client({ tokenUrl: oidc.tokenUrl, clientId, authMethod: method, identity })
      const token = await tokens.getToken(SCOPE)
      assert.equal(token.tokenType, 'Bearer')
      const stored = await provider.ClientCredentials.find(token.accessToken)
      assert.equal(stored?.clientId, clientId)
      assert.equal(stored?.['x5t#S256'], identity.thumbprint)
    })

    test(`${method} by discovery: the OpenID location, the method from the metadata`, TIMEOUT, async () => {
      const tokens = client({ issuer: oidc.issuer, clientId, authMethod: method, identity })
      const token = await tokens.getToken(SCOPE)
      assert.equal(tokens.options.tokenUrl, oidc.tokenUrl)
      assert.equal((await provider.ClientCredentials.find(token.accessToken))?.['x5t#S256'], identity.thumbprint)
    })
  }

  test('discovery without authMethod: a certificate alone chooses tls_client_auth', TIMEOUT, async () => {
    const tokens = client({ issuer: oidc.issuer, clientId: 'pki-client', identity: pki })
    await tokens.getToken(SCOPE)
    assert.equal(tokens.options.authMethod, 'tls_client_auth')
  })

  test('a certificate oidc-provider does not take: OAUTH_ERROR invalid_client, no retry', TIMEOUT, async () => {
    for (const [clientId, method] of [
      ['pki-client', 'tls_client_auth'],
      ['self-signed-client', 'self_signed_tls_client_auth'],
    ] as const) {
      const tokens = client({ tokenUrl: oidc.tokenUrl, clientId, authMethod: method, identity: stranger })
      await assert.rejects(tokens.getToken(SCOPE), (error: unknown) => {
        assert.ok(error instanceof TokenClientError)
        assert.equal(error.code, 'OAUTH_ERROR')
        assert.match(error.message, /answered 401 invalid_client:/)
        assert.equal(error.attempts, 1)
        return true
      })
    }
  })
})
