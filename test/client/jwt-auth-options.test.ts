// The options of private_key_jwt and client_secret_jwt: each bad one is a TypeError naming it, and no
// key material ever shows in a message, a cause, inspect(), JSON.stringify() or client.options.
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { after, test } from 'node:test'
import { inspect } from 'node:util'
import { TokenClient, type TokenClientOptions } from '../../src/index.js'
import { selfSignedCertificate } from '../helpers/tls-server.js'

const tokenUrl = 'https://id.example.com/oauth2/token'
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 })
const ed = generateKeyPairSync('ed25519')
const PEM = ec.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
/** The base64 body of the PEM, and the JWK's private part: what must never show anywhere. */
const PEM_BODY = PEM.split('\n').slice(1, -2).join('')
const D = (ec.privateKey.export({ format: 'jwk' }) as { d: string }).d
const JWT_SECRET = 'a-jwt-secret-of-at-least-32-bytes-0123456789'

const made: TokenClient[] = []
after(() => Promise.all(made.map((client) => client.close())))
const create = (options: Partial<TokenClientOptions>) => {
  const client = new TokenClient({ tokenUrl, clientId: 'orders', ...options } as TokenClientOptions)
  made.push(client)
  return client
}

function refused(options: Partial<TokenClientOptions>, name: string, pattern: RegExp): void {
  assert.throws(
    () => create(options),
    (error: unknown) => {
      assert.ok(error instanceof TypeError)
      assert.equal((error as { code?: string }).code, 'ERR_INVALID_ARG_VALUE')
      assert.ok(error.message.startsWith(`${name} `), error.message)
      assert.match(error.message, pattern)
      const shown = `${error.message} ${inspect(error)} ${String(error.cause)}`
      for (const secret of [PEM_BODY, D, PEM_BODY.slice(10, 40), JWT_SECRET]) assert.ok(!shown.includes(secret), `leaked in ${error.message}`)
      return true
    },
  )
}

