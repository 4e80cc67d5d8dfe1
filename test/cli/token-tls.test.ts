// `token` with a client certificate and with discovery: --tls-cert/--tls-key (tls_client_auth
// without a secret, or a secret with the certificate binding the token), --tls-ca (trust a CA,
// with or without a certificate), --issuer (the endpoint, the mutual-TLS alias and the method from
// the metadata), and the usage errors; against the reference server over HTTPS, in process.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { after, before, beforeEach, test } from 'node:test'
import { decodeJwt } from 'jose'
import type { CommandIo } from '../../src/cli/io.js'
import { main } from '../../src/cli/main.js'
import { startReferenceServer, type IssuedCertificate, type ReferenceServer } from '../../src/server/index.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'

let server: ReferenceServer
let dir: string
let identity: IssuedCertificate
const files = { cert: '', key: '', ca: '' }

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'occ-token-tls-'))
  server = await startReferenceServer({
    tls: true,
    tokenFormat: 'jwt',
    throttle: false,
    clients: [
      { clientId: 'orders', tlsClientAuth: { subjectDn: 'CN=orders' }, scopes: ['api:read'] },
      { clientId: 'secret', clientSecret: RESERVED_SECRET, scopes: ['api:read'] },
    ],
  })
  identity = server.certificateAuthority!.issue({ subject: { commonName: 'orders' }, usage: 'client' })
  files.cert = join(dir, 'orders.pem')
  files.key = join(dir, 'orders.key.pem')
  files.ca = join(dir, 'ca.pem')
  await writeFile(files.cert, identity.cert)
  await writeFile(files.key, identity.key, { mode: 0o600 })
  await writeFile(files.ca, server.certificateAuthority!.cert)
})
after(async () => {
  await server?.close()
  await rm(dir, { recursive: true, force: true })
})
beforeEach(() => server.log.clear())

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = ''
  let err = ''
  const io: CommandIo = { out: (t) => void (out += t), err: (t) => void (err += t), env, stdin: Readable.from(['']) }
  const code = await main(['token', ...args], io)
  return { code, out, err }
}

const certificateFlags = () => ['--tls-cert', files.cert, '--tls-key', files.key, '--tls-ca', files.ca]

test('--tls-cert and --tls-key at the mutual-TLS URL: tls_client_auth, no secret read, a bound token', async () => {
  const { code, out, err } = await run(['--token-url', server.mtlsTokenUrl!, '--client-id', 'orders', ...certificateFlags()], {
    OAUTH2_CLIENT_SECRET: 'never read',
  })
  assert.equal(code, 0, err)
  assert.equal(err, '')
  assert.deepEqual(decodeJwt(out.trim())['cnf'], { 'x5t#S256': identity.thumbprint })
  const [entry] = server.log.tokenRequests()
  assert.equal(entry?.authMethod, 'tls_client_auth')
  assert.equal(entry?.path, '/mtls/token')
})

test('--issuer with a certificate: discovery picks tls_client_auth and the alias', async () => {
  const { code, out, err } = await run(['--issuer', server.issuer, '--client-id', 'orders', '--scope', 'api:read', '--json', ...certificateFlags()])
  assert.equal(code, 0, err)
  assert.equal((JSON.parse(out) as { scope: string }).scope, 'api:read')
  const [entry] = server.log.tokenRequests()
  assert.equal(entry?.path, '/mtls/token')
  assert.equal(entry?.authMethod, 'tls_client_auth')
})

test('--issuer with a secret and --tls-ca: discovery over https, client_secret_basic at /token', async () => {
  const { code, err } = await run(['--issuer', server.issuer, '--client-id', 'secret', '--tls-ca', files.ca], { OAUTH2_CLIENT_SECRET: RESERVED_SECRET })
  assert.equal(code, 0, err)
  const [entry] = server.log.tokenRequests()
  assert.equal(entry?.path, '/token')
  assert.equal(entry?.authMethod, 'client_secret_basic')
})

test('a secret flag with a certificate: the secret authenticates at the alias and the certificate binds the token', async () => {
  const { code, out, err } = await run(
    ['--token-url', server.mtlsTokenUrl!, '--client-id', 'secret', '--client-secret-env', 'MY_SECRET', ...certificateFlags()],
    { MY_SECRET: RESERVED_SECRET },
  )
  assert.equal(code, 0, err)
  assert.equal(server.log.tokenRequests()[0]?.authMethod, 'client_secret_basic')
  assert.deepEqual(decodeJwt(out.trim())['cnf'], { 'x5t#S256': identity.thumbprint })
})

test('usage errors name the flags; nothing of the key is printed', async () => {
  const cases: [string[], RegExp][] = [
    [['--token-url', server.tokenUrl, '--issuer', server.issuer, '--client-id', 'orders'], /use --token-url or --issuer .* not both/],
    [['--token-url', server.mtlsTokenUrl!, '--client-id', 'orders', '--tls-cert', files.cert], /--tls-cert and --tls-key go together/],
    [['--token-url', server.mtlsTokenUrl!, '--client-id', 'orders', '--auth-method', 'tls_client_auth', '--client-secret-env', 'X', ...certificateFlags()], /--client-secret-env is not used with --auth-method tls_client_auth, which authenticates with --tls-cert/],
    [['--token-url', server.mtlsTokenUrl!, '--client-id', 'orders', '--tls-cert', files.key, '--tls-key', files.key], /--tls-cert must be a PEM certificate/],
    [['--token-url', server.mtlsTokenUrl!, '--client-id', 'orders', '--tls-cert', files.cert, '--tls-key', files.cert], /--tls-key is a certificate/],
    [['--token-url', server.mtlsTokenUrl!, '--client-id', 'orders', '--tls-cert', join(dir, 'missing'), '--tls-key', files.key], /--tls-cert cannot read .*missing \(ENOENT\)/],
    [['--client-id', 'orders'], /--token-url or --issuer is required/],
  ]
  for (const [args, message] of cases) {
    const { code, out, err } = await run(args, { OAUTH2_CLIENT_SECRET: RESERVED_SECRET })
    assert.equal(code, 2, `${args.join(' ')}: ${err}`)
    assert.match(err, message)
    assert.doesNotMatch(out + err, /PRIVATE KEY/)
  }
})

test('a certificate the server does not take: exit 3 with the invalid_client hint; no key text', async () => {
  const stranger = server.certificateAuthority!.issue({ subject: { commonName: 'stranger' }, usage: 'client' })
  const cert = join(dir, 'stranger.pem')
  const key = join(dir, 'stranger.key.pem')
  await writeFile(cert, stranger.cert)
  await writeFile(key, stranger.key)
  const { code, err } = await run(['--token-url', server.mtlsTokenUrl!, '--client-id', 'orders', '--tls-cert', cert, '--tls-key', key, '--tls-ca', files.ca])
  assert.equal(code, 3, err)
  assert.match(err, /invalid_client/)
  assert.doesNotMatch(err, /PRIVATE KEY/)
  assert.ok(!err.includes(stranger.key.split('\n')[1]!))
})
