// The test certificates, read back by Node's own X509Certificate, used in real TLS handshakes on
// loopback (mutual TLS through undici), and checked by `openssl verify` where there is one.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { test } from 'node:test'
import { inspect } from 'node:util'
import { Agent, request } from 'undici'
import * as der from '../../src/server/tls/der.js'
import { createSelfSignedCertificate, createTestCertificateAuthority, type CertificateRequest, type IssuedCertificate } from '../../src/server/tls/test-certificates.js'

const ca = createTestCertificateAuthority({ subject: { commonName: 'oauth2cc test CA', organization: 'Example' } })
const otherCa = createTestCertificateAuthority()
const serverCertificate = ca.issue({ subject: { commonName: 'localhost' }, ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'], usage: 'server' })
const clientCertificate = ca.issue({ subject: { commonName: 'orders', organizationalUnit: 'payments', organization: 'Example', country: 'DE' }, usage: 'client' })

const x509 = (certificate: IssuedCertificate) => new X509Certificate(certificate.cert)
const sha256 = (raw: Buffer) => createHash('sha256').update(raw).digest('base64url')
const body = (pem: string) => pem.split('\n')[1] ?? 'missing'

test('der: integers stay positive, named bits drop trailing zeros, OIDs and times encode as DER', () => {
  assert.deepEqual(der.integer(0), Buffer.from([0x02, 0x01, 0x00]))
  assert.deepEqual(der.integer(127), Buffer.from([0x02, 0x01, 0x7f]))
  assert.deepEqual(der.integer(128), Buffer.from([0x02, 0x02, 0x00, 0x80]))
  assert.deepEqual(der.integer(Buffer.from([0x00, 0x00, 0x81])), Buffer.from([0x02, 0x02, 0x00, 0x81]))
  assert.deepEqual(der.namedBits([0]), Buffer.from([0x03, 0x02, 0x07, 0x80]))
  assert.deepEqual(der.namedBits([5, 6]), Buffer.from([0x03, 0x02, 0x01, 0x06]))
  assert.deepEqual(der.namedBits([0, 8]), Buffer.from([0x03, 0x03, 0x07, 0x80, 0x80]))
  assert.deepEqual(der.oid('1.2.840.10045.4.3.2'), Buffer.from('06082a8648ce3d040302', 'hex'))
  assert.deepEqual(der.oid('2.5.29.37'), Buffer.from('0603551d25', 'hex'))
  assert.deepEqual(der.derLength(127), Buffer.from([0x7f]))
  assert.deepEqual(der.derLength(128), Buffer.from([0x81, 0x80]))
  assert.deepEqual(der.derLength(300), Buffer.from([0x82, 0x01, 0x2c]))
  assert.deepEqual(der.time(new Date('2049-12-31T23:59:59.900Z')), Buffer.concat([Buffer.from([0x17, 13]), Buffer.from('491231235959Z')]))
  assert.deepEqual(der.time(new Date('2050-01-01T00:00:00Z')), Buffer.concat([Buffer.from([0x18, 15]), Buffer.from('20500101000000Z')]))
  assert.deepEqual(der.contextExplicit(0, der.integer(2)), Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02]))
  assert.deepEqual(der.set(der.integer(2), der.integer(1)), Buffer.from([0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]))
  const long = der.octetString(Buffer.alloc(200))
  const read = der.readElement(der.sequence(long, der.boolean(true)))
  assert.equal(read.tag, 0x30)
  const first = der.readElement(read.contents)
  assert.equal(first.contents.length, 200)
  assert.deepEqual(der.readElement(read.contents, first.end).contents, Buffer.from([0xff]))
  assert.throws(() => der.readElement(Buffer.from([0x04, 0x05, 0x00])), RangeError)
})