const pkj = { authMethod: 'private_key_jwt' } as const
const cases: [string, Partial<TokenClientOptions>, string, RegExp][] = [
  ['no privateKey', pkj, 'privateKey', /required with authMethod 'private_key_jwt'/],
  ['a public KeyObject', { ...pkj, privateKey: ec.publicKey }, 'privateKey', /public KeyObject/],
  ['a public PEM', { ...pkj, privateKey: ec.publicKey.export({ format: 'pem', type: 'spki' }) as string }, 'privateKey', /public key PEM/],
  ['a public JWK', { ...pkj, privateKey: ec.publicKey.export({ format: 'jwk' }) }, 'privateKey', /public JWK/],
  ['a malformed PEM', { ...pkj, privateKey: PEM.replace(PEM_BODY.slice(20, 60), 'A'.repeat(40)) }, 'privateKey', /malformed PEM/],
  ['not a PEM', { ...pkj, privateKey: PEM_BODY }, 'privateKey', /must be a PEM private key/],
  ['an encrypted PEM', { ...pkj, privateKey: ec.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string }, 'privateKey', /encrypted/],
  ['an oct JWK', { ...pkj, privateKey: { kty: 'oct', k: 'c2VjcmV0' } }, 'privateKey', /symmetric/],
  ['RSA of 1024 bits', { ...pkj, privateKey: rsa1024.privateKey }, 'privateKey', /1024 bits; at least 2048/],
  ['secp256k1', { ...pkj, privateKey: k1.privateKey }, 'privateKey', /secp256k1/],
  ['RS256 with an EC key', { ...pkj, privateKey: PEM, signingAlgorithm: 'RS256' }, 'signingAlgorithm', /'RS256' does not fit privateKey \(EC P-256\): use 'ES256'/],
  ['ES384 with P-256', { ...pkj, privateKey: ec.privateKey, signingAlgorithm: 'ES384' }, 'signingAlgorithm', /use 'ES256'/],
  ['ES256 with P-384', { ...pkj, privateKey: ec384.privateKey, signingAlgorithm: 'ES256' }, 'signingAlgorithm', /use 'ES384'/],
  ['HS256 with Ed25519', { ...pkj, privateKey: ed.privateKey, signingAlgorithm: 'HS256' }, 'signingAlgorithm', /'EdDSA' or 'Ed25519'/],
  ['clientSecret with private_key_jwt', { ...pkj, privateKey: PEM, clientSecret: JWT_SECRET }, 'clientSecret', /must not be given/],
  ['privateKey with a secret method', { clientSecret: 's', privateKey: PEM }, 'privateKey', /only for authMethod 'private_key_jwt'/],
  ['certificate with a secret method', { clientSecret: 's', authMethod: 'client_secret_post', certificate: 'x' }, 'certificate', /only for/],
  ['keyId with a secret method', { clientSecret: 's', keyId: 'k' }, 'keyId', /or 'client_secret_jwt'/],
  ['privateKey with client_secret_jwt', { clientSecret: JWT_SECRET, authMethod: 'client_secret_jwt', privateKey: PEM }, 'privateKey', /only for/],
  ['a short client_secret_jwt secret', { clientSecret: 'x'.repeat(31), authMethod: 'client_secret_jwt' }, 'clientSecret', /31 bytes; client_secret_jwt with HS256 needs at least 32 \(256 bits/],
  ['HS512 with 48 bytes', { clientSecret: 'x'.repeat(48), authMethod: 'client_secret_jwt', signingAlgorithm: 'HS512' }, 'clientSecret', /at least 64/],
  ['ES256 with client_secret_jwt', { clientSecret: JWT_SECRET, authMethod: 'client_secret_jwt', signingAlgorithm: 'ES256' }, 'signingAlgorithm', /'HS256'/],
  ['client_secret_jwt without a secret', { authMethod: 'client_secret_jwt' }, 'clientSecret', /non-empty string/],
  ['a certificate that is no PEM', { ...pkj, privateKey: PEM, certificate: PEM }, 'certificate', /must be a PEM certificate/],
  ['an empty keyId', { ...pkj, privateKey: PEM, keyId: '' }, 'keyId', /non-empty/],
]
for (const [what, options, name, pattern] of cases) {
  test(`refused: ${what} (${name})`, () => refused(options, name, pattern))
}

const certificate = selfSignedCertificate('DNS:orders.example')
test('refused: a certificate of another key', { skip: typeof certificate === 'string' ? certificate : false }, () => {
  assert.ok(typeof certificate !== 'string')
  refused({ ...pkj, privateKey: PEM, certificate: certificate.cert }, 'certificate', /does not hold the public key of privateKey/)
  refused({ ...pkj, privateKey: PEM, certificate: certificate.cert.replace(/\n[A-Za-z0-9+/]{20}/, '\n' + 'B'.repeat(20)) }, 'certificate', /malformed|does not hold/)
})

test('a private_key_jwt client shows its method, alg, kid and thumbprint, never the key', () => {
  for (const privateKey of [PEM, ec.privateKey, { ...(ec.privateKey.export({ format: 'jwk' }) as object), kid: 'k1' }]) {
    const client = create({ ...pkj, privateKey: privateKey as NonNullable<TokenClientOptions['privateKey']>, keyId: 'k1' })
    assert.deepEqual(Object.keys(client.options).sort(), ['authMethod', 'clientId', 'keyId', 'keyThumbprint', 'privateKey', 'signingAlgorithm', 'tokenUrl'])
    assert.equal(client.options.privateKey, '[redacted]')
    assert.equal(client.options.keyId, 'k1')
    assert.equal(client.options.signingAlgorithm, 'ES256')
    for (const shown of [inspect(client), JSON.stringify(client), String(client), inspect(client, { showHidden: true, depth: 10 })]) {
      assert.ok(!shown.includes(PEM_BODY) && !shown.includes(PEM_BODY.slice(0, 30)) && !shown.includes(D), shown)
    }
  }
})

test('a client_secret_jwt client shows the secret as [redacted]', () => {
  const client = create({ authMethod: 'client_secret_jwt', clientSecret: JWT_SECRET })
  assert.equal(client.options.clientSecret, '[redacted]')
  assert.equal(client.options.signingAlgorithm, 'HS256')
  assert.ok(!JSON.stringify(client).includes(JWT_SECRET) && !inspect(client).includes(JWT_SECRET))
})
