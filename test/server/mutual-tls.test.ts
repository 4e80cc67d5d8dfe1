// Mutual TLS at the reference server (RFC 8705): HTTPS with `tls: true` or given certificates,
// tls_client_auth (subject DN and each SAN kind; the chain verified against the client CA) and
// self_signed_tls_client_auth (a certificate in the client's jwks x5c), looked at only at the
// mutual-TLS aliases; certificate-bound tokens (cnf.x5t#S256) in JWTs, introspection and /resource;
// metadata (mtls_endpoint_aliases); and the request log (subject and thumbprint, never a key).
// Every request goes over a real TLS connection on loopback, with certificates made by
// createTestCertificateAuthority.
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { inspect } from 'node:util'
import { decodeJwt } from 'jose'
import { Agent, request } from 'undici'
import {
  createSelfSignedCertificate,
  createTestCertificateAuthority,
  startReferenceServer,
  type IssuedCertificate,
  type ReferenceServer,
} from '../../src/server/index.js'
import { certificateJwk } from '../helpers/mutual-tls-fixture.js'
import { SECRET, basic } from './helpers.js'

let server: ReferenceServer
let ca: string
const identities: Record<string, IssuedCertificate> = {}
const agents: Agent[] = []

before(async () => {
  identities['self'] = createSelfSignedCertificate({ subject: { commonName: 'self-signed svc' }, usage: 'client' })
  identities['self-rsa'] = createSelfSignedCertificate({ subject: { commonName: 'self rsa' }, usage: 'client', keyType: 'rsa' })
  identities['self-expired'] = createSelfSignedCertificate({
    usage: 'client',
    notBefore: new Date(Date.now() - 3 * 86_400_000),
    notAfter: new Date(Date.now() - 86_400_000),
  })
  server = await startReferenceServer({
    tls: true,
    throttle: false,
    tokenFormat: 'jwt',
    clients: [
      { clientId: 'dn', tlsClientAuth: { subjectDn: 'CN=orders, OU=payments, O=Example\\, Inc., C=DE' }, scopes: ['api:read'] },
      { clientId: 'dns', tlsClientAuth: { sanDns: 'orders.internal.example' }, scopes: [] },
      { clientId: 'uri', tlsClientAuth: { sanUri: 'spiffe://example.org/orders' }, scopes: [] },
      { clientId: 'ip', tlsClientAuth: { sanIp: '10.0.0.7' }, scopes: [] },
      { clientId: 'email', tlsClientAuth: { sanEmail: 'orders@example.com' }, scopes: [] },
      { clientId: 'self', jwks: { keys: [await certificateJwk(identities['self'])] }, scopes: ['api:read'] },
      { clientId: 'self-rsa', jwks: { keys: [await certificateJwk(identities['self-rsa'])] }, scopes: [] },
      { clientId: 'self-expired', jwks: { keys: [await certificateJwk(identities['self-expired'])] }, scopes: [] },
      { clientId: 'secret', clientSecret: SECRET, scopes: ['api:read'] },
    ],
  })
  const authority = server.certificateAuthority
  assert.ok(authority)
  ca = authority.cert
  identities['dn'] = authority.issue({
    subject: { commonName: 'orders', organizationalUnit: 'payments', organization: 'Example, Inc.', country: 'DE' },
    usage: 'client',
  })
  identities['dn-other'] = authority.issue({ subject: { commonName: 'orders', organization: 'Other' }, usage: 'client' })
  identities['dns'] = authority.issue({ dnsNames: ['orders.internal.example'], usage: 'client' })
  identities['dns-wildcard'] = authority.issue({ dnsNames: ['*.internal.example'], usage: 'client' })
  identities['uri'] = authority.issue({ uris: ['spiffe://example.org/orders'], usage: 'client' })
  identities['uri-prefix'] = authority.issue({ uris: ['spiffe://example.org/orders/extra'], usage: 'client' })
  identities['ip'] = authority.issue({ ipAddresses: ['10.0.0.7'], usage: 'client' })
  identities['email'] = authority.issue({ emails: ['orders@example.com'], usage: 'client' })
  // A certificate with the DN of 'dn' from a CA the server does not trust.
  identities['dn-foreign'] = createTestCertificateAuthority().issue({
    subject: { commonName: 'orders', organizationalUnit: 'payments', organization: 'Example, Inc.', country: 'DE' },
    usage: 'client',
  })
})
after(async () => {
  await Promise.all(agents.map((agent) => agent.close()))
  await server.close()
})
beforeEach(() => server.log.clear())