test('the CA certificate: self-signed, CA:TRUE, its key, its thumbprint', () => {
  const certificate = x509(ca)
  assert.equal(certificate.subject, 'O=Example\nCN=oauth2cc test CA')
  assert.equal(certificate.issuer, certificate.subject)
  assert.equal(ca.subject, 'CN=oauth2cc test CA,O=Example')
  assert.equal(certificate.ca, true)
  assert.ok(certificate.checkIssued(certificate))
  assert.ok(certificate.verify(certificate.publicKey))
  assert.ok(certificate.checkPrivateKey(createPrivateKey(ca.key)))
  assert.equal(certificate.publicKey.asymmetricKeyType, 'ec')
  assert.equal(certificate.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1')
  assert.equal(certificate.keyUsage, undefined, 'no extendedKeyUsage on the CA')
  assert.equal(certificate.subjectAltName, undefined)
  assert.equal(ca.thumbprint, sha256(certificate.raw))
  assert.match(ca.key, /^-----BEGIN PRIVATE KEY-----\n/)
  assert.notEqual(ca.thumbprint, otherCa.thumbprint)
})

test('an issued certificate: subject, SANs, usage, validity, issuer and signature read back by X509Certificate', () => {
  const before = Date.now()
  const issued = ca.issue({
    subject: { commonName: 'svc', organizationalUnit: 'payments', organization: 'Example', locality: 'Berlin', state: 'Berlin', country: 'DE' },
    dnsNames: ['svc.example', '*.svc.example'],
    ipAddresses: ['127.0.0.1', '::1', '2001:db8::ffff:192.0.2.1'],
    uris: ['spiffe://example.org/orders'],
    emails: ['ops@example.org'],
  })
  const certificate = x509(issued)
  const authority = x509(ca)
  assert.equal(certificate.subject, 'C=DE\nST=Berlin\nL=Berlin\nO=Example\nOU=payments\nCN=svc')
  assert.equal(issued.subject, 'CN=svc,OU=payments,O=Example,L=Berlin,ST=Berlin,C=DE')
  assert.equal(certificate.issuer, authority.subject)
  assert.equal(certificate.subjectAltName, 'DNS:svc.example, DNS:*.svc.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:2001:DB8:0:0:0:FFFF:C000:201, URI:spiffe://example.org/orders, email:ops@example.org')
  assert.equal(certificate.checkHost('a.svc.example'), '*.svc.example')
  assert.equal(certificate.checkHost('other.example'), undefined)
  assert.equal(certificate.checkIP('::1'), '::1')
  assert.equal(certificate.checkEmail('ops@example.org'), 'ops@example.org')
  assert.equal(certificate.ca, false)
  assert.deepEqual(certificate.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'])
  assert.ok(certificate.checkIssued(authority))
  assert.ok(!certificate.checkIssued(x509(otherCa)))
  assert.ok(certificate.verify(authority.publicKey))
  assert.ok(!certificate.verify(x509(otherCa).publicKey))
  assert.ok(!certificate.verify(certificate.publicKey))
  assert.ok(certificate.checkPrivateKey(createPrivateKey(issued.key)))
  assert.ok(!certificate.checkPrivateKey(createPrivateKey(ca.key)))
  assert.equal(issued.thumbprint, sha256(certificate.raw))
  assert.match(issued.thumbprint, /^[\w-]{43}$/)
  // 16 random bytes, positive with no leading zero byte: 32 hex digits.
  assert.match(certificate.serialNumber, /^[0-7][0-9A-F]{31}$/)
  assert.notEqual(certificate.serialNumber, x509(ca.issue()).serialNumber)
  const from = new Date(certificate.validFrom).getTime()
  const to = new Date(certificate.validTo).getTime()
  assert.ok(from <= before - 5 * 60_000 + 1000 && from >= before - 5 * 60_000 - 1000, certificate.validFrom)
  assert.ok(Math.abs(to - (before + 24 * 3600_000)) <= 2000, certificate.validTo)
})

test('usage: server, client or both as extendedKeyUsage', () => {
  assert.deepEqual(x509(ca.issue({ usage: 'server' })).keyUsage, ['1.3.6.1.5.5.7.3.1'])
  assert.deepEqual(x509(ca.issue({ usage: 'client' })).keyUsage, ['1.3.6.1.5.5.7.3.2'])
  assert.deepEqual(x509(createSelfSignedCertificate()).keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'])
})

test('validity: validityDays, an expired certificate, a notAfter from 2050 on (GeneralizedTime)', () => {
  const month = x509(ca.issue({ validityDays: 30 }))
  assert.ok(Math.abs(new Date(month.validTo).getTime() - (Date.now() + 30 * 24 * 3600_000)) <= 2000)
  const expired = x509(ca.issue({ notAfter: new Date(Date.now() - 3600_000) }))
  assert.ok(new Date(expired.validTo).getTime() < Date.now())
  assert.equal(new Date(expired.validTo).getTime() - new Date(expired.validFrom).getTime(), 24 * 3600_000)
  const fixed = x509(createSelfSignedCertificate({ notBefore: new Date('2049-06-01T00:00:00.500Z'), notAfter: new Date('2061-02-03T04:05:06Z') }))
  assert.equal(new Date(fixed.validFrom).toISOString(), '2049-06-01T00:00:00.000Z')
  assert.equal(new Date(fixed.validTo).toISOString(), '2061-02-03T04:05:06.000Z')
  const later = x509(createSelfSignedCertificate({ notBefore: new Date('2030-01-01T00:00:00Z'), validityDays: 2 }))
  assert.equal(new Date(later.validTo).toISOString(), '2030-01-03T00:00:00.000Z')
})

test('a self-signed certificate: CA:FALSE, its own issuer, the default subject', () => {
  const self = createSelfSignedCertificate({ ipAddresses: ['127.0.0.1'] })
  const certificate = x509(self)
  assert.equal(certificate.subject, 'CN=oauth2cc test')
  assert.equal(self.subject, 'CN=oauth2cc test')
  assert.equal(certificate.issuer, certificate.subject)
  assert.equal(certificate.ca, false)
  assert.ok(certificate.checkIssued(certificate))
  assert.ok(certificate.verify(certificate.publicKey))
  assert.ok(certificate.checkPrivateKey(createPrivateKey(self.key)))
  assert.equal(certificate.subjectAltName, 'IP Address:127.0.0.1')
})

test('RSA keys: RSA 2048 leaf from the EC CA, and a self-signed RSA certificate (sha256WithRSAEncryption)', () => {
  const leaf = ca.issue({ keyType: 'rsa' })
  const certificate = x509(leaf)
  assert.equal(certificate.publicKey.asymmetricKeyType, 'rsa')
  assert.equal(certificate.publicKey.asymmetricKeyDetails?.modulusLength, 2048)
  assert.ok(certificate.verify(x509(ca).publicKey))
  assert.ok(certificate.checkPrivateKey(createPrivateKey(leaf.key)))
  const self = createSelfSignedCertificate({ keyType: 'rsa' })
  const selfCertificate = x509(self)
  assert.ok(selfCertificate.verify(selfCertificate.publicKey))
  assert.ok(selfCertificate.checkPrivateKey(createPrivateKey(self.key)))
  // sha256WithRSAEncryption, 1.2.840.113549.1.1.11, with NULL parameters.
  assert.ok(selfCertificate.raw.includes(Buffer.from('06092a864886f70d01010b0500', 'hex')))
  assert.ok(certificate.raw.includes(Buffer.from('06082a8648ce3d040302', 'hex')), 'signed by the EC CA: ecdsa-with-SHA256')
})

test('subject strings: RFC 4514, CN first, special characters escaped', () => {
  const tricky = ca.issue({ subject: { commonName: ' #lead, "q" +x;<y>\\ ', organization: '#hash', organizationalUnit: 'trail ', country: 'us' } })
  assert.equal(tricky.subject, 'CN=\\ #lead\\, \\"q\\" \\+x\\;\\<y\\>\\\\\\ ,OU=trail\\ ,O=\\#hash,C=US')
  assert.equal(x509(tricky).subject.split('\n')[0], 'C=US')
  const unicode = ca.issue({ subject: { commonName: 'Zürich Büro' } })
  assert.equal(unicode.subject, 'CN=Zürich Büro')
  assert.equal(x509(unicode).subject, 'CN=Zürich Büro')
})

test('the key is readable but never shown by inspect or JSON.stringify', () => {
  for (const made of [ca, clientCertificate, createSelfSignedCertificate({ keyType: 'rsa' })]) {
    assert.match(made.key, /^-----BEGIN PRIVATE KEY-----/)
    assert.ok(!Object.keys(made).includes('key'))
    assert.equal(JSON.parse(JSON.stringify(made)).cert, made.cert)
    for (const shown of [inspect(made), inspect(made, { showHidden: true, depth: 10 }), JSON.stringify(made), String(made)]) {
      assert.ok(!shown.includes(body(made.key)), shown)
      assert.ok(!shown.includes('PRIVATE KEY'), shown)
    }
    assert.match(inspect(made), /key: '\[redacted\]'/)
    assert.ok(inspect(made).includes(made.thumbprint))
    assert.ok(Object.isFrozen(made))
  }
})

test('bad requests: a TypeError naming the field, never a key', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['validityDays 0', { validityDays: 0 }, /^request\.validityDays must be a positive integer/],
    ['validityDays 1.5', { validityDays: 1.5 }, /^request\.validityDays/],
    ['validityDays as a string', { validityDays: '1' }, /^request\.validityDays/],
    ['an IP address that is none', { ipAddresses: ['127.0.0.1', '999.1.1.1'] }, /^request\.ipAddresses\[1\] must be an IPv4 or IPv6 address/],
    ['an IPv6 zone', { ipAddresses: ['fe80::1%eth0'] }, /^request\.ipAddresses\[0\]/],
    ['ipAddresses not an array', { ipAddresses: '127.0.0.1' }, /^request\.ipAddresses must be an array of strings/],
    ['a DNS name that is a number', { dnsNames: [1] }, /^request\.dnsNames\[0\] must be a non-empty string/],
    ['a DNS name with a space', { dnsNames: ['a b'] }, /^request\.dnsNames\[0\] must be a DNS name/],
    ['a non-ASCII DNS name', { dnsNames: ['bücher.example'] }, /^request\.dnsNames\[0\].*punycode/],
    ['a URI that is none', { uris: ['not a uri'] }, /^request\.uris\[0\] must be an absolute URI/],
    ['an email without @', { emails: ['ops'] }, /^request\.emails\[0\] must be an email address/],
    ['an unknown usage', { usage: 'both' }, /^request\.usage must be 'server', 'client' or 'server-and-client'/],
    ['an unknown key type', { keyType: 'dsa' }, /^request\.keyType must be 'ec' or 'rsa'/],
    ['an empty subject', { subject: {} }, /^request\.subject must have at least one attribute/],
    ['an empty commonName', { subject: { commonName: '' } }, /^request\.subject\.commonName must be a non-empty string/],
    ['a three-letter country', { subject: { country: 'DEU' } }, /^request\.subject\.country must be two letters/],
    ['an unknown subject field', { subject: { cn: 'x' } }, /^request\.subject\.cn is not an option/],
    ['a misspelt option', { dnsName: ['localhost'] }, /^request\.dnsName is not an option/],
    ['notAfter before notBefore', { notBefore: new Date('2030-01-02'), notAfter: new Date('2030-01-01') }, /^request\.notAfter must be after notBefore/],
    ['notAfter that is no date', { notAfter: '2030-01-01' }, /^request\.notAfter must be a valid Date/],
    ['an invalid date', { notBefore: new Date('x') }, /^request\.notBefore must be a valid Date/],
    ['a request that is no object', 'localhost', /^request must be an object/],
  ]
  for (const [what, given, pattern] of cases) {
    for (const make of [() => ca.issue(given as CertificateRequest), () => createSelfSignedCertificate(given as CertificateRequest)]) {
      assert.throws(make, (error: unknown) => {
        assert.ok(error instanceof TypeError, what)
        assert.match(error.message, pattern, what)
        assert.equal((error as { code?: string }).code, 'ERR_INVALID_ARG_VALUE')
        assert.ok(!error.message.includes(body(ca.key)))
        return true
      })
    }
  }
  assert.throws(() => createTestCertificateAuthority({ validityDays: -1 }), /^TypeError: options\.validityDays must be a positive integer/)
  assert.throws(() => createTestCertificateAuthority({ subject: { country: 'D' } }), /^TypeError: options\.subject\.country/)
  assert.throws(() => createTestCertificateAuthority({ keyType: 'rsa' } as never), /^TypeError: options\.keyType is not an option/)
})

// --- Real TLS on loopback -------------------------------------------------------------------------

interface Seen {
  authorized: boolean
  authorizationError: string | undefined
  peerSubject: string | undefined
  peerThumbprint: string | undefined
}

/** An https server on 127.0.0.1 that asks for a client certificate, does not insist on it, and reports what it saw. */
async function withServer(certificate: IssuedCertificate, run: (url: string, seen: Seen[]) => Promise<void>): Promise<void> {
  const seen: Seen[] = []
  const server: Server = createServer({ cert: certificate.cert, key: certificate.key, ca: [ca.cert], requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const socket = req.socket as TLSSocket
    const peer = socket.getPeerX509Certificate()
    seen.push({
      authorized: socket.authorized,
      authorizationError: socket.authorizationError == null ? undefined : String(socket.authorizationError),
      peerSubject: peer?.subject,
      peerThumbprint: peer === undefined ? undefined : sha256(peer.raw),
    })
    req.resume()
    res.end('ok')
  })
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    await run(`https://127.0.0.1:${(server.address() as AddressInfo).port}/`, seen)
  } finally {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/** One GET through a new undici Agent with these TLS options; the error code when the handshake fails. */
async function get(url: string, connect: { ca?: string | string[]; cert?: string; key?: string }): Promise<string> {
  const agent = new Agent({ connect })
  try {
    const response = await request(url, { dispatcher: agent })
    return `${response.statusCode} ${await response.body.text()}`
  } catch (error) {
    return `error ${(error as NodeJS.ErrnoException).code ?? String(error)}`
  } finally {
    await agent.close()
  }
}

test('mutual TLS: a client certificate from the CA is authorized, and the server sees its subject and thumbprint', async () => {
  await withServer(serverCertificate, async (url, seen) => {
    assert.equal(await get(url, { ca: ca.cert, cert: clientCertificate.cert, key: clientCertificate.key }), '200 ok')
    assert.deepEqual(seen, [{ authorized: true, authorizationError: undefined, peerSubject: 'C=DE\nO=Example\nOU=payments\nCN=orders', peerThumbprint: clientCertificate.thumbprint }])
  })
})

test('mutual TLS: a client certificate from another CA or a self-signed one is not authorized, but the server still sees it', async () => {
  const stranger = otherCa.issue({ subject: { commonName: 'stranger' }, usage: 'client' })
  const self = createSelfSignedCertificate({ subject: { commonName: 'self' }, usage: 'client' })
  await withServer(serverCertificate, async (url, seen) => {
    assert.equal(await get(url, { ca: ca.cert, cert: stranger.cert, key: stranger.key }), '200 ok')
    assert.equal(await get(url, { ca: ca.cert, cert: self.cert, key: self.key }), '200 ok')
    assert.equal(await get(url, { ca: ca.cert }), '200 ok')
    assert.equal(seen.length, 3)
    assert.deepEqual(seen[0], { authorized: false, authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', peerSubject: 'CN=stranger', peerThumbprint: stranger.thumbprint })
    assert.deepEqual(seen[1], { authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT', peerSubject: 'CN=self', peerThumbprint: self.thumbprint })
    assert.equal(seen[2]?.authorized, false)
    assert.equal(seen[2]?.peerSubject, undefined)
  })
})

test('the client trusts the server certificate with the right CA only, and only for its names', async () => {
  await withServer(serverCertificate, async (url) => {
    assert.equal(await get(url, { ca: ca.cert }), '200 ok')
    assert.equal(await get(url, { ca: [otherCa.cert, ca.cert] }), '200 ok')
    // The server sends its chain (the CA from its `ca` option too): a client without that CA finds a
    // self-signed certificate it does not trust at the top.
    assert.equal(await get(url, { ca: otherCa.cert }), 'error SELF_SIGNED_CERT_IN_CHAIN')
    assert.equal(await get(url, {}), 'error SELF_SIGNED_CERT_IN_CHAIN')
  })
  assert.equal(x509(serverCertificate).checkHost('localhost'), 'localhost')
  await withServer(ca.issue({ dnsNames: ['wrong.example'], usage: 'server' }), async (url) => {
    assert.equal(await get(url, { ca: ca.cert }), 'error ERR_TLS_CERT_ALTNAME_INVALID')
  })
})

test('an expired server certificate is refused by the client', async () => {
  const expired = ca.issue({ ipAddresses: ['127.0.0.1'], usage: 'server', notAfter: new Date(Date.now() - 60_000) })
  await withServer(expired, async (url) => {
    assert.equal(await get(url, { ca: ca.cert }), 'error CERT_HAS_EXPIRED')
  })
})

test('RSA: an RSA server certificate and an RSA client certificate in a mutual TLS handshake', async () => {
  const server = ca.issue({ ipAddresses: ['127.0.0.1'], usage: 'server', keyType: 'rsa' })
  const client = ca.issue({ subject: { commonName: 'rsa-client' }, usage: 'client', keyType: 'rsa' })
  await withServer(server, async (url, seen) => {
    assert.equal(await get(url, { ca: ca.cert, cert: client.cert, key: client.key }), '200 ok')
    assert.deepEqual(seen, [{ authorized: true, authorizationError: undefined, peerSubject: 'CN=rsa-client', peerThumbprint: client.thumbprint }])
  })
})

test('a self-signed server certificate is trusted as its own CA (ca: certificate.cert), EC and RSA', async () => {
  for (const keyType of ['ec', 'rsa'] as const) {
    const self = createSelfSignedCertificate({ ipAddresses: ['127.0.0.1'], keyType })
    await withServer(self, async (url) => {
      assert.equal(await get(url, { ca: self.cert }), '200 ok')
      assert.equal(await get(url, { ca: ca.cert }), 'error DEPTH_ZERO_SELF_SIGNED_CERT')
    })
  }
})

const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8', timeout: 10_000 })
const noOpenssl = openssl.error !== undefined || openssl.status !== 0 ? `openssl cannot be run (${(openssl.error as NodeJS.ErrnoException | undefined)?.code ?? `status ${openssl.status}`}): nothing to cross-check with` : false

test('openssl verify -x509_strict accepts the chains and the self-signed certificates', { skip: noOpenssl }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'oauth2cc-certs-'))
  try {
    const write = (name: string, pem: string) => {
      const file = join(dir, name)
      writeFileSync(file, pem)
      return file
    }
    const caFile = write('ca.pem', ca.cert)
    const leaves: Array<[string, CertificateRequest]> = [
      ['server.pem', { ipAddresses: ['127.0.0.1', '::1'], dnsNames: ['localhost'], usage: 'server' }],
      ['client.pem', { subject: { commonName: 'orders', organization: 'Example', country: 'DE' }, usage: 'client', uris: ['spiffe://example.org/orders'], emails: ['ops@example.org'] }],
      ['rsa.pem', { keyType: 'rsa' }],
      ['far.pem', { notAfter: new Date('2060-01-01T00:00:00Z') }],
    ]
    for (const [name, leafRequest] of leaves) {
      const file = write(name, ca.issue(leafRequest).cert)
      for (const strict of [[], ['-x509_strict']]) {
        const result = spawnSync('openssl', ['verify', ...strict, '-CAfile', caFile, file], { encoding: 'utf8', timeout: 10_000 })
        assert.equal(result.status, 0, `${name}: ${result.stdout}${result.stderr}`)
        assert.match(result.stdout, /: OK\n$/)
      }
    }
    const other = spawnSync('openssl', ['verify', '-CAfile', write('other.pem', otherCa.cert), join(dir, 'server.pem')], { encoding: 'utf8', timeout: 10_000 })
    assert.notEqual(other.status, 0, 'not with another CA')
    for (const keyType of ['ec', 'rsa'] as const) {
      const self = write(`self-${keyType}.pem`, createSelfSignedCertificate({ keyType }).cert)
      const result = spawnSync('openssl', ['verify', '-x509_strict', '-CAfile', self, self], { encoding: 'utf8', timeout: 10_000 })
      assert.equal(result.status, 0, `self-signed ${keyType}: ${result.stdout}${result.stderr}`)
    }
    const expired = write('expired.pem', ca.issue({ notAfter: new Date(Date.now() - 60_000) }).cert)
    const refused = spawnSync('openssl', ['verify', '-CAfile', caFile, expired], { encoding: 'utf8', timeout: 10_000 })
    assert.notEqual(refused.status, 0)
    assert.match(refused.stdout + refused.stderr, /expired/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
