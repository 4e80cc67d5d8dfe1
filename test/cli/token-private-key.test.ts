import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createPrivateKey, generateKeyPairSync } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { after, before, test } from 'node:test'
import type { JWK } from 'jose'
import { generateClientKey, KEYGEN_ALGORITHMS } from '../../src/cli/keygen-command.js'
import { main } from '../../src/cli/main.js'
import type { CommandIo } from '../../src/cli/io.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'

let server: ReferenceServer
let dir: string
const keys: Record<string, { pem: string; jwk: JWK; file: string }> = {}
let pemBody: (pem: string) => string

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'occ-token-key-'))
  const clients = []
  for (const alg of KEYGEN_ALGORITHMS) {
    const { pem, jwk } = await generateClientKey(alg, alg === 'RS256' ? 'rsa-key-1' : undefined)
    const file = join(dir, `${alg}.pem`)
    await writeFile(file, pem, { mode: 0o600 })
    keys[alg] = { pem, jwk, file }
    clients.push({ clientId: `svc-${alg}`, jwks: { keys: [jwk] }, scopes: ['api:read'] })
  }
  server = await startReferenceServer({ clients: clients as never, throttle: false })
})
after(async () => {
  await server?.close()
  await rm(dir, { recursive: true, force: true })
})
pemBody = (pem) => pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----')).join('')

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = ''
  let err = ''
  const io: CommandIo = { out: (t) => void (out += t), err: (t) => void (err += t), env, stdin: Readable.from(['']) }
  const code = await main(args, io)
  return { code, out, err }
}
const base = (alg: string) => ['token', '--token-url', server.tokenUrl, '--client-id', `svc-${alg}`, '--scope', 'api:read']

/** No line of key material (of any key used here) in `text`. */
function assertNoKeyMaterial(text: string, label: string): void {
  assert.doesNotMatch(text, /PRIVATE KEY/, label)
  for (const { pem } of Object.values(keys)) {
    for (const line of pem.split('\n').filter((l) => l.length > 16 && !l.startsWith('-----'))) assert.ok(!text.includes(line), `${label}: a PEM line`)
  }
}

for (const alg of KEYGEN_ALGORITHMS) {
  test(`keygen ${alg} end to end: the JWK registered, token --private-key-file gets a token without a secret`, async () => {
    const { code, out, err } = await run([...base(alg), '--private-key-file', keys[alg]!.file, '--json'])
    assert.equal(code, 0, err)
    assert.equal(err, '')
    assert.equal((JSON.parse(out) as { token_type: string }).token_type, 'Bearer')
    const entry = server.log.tokenRequests().at(-1)
    assert.equal(entry?.authMethod, 'private_key_jwt')
    assert.equal(entry?.status, 200)
    assert.deepEqual(entry?.clientAssertion, { alg }, 'a PEM holds no kid: none is sent without --key-id')
    assertNoKeyMaterial(err, alg)
    const kid = keys[alg]!.jwk.kid as string
    const withKid = await run([...base(alg), '--private-key-file', keys[alg]!.file, '--key-id', kid])
    assert.equal(withKid.code, 0, withKid.err)
    assert.deepEqual(server.log.tokenRequests().at(-1)?.clientAssertion, { alg, kid }, "--key-id sends the JWK's kid")
    assertNoKeyMaterial(out, alg)
  })
}

test('--private-key-file with a private JWK file; --key-id and --signing-algorithm are sent', async () => {
  const { pem, jwk } = keys.ES256 as { pem: string; jwk: JWK }
  const privateJwk = { ...createPrivateKey(pem).export({ format: 'jwk' }), kid: jwk.kid }
  const file = join(dir, 'es256.jwk.json')
  await writeFile(file, JSON.stringify(privateJwk))
  const { code, err } = await run([...base('ES256'), '--private-key-file', file])
  assert.equal(code, 0, err)
  const rsa = await run([...base('RS256'), '--private-key-file', keys.RS256!.file, '--key-id', 'rsa-key-1', '--signing-algorithm', 'RS256'])
  assert.equal(rsa.code, 0, rsa.err)
  assert.deepEqual(server.log.tokenRequests().at(-1)?.clientAssertion, { alg: 'RS256', kid: 'rsa-key-1' })
  const other = await run([...base('RS256'), '--private-key-file', keys.RS256!.file, '--key-id', 'another-kid'])
  assert.equal(other.code, 3, 'the server looks the key up by the kid sent')
  assert.equal(server.log.tokenRequests().at(-1)?.clientAssertion?.kid, 'another-kid')
})

test('no client secret is read with --private-key-file; a secret flag with it is a usage error', async () => {
  // OAUTH2_CLIENT_SECRET set or not makes no difference: it is not read.
  assert.equal((await run([...base('EdDSA'), '--private-key-file', keys.EdDSA!.file], { OAUTH2_CLIENT_SECRET: 'ignored' })).code, 0)
  const both = await run([...base('EdDSA'), '--private-key-file', keys.EdDSA!.file, '--client-secret-env', 'X'], { X: 'x' })
  assert.equal(both.code, 2)
  assert.match(both.err, /--client-secret-env is not used with --auth-method private_key_jwt/)
})