/** An agent that trusts the server's CA and presents `identity` (none when undefined). */
function agentFor(identity: IssuedCertificate | undefined): Agent {
  const agent = new Agent({ connect: identity === undefined ? { ca } : { ca, cert: identity.cert, key: identity.key } })
  agents.push(agent)
  return agent
}

async function post(path: string, form: Record<string, string>, identity: IssuedCertificate | undefined, headers: Record<string, string> = {}) {
  const response = await request(server.issuer + path, {
    method: 'POST',
    dispatcher: agentFor(identity),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  })
  return { status: response.statusCode, headers: response.headers, body: (await response.body.json()) as Record<string, unknown> }
}

function tokenRequest(clientId: string, identity: IssuedCertificate | undefined, path = '/mtls/token') {
  return post(path, { grant_type: 'client_credentials', client_id: clientId }, identity)
}

describe('HTTPS', () => {
  test('tls: true serves https on loopback with a certificate of the throwaway CA; the URLs say https', async () => {
    assert.match(server.issuer, /^https:\/\/127\.0\.0\.1:\d+$/)
    assert.equal(server.tokenUrl, `${server.issuer}/token`)
    assert.equal(server.mtlsTokenUrl, `${server.issuer}/mtls/token`)
    const response = await request(`${server.issuer}/.well-known/oauth-authorization-server`, { dispatcher: agentFor(undefined) })
    assert.equal(response.statusCode, 200)
    await response.body.dump()
  })

  test('a client that does not trust the CA cannot connect', async () => {
    const agent = new Agent()
    agents.push(agent)
    await assert.rejects(request(server.tokenUrl, { method: 'POST', dispatcher: agent }), (error: Error) => {
      const code = (error as { code?: string }).code ?? (error.cause as { code?: string } | undefined)?.code
      assert.match(String(code), /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/)
      return true
    })
  })

  test('the metadata lists the mutual-TLS methods, the aliases and certificate binding (RFC 8705 §3.3, §5)', async () => {
    const response = await request(`${server.issuer}/.well-known/oauth-authorization-server`, { dispatcher: agentFor(undefined) })
    const metadata = (await response.body.json()) as Record<string, unknown>
    assert.deepEqual(metadata['mtls_endpoint_aliases'], {
      token_endpoint: `${server.issuer}/mtls/token`,
      introspection_endpoint: `${server.issuer}/mtls/introspect`,
      revocation_endpoint: `${server.issuer}/mtls/revoke`,
    })
    assert.equal(metadata['tls_client_certificate_bound_access_tokens'], true)
    for (const member of ['token_endpoint_auth_methods_supported', 'introspection_endpoint_auth_methods_supported', 'revocation_endpoint_auth_methods_supported']) {
      const methods = metadata[member] as string[]
      assert.ok(methods.includes('tls_client_auth') && methods.includes('self_signed_tls_client_auth'), member)
    }
  })

  test('over plain HTTP the metadata has neither the mutual-TLS methods nor aliases, and /mtls/token is 404', async () => {
    const plain = await startReferenceServer({ clients: [{ clientId: 'secret', clientSecret: SECRET, scopes: [] }] })
    try {
      const metadata = (await (await request(`${plain.issuer}/.well-known/oauth-authorization-server`)).body.json()) as Record<string, unknown>
      assert.equal(metadata['mtls_endpoint_aliases'], undefined)
      assert.equal(metadata['tls_client_certificate_bound_access_tokens'], undefined)
      assert.ok(!(metadata['token_endpoint_auth_methods_supported'] as string[]).includes('tls_client_auth'))
      assert.equal(plain.mtlsTokenUrl, undefined)
      assert.equal(plain.certificateAuthority, undefined)
      const response = await request(`${plain.issuer}/mtls/token`, { method: 'POST', body: 'grant_type=client_credentials' })
      assert.equal(response.statusCode, 404)
      await response.body.dump()
    } finally {
      await plain.close()
    }
  })

  test('given certificates: the server serves them, and clientCa decides which chains verify', async () => {
    const authority = createTestCertificateAuthority({ subject: { commonName: 'given CA' } })
    const own = authority.issue({ ipAddresses: ['127.0.0.1'], usage: 'server' })
    const given = await startReferenceServer({
      tls: { cert: own.cert, key: own.key, clientCa: authority.cert },
      clients: [{ clientId: 'svc', tlsClientAuth: { subjectDn: 'CN=svc' }, scopes: [] }],
    })
    try {
      assert.equal(given.certificateAuthority, undefined)
      const identity = authority.issue({ subject: { commonName: 'svc' }, usage: 'client' })
      const agent = new Agent({ connect: { ca: authority.cert, cert: identity.cert, key: identity.key } })
      agents.push(agent)
      const response = await request(`${given.issuer}/mtls/token`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=svc',
      })
      assert.equal(response.statusCode, 200)
      await response.body.dump()
    } finally {
      await given.close()
    }
  })

  test('bad tls options are TypeErrors naming the member, never quoting the key', async () => {
    const own = createSelfSignedCertificate({ ipAddresses: ['127.0.0.1'] })
    const other = createSelfSignedCertificate()
    const cases: [unknown, RegExp][] = [
      ['yes', /options\.tls must be true or/],
      [{ cert: 'not a pem', key: own.key }, /options\.tls\.cert is not a PEM certificate/],
      [{ cert: own.cert, key: other.key }, /options\.tls\.key must be an unencrypted PEM private key that matches/],
      [{ cert: own.cert, key: own.key, clientCa: ['nope'] }, /options\.tls\.clientCa\[0\] is not a PEM certificate/],
      [{ cert: own.cert, key: own.key, ca: own.cert }, /options\.tls\.ca is not an option/],
    ]
    for (const [tls, message] of cases) {
      await assert.rejects(startReferenceServer({ tls: tls as never }), (error: Error) => {
        assert.ok(error instanceof TypeError)
        assert.match(error.message, message)
        assert.ok(!error.message.includes('PRIVATE KEY'))
        return true
      })
    }
  })
})

