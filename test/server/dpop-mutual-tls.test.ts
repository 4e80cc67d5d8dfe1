// DPoP at the mutual-TLS alias (RFC 9449 with RFC 8705): htu is the alias, and a token issued there
// with a proof is bound both ways, cnf holding x5t#S256 and jkt.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { decodeJwt } from 'jose'
import { Agent, request } from 'undici'
import type { IssuedCertificate } from '../../src/server/index.js'
import { startMutualTlsFixture, type MutualTlsFixture } from '../helpers/mutual-tls-fixture.js'
import { ath, proofKey, signProof, type ProofKey } from './dpop-helpers.js'

describe('DPoP at the mutual-TLS alias', () => {
  let fixture: MutualTlsFixture
  let key: ProofKey
  const agents: Agent[] = []
  const agentFor = (identity: IssuedCertificate | undefined): Agent => {
    const agent = new Agent({ connect: identity === undefined ? { ca: fixture.ca } : { ca: fixture.ca, cert: identity.cert, key: identity.key } })
    agents.push(agent)
    return agent
  }
  const tokenAt = async (path: string, htu: string) => {
    const { server, pki } = fixture
    const proof = await signProof(key, { htm: 'POST', htu }, Date.now())
    const response = await request(server.issuer + path, {
      method: 'POST',
      dispatcher: agentFor(pki),
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: proof },
      body: 'grant_type=client_credentials&client_id=orders',
    })
    return { status: response.statusCode, headers: response.headers, body: (await response.body.json()) as Record<string, unknown> }
  }

  before(async () => {
    fixture = await startMutualTlsFixture({ pkiClientId: 'orders', selfSignedClientId: 'billing', scopes: ['api:read'], server: { dpop: {} } })
    key = await proofKey('ES256')
  })
  after(async () => {
    await Promise.all(agents.map((agent) => agent.close()))
    await fixture.server.close()
  })

  test('htu must be the alias URL: a proof for /token is refused at /mtls/token', async () => {
    const { server } = fixture
    const refused = await tokenAt('/mtls/token', server.tokenUrl)
    assert.equal(refused.status, 400)
    assert.deepEqual(refused.body, {
      error: 'invalid_dpop_proof',
      error_description: 'the DPoP proof htu must be the URL of this endpoint, without query and fragment',
    })
  })

  test('a token from the alias with a proof is bound to the certificate and the key: cnf has both', async () => {
    const { server, pki } = fixture
    const response = await tokenAt('/mtls/token', server.mtlsTokenUrl!)
    assert.equal(response.status, 200, JSON.stringify(response.body))
    assert.equal(response.body['token_type'], 'DPoP')
    const token = response.body['access_token'] as string
    assert.deepEqual(decodeJwt(token)['cnf'], { 'x5t#S256': pki.thumbprint, jkt: key.jkt })
    const [entry] = server.log.tokenRequests()
    assert.equal(entry?.path, '/mtls/token')
    assert.equal(entry?.dpop?.jkt, key.jkt)
    const resource = (identity: IssuedCertificate | undefined) =>
      signProof(key, { htm: 'GET', htu: server.resourceUrl, ath: ath(token) }, Date.now()).then((proof) =>
        request(server.resourceUrl, { dispatcher: agentFor(identity), headers: { authorization: `DPoP ${token}`, dpop: proof } }),
      )
    const ok = await resource(pki)
    assert.equal(ok.statusCode, 200)
    await ok.body.dump()
    const withoutCertificate = await resource(undefined)
    assert.equal(withoutCertificate.statusCode, 401)
    assert.match(String(withoutCertificate.headers['www-authenticate']), /^DPoP algs="[^"]+", error="invalid_token", error_description="the access token is bound to a client certificate/)
    await withoutCertificate.body.dump()
  })
})