test("bad key files and TokenClient's key errors exit 2 in the token command's flags, with no key material", async () => {
  const publicPem = join(dir, 'public.pem')
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
  await writeFile(publicPem, publicKey.export({ format: 'pem', type: 'spki' }))
  const smallRsa = join(dir, 'small.pem')
  await writeFile(smallRsa, privateKey.export({ format: 'pem', type: 'pkcs8' }))
  const garbled = join(dir, 'garbled.pem')
  const pem = keys.ES256!.pem
  await writeFile(garbled, pem.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!'))
  const badJson = join(dir, 'bad.json')
  await writeFile(badJson, `{"kty":"EC","d":"${pemBody(pem).slice(0, 30)}"`)
  const publicJwk = join(dir, 'public.jwk.json')
  await writeFile(publicJwk, JSON.stringify(keys.ES256!.jwk))
  const notAKey = join(dir, 'secret.txt')
  await writeFile(notAKey, 'correct horse battery staple\n')
  const certificate = join(dir, 'not-a-cert.pem')
  await writeFile(certificate, 'nope\n')
  const ec = keys.ES256!.file

  const rows: Array<[string, string[], RegExp]> = [
    ['a missing file', ['--private-key-file', join(dir, 'absent.pem')], /: --private-key-file cannot read .*absent\.pem \(ENOENT\)\n/],
    ['a public key PEM', ['--private-key-file', publicPem], /: --private-key-file is a public key PEM; give the private key/],
    ['a small RSA key', ['--private-key-file', smallRsa], /: --private-key-file is an RSA key of 1024 bits; at least 2048 are required\n/],
    ['a malformed PEM', ['--private-key-file', garbled], /: --private-key-file is a malformed PEM private key/],
    ['malformed JSON', ['--private-key-file', badJson], /: --private-key-file holds malformed JSON/],
    ['a public JWK', ['--private-key-file', publicJwk], /: --private-key-file is a public JWK \(it has no d\)/],
    ['not a key at all', ['--private-key-file', notAKey], /: --private-key-file must be a PEM private key/],
    ['an algorithm that does not fit', ['--private-key-file', ec, '--signing-algorithm', 'RS256'], /: --signing-algorithm RS256 does not fit --private-key-file \(EC P-256\): use 'ES256'\n/],
    ['an unknown algorithm', ['--private-key-file', ec, '--signing-algorithm', 'none'], /: --signing-algorithm .*does not fit --private-key-file/],
    ['an empty key id', ['--private-key-file', ec, '--key-id', ''], /: --key-id must be a non-empty string\n/],
    ['a bad certificate', ['--private-key-file', ec, '--certificate-file', certificate], /: --certificate-file must be a PEM certificate/],
    ['a missing certificate file', ['--private-key-file', ec, '--certificate-file', join(dir, 'absent.crt')], /: --certificate-file cannot read .* \(ENOENT\)\n/],
    ['a key with a secret method', ['--private-key-file', ec, '--auth-method', 'client_secret_post'], /: --private-key-file is only for --auth-method private_key_jwt \(--auth-method is client_secret_post\)\n/],
    ['private_key_jwt without a key', ['--auth-method', 'private_key_jwt'], /: --private-key-file is required with --auth-method private_key_jwt\n/],
  ]
  for (const [name, args, expected] of rows) {
    const { code, out, err } = await run(['token', '--token-url', server.tokenUrl, '--client-id', 'svc-ES256', ...args], { OAUTH2_CLIENT_SECRET: 'some-secret' })
    assert.equal(code, 2, `${name}: ${err}`)
    assert.match(err, expected, name)
    assert.equal(out, '', name)
    assert.doesNotMatch(err, /privateKey|keyId|signingAlgorithm|authMethod|certificate '|\bcertificate (must|is|does)/, name)
    assert.match(err, /run 'oauth2-client-credentials token --help' for usage\n$/, name)
    assertNoKeyMaterial(err, name)
    assert.ok(!err.includes(pemBody(pem).slice(0, 30)), `${name}: no JSON key bytes`)
  }
})

test('a key the server does not know is refused (exit 3) with no key material', async () => {
  const { code, out, err } = await run([...base('ES256').slice(0, 4), 'svc-EdDSA', '--private-key-file', keys.ES256!.file])
  assert.equal(code, 3, err)
  assert.match(err, /invalid_client/)
  assert.equal(out, '')
  assertNoKeyMaterial(err, 'refused')
})

test('the binary as a process: keygen --pem-out, register the JWK, token --private-key-file --header', async () => {
  const bin = new URL('../../src/cli/bin.ts', import.meta.url).pathname
  const exec = (args: string[], env: NodeJS.ProcessEnv) =>
    new Promise<{ stdout: string; stderr: string; code: number }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', bin, ...args], { env, timeout: 20_000 }, (error, stdout, stderr) =>
        resolve({ stdout, stderr, code: error === null ? 0 : Number((error as { code?: unknown }).code) }),
      )
    })
  const env = { ...process.env }
  delete env.OAUTH2_CLIENT_SECRET
  const keyFile = join(dir, 'child.pem')
  const keygen = await exec(['keygen', '--alg', 'PS256', '--kid', 'child-1', '--pem-out', keyFile], env)
  assert.equal(keygen.code, 0, keygen.stderr)
  const jwk = JSON.parse(keygen.stdout) as JWK
  assert.equal(jwk.kid, 'child-1')
  const child = await startReferenceServer({ clients: [{ clientId: 'child', jwks: { keys: [jwk] }, scopes: ['api:read'] }] as never, throttle: false })
  try {
    const token = await exec(['token', '--token-url', child.tokenUrl, '--client-id', 'child', '--private-key-file', keyFile, '--header'], env)
    assert.equal(token.code, 0, token.stderr)
    assert.equal(token.stderr, '')
    assert.match(token.stdout, /^Authorization: Bearer \S+\n$/)
    const bad = await exec(['token', '--token-url', child.tokenUrl, '--client-id', 'child', '--private-key-file', keyFile, '--signing-algorithm', 'ES256'], env)
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--signing-algorithm ES256 does not fit --private-key-file/)
    assert.doesNotMatch(bad.stderr, /PRIVATE KEY|signingAlgorithm|privateKey/)
  } finally {
    await child.close()
  }
})