describe('tls_client_auth (RFC 8705 §2.1)', () => {
  test('a certificate of the client CA with the registered subject DN authenticates; the log says so', async () => {
    const { status, body } = await tokenRequest('dn', identities['dn'])
    assert.equal(status, 200, JSON.stringify(body))
    const [entry] = server.log.tokenRequests()
    assert.equal(entry?.authMethod, 'tls_client_auth')
    assert.equal(entry?.clientId, 'dn')
    assert.deepEqual(entry?.clientCertificate, { subject: identities['dn']!.subject, thumbprint: identities['dn']!.thumbprint })
    assert.ok(!JSON.stringify(server.log).includes(identities['dn']!.key))
  })

  for (const kind of ['dns', 'uri', 'ip', 'email'] as const) {
    test(`the registered ${kind} subject alternative name authenticates`, async () => {
      const { status, body } = await tokenRequest(kind, identities[kind])
      assert.equal(status, 200, JSON.stringify(body))
    })
  }

  test('another DN, a wildcard DNS name, a longer URI and another client id are refused with a precise invalid_client', async () => {
    const cases: [string, string][] = [
      ['dn', 'dn-other'],
      ['dns', 'dns-wildcard'],
      ['uri', 'uri-prefix'],
      ['ip', 'dns'],
      ['email', 'dn'],
      ['dns', 'dn'],
    ]
    for (const [clientId, identity] of cases) {
      const { status, body } = await tokenRequest(clientId, identities[identity])
      assert.equal(status, 401, `${clientId} with ${identity}`)
      assert.equal(body['error'], 'invalid_client')
      assert.equal(body['error_description'], 'the client certificate does not carry the subject DN or name registered in tlsClientAuth')
    }
  })

  test("a certificate with the right DN from a CA the server does not trust is refused: its chain did not verify", async () => {
    const { status, body } = await tokenRequest('dn', identities['dn-foreign'])
    assert.equal(status, 401)
    assert.equal(body['error_description'], "the client certificate's chain did not verify against the server's client CA (tls_client_auth)")
    assert.equal(server.log.tokenRequests()[0]?.authMethod, 'self_signed_tls_client_auth')
  })

  test('client_id is required (RFC 8705 §2); an unknown client is refused like a wrong one', async () => {
    const missing = await post('/mtls/token', { grant_type: 'client_credentials' }, identities['dn'])
    assert.equal(missing.status, 400)
    assert.equal(missing.body['error_description'], 'client_id is required with tls_client_auth (RFC 8705, section 2)')
    const unknown = await tokenRequest('nobody', identities['dn'])
    assert.equal(unknown.status, 401)
    assert.equal(unknown.body['error_description'], 'client authentication failed')
  })

  test('a client without tlsClientAuth is refused for tls_client_auth', async () => {
    const { status, body } = await tokenRequest('secret', identities['dn'])
    assert.equal(status, 401)
    assert.equal(body['error_description'], 'the client has no tlsClientAuth registered for tls_client_auth')
  })

  test('at the plain /token the certificate is not looked at: the answer points at the alias', async () => {
    const { status, body } = await tokenRequest('dn', identities['dn'], '/token')
    assert.equal(status, 401)
    assert.equal(body['error'], 'invalid_client')
    assert.match(String(body['error_description']), /only at the mutual-TLS endpoint aliases \(https:\/\/127\.0\.0\.1:\d+\/mtls\/token/)
    assert.equal(server.log.tokenRequests()[0]?.clientCertificate, undefined)
  })

  test('without a certificate, a client_id alone is refused at the alias as anywhere', async () => {
    const { status, body } = await tokenRequest('dn', undefined)
    assert.equal(status, 401)
    assert.equal(body['error'], 'invalid_client')
  })

  test('the mutual-TLS introspection alias authenticates by certificate too', async () => {
    const token = (await tokenRequest('dn', identities['dn'])).body['access_token'] as string
    const { status, body } = await post('/mtls/introspect', { token, client_id: 'dn' }, identities['dn'])
    assert.equal(status, 200)
    assert.equal(body['active'], true)
    assert.deepEqual(body['cnf'], { 'x5t#S256': identities['dn']!.thumbprint })
  })
})

describe('self_signed_tls_client_auth (RFC 8705 §2.2)', () => {
  test('the certificate registered as x5c authenticates, EC and RSA', async () => {
    for (const clientId of ['self', 'self-rsa']) {
      const { status, body } = await tokenRequest(clientId, identities[clientId])
      assert.equal(status, 200, `${clientId}: ${JSON.stringify(body)}`)
      assert.equal(server.log.tokenRequests().at(-1)?.authMethod, 'self_signed_tls_client_auth')
    }
  })

  test('another self-signed certificate, one of another client and an expired one are refused', async () => {
    const stranger = createSelfSignedCertificate({ usage: 'client' })
    const cases: [string, IssuedCertificate, string][] = [
      ['self', stranger, "the client certificate is not one registered in the client's jwks (x5c)"],
      ['self', identities['self-rsa']!, "the client certificate is not one registered in the client's jwks (x5c)"],
      ['self-expired', identities['self-expired']!, 'the client certificate is not valid at this time'],
      ['secret', stranger, 'the client has no certificate registered (jwks x5c) for self_signed_tls_client_auth'],
    ]
    for (const [clientId, identity, description] of cases) {
      const { status, body } = await tokenRequest(clientId, identity)
      assert.equal(status, 401, clientId)
      assert.equal(body['error_description'], description)
    }
  })

  test('registration refuses an x5c that is not base64 DER, or does not hold the JWK', async () => {
    const jwk = await certificateJwk(identities['self']!)
    const other = await certificateJwk(identities['self-rsa']!)
    const cases: [unknown, RegExp][] = [
      [{ ...jwk, x5c: 'MIIB' }, /jwks\.keys\[0\]\.x5c must be a non-empty array of base64 DER certificates/],
      [{ ...jwk, x5c: ['not base64!'] }, /jwks\.keys\[0\]\.x5c must be a non-empty array/],
      [{ ...jwk, x5c: ['AAAA'] }, /jwks\.keys\[0\]\.x5c\[0\] is not an X\.509 certificate/],
      [{ ...jwk, x5c: other.x5c }, /jwks\.keys\[0\]\.x5c\[0\] does not hold the public key of the JWK/],
    ]
    for (const [key, message] of cases) {
      await assert.rejects(startReferenceServer({ clients: [{ clientId: 'c', jwks: { keys: [key as never] }, scopes: [] }] }), message)
    }
  })
})

describe('tlsClientAuth registration', () => {
  test('exactly one member, a non-empty string, an IP for sanIp; a client with only tlsClientAuth is registered', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /tlsClientAuth must have exactly one of subjectDn, sanDns, sanUri, sanIp, sanEmail/],
      [{ subjectDn: 'CN=a', sanDns: 'a' }, /must have exactly one of/],
      [{ sanDns: '' }, /tlsClientAuth\.sanDns must be a non-empty string/],
      [{ sanIp: 'localhost' }, /tlsClientAuth\.sanIp must be an IPv4 or IPv6 address/],
      [{ subjectDN: 'CN=a' }, /tlsClientAuth\.subjectDN is not a member/],
      ['CN=a', /tlsClientAuth must be an object/],
    ]
    for (const [tlsClientAuth, message] of cases) {
      await assert.rejects(startReferenceServer({ clients: [{ clientId: 'c', tlsClientAuth: tlsClientAuth as never, scopes: [] }] }), message)
    }
  })
})

describe('certificate-bound tokens (RFC 8705 §3)', () => {
  test('a token issued at the alias is bound: cnf.x5t#S256 in the JWT and in introspection', async () => {
    const { body } = await tokenRequest('dn', identities['dn'])
    const claims = decodeJwt(body['access_token'] as string)
    assert.deepEqual(claims['cnf'], { 'x5t#S256': identities['dn']!.thumbprint })
    assert.equal(body['token_type'], 'Bearer')
  })

  test('a secret client over a connection with a certificate at the alias gets a bound token too; at /token, not', async () => {
    const authorization = basic('secret', SECRET)
    const form = { grant_type: 'client_credentials' }
    const atAlias = await post('/mtls/token', form, identities['dn'], { authorization })
    assert.equal(atAlias.status, 200)
    assert.equal(server.log.tokenRequests()[0]?.authMethod, 'client_secret_basic')
    assert.deepEqual(decodeJwt(atAlias.body['access_token'] as string)['cnf'], { 'x5t#S256': identities['dn']!.thumbprint })
    const plain = await post('/token', form, identities['dn'], { authorization })
    assert.equal(plain.status, 200)
    assert.equal(decodeJwt(plain.body['access_token'] as string)['cnf'], undefined)
  })

  test('/resource takes a bound token only over a connection presenting its certificate', async () => {
    const token = (await tokenRequest('dn', identities['dn'])).body['access_token'] as string
    const resource = (identity: IssuedCertificate | undefined) =>
      request(server.resourceUrl, { dispatcher: agentFor(identity), headers: { authorization: `Bearer ${token}` } })
    const same = await resource(identities['dn'])
    assert.equal(same.statusCode, 200)
    assert.equal(((await same.body.json()) as { client_id: string }).client_id, 'dn')
    const entry = server.log.entries.at(-1)
    assert.equal(entry?.path, '/resource')
    assert.equal(entry?.clientCertificate?.thumbprint, identities['dn']!.thumbprint)
    for (const identity of [undefined, identities['dn-other']]) {
      const other = await resource(identity)
      assert.equal(other.statusCode, 401)
      assert.match(String(other.headers['www-authenticate']), /error="invalid_token"/)
      assert.match(String(other.headers['www-authenticate']), /bound to a client certificate/)
      await other.body.dump()
    }
  })

  test('an unbound token works over any connection', async () => {
    const token = (await post('/token', { grant_type: 'client_credentials' }, undefined, { authorization: basic('secret', SECRET) })).body['access_token'] as string
    const response = await request(server.resourceUrl, { dispatcher: agentFor(identities['self']), headers: { authorization: `Bearer ${token}` } })
    assert.equal(response.statusCode, 200)
    await response.body.dump()
  })

  test('nothing of a private key in the server, its log or its certificate authority as inspected or serialised', async () => {
    await tokenRequest('dn', identities['dn'])
    const authority = server.certificateAuthority!
    for (const text of [inspect(server, { depth: 6 }), JSON.stringify(server.log), inspect(authority), JSON.stringify(authority)]) {
      assert.ok(!text.includes('PRIVATE KEY'), text.slice(0, 200))
    }
  })
})
