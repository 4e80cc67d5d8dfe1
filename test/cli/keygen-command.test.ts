import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createPrivateKey } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { after, before, test } from 'node:test'
import { calculateJwkThumbprint, type JWK } from 'jose'
import { main } from '../../src/cli/main.js'
import type { CommandIo } from '../../src/cli/io.js'
import { TokenClient } from '../../src/client/token-client.js'

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'occ-keygen-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function run(args: string[]) {
  let out = ''
  let err = ''
  const io: CommandIo = { out: (t) => void (out += t), err: (t) => void (err += t), env: {}, stdin: Readable.from(['']) }
  const code = await main(args, io)
  return { code, out, err }
}

/** The default output split as the help says: the PEM up to its END line, the JWK the last line. */
function split(out: string): { pem: string; jwk: JWK & Record<string, unknown> } {
  const match = /^(-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n)\n(\{.*\})\n$/.exec(out)
  assert.ok(match, `output shape: PEM, empty line, JWK line:\n${out.replace(/[A-Za-z0-9+/]{20,}/g, '…')}`)
  return { pem: match[1] as string, jwk: JSON.parse(match[2] as string) as JWK & Record<string, unknown> }
}

const EXPECTED = {
  ES256: { kty: 'EC', crv: 'P-256', type: 'ec' },
  RS256: { kty: 'RSA', crv: undefined, type: 'rsa' },
  PS256: { kty: 'RSA', crv: undefined, type: 'rsa-pss' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', type: 'ed25519' },
} as const

for (const [alg, expected] of Object.entries(EXPECTED)) {
  test(`keygen --alg ${alg}: a PKCS#8 key TokenClient takes, and a public JWK with kid, alg and use`, async () => {
    const { code, out, err } = await run(['keygen', '--alg', alg])
    assert.equal(code, 0, err)
    assert.equal(err, '')
    const { pem, jwk } = split(out)
    const key = createPrivateKey(pem)
    assert.equal(key.asymmetricKeyType, expected.type)
    if (expected.type.startsWith('rsa')) assert.ok((key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048)
    assert.equal(jwk.kty, expected.kty)
    assert.equal(jwk.crv, expected.crv)
    assert.equal(jwk.alg, alg)
    assert.equal(jwk.use, 'sig')
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) assert.equal(jwk[member], undefined, `no ${member} in the JWK`)
    assert.equal(jwk.kid, await calculateJwkThumbprint(jwk, 'sha256'), 'the kid defaults to the thumbprint')
    assert.match(jwk.kid as string, /^[A-Za-z0-9_-]{43}$/)
    // TokenClient takes the PEM as it is, with the algorithm the JWK announces as the default.
    const client = new TokenClient({ tokenUrl: 'http://127.0.0.1:1/token', clientId: 'svc', authMethod: 'private_key_jwt', privateKey: pem })
    await client.close()
  })
}

test('keygen defaults to ES256; --kid is carried into the JWK', async () => {
  const { jwk } = split((await run(['keygen'])).out)
  assert.equal(jwk.alg, 'ES256')
  assert.equal(jwk.crv, 'P-256')
  const named = split((await run(['keygen', '--kid', 'orders-2025-06', '--alg', 'EdDSA'])).out)
  assert.equal(named.jwk.kid, 'orders-2025-06')
})

test('each run makes a new key', async () => {
  const a = split((await run(['keygen'])).out)
  const b = split((await run(['keygen'])).out)
  assert.notEqual(a.pem, b.pem)
  assert.notEqual(a.jwk.kid, b.jwk.kid)
})

test('--pem-out writes the key to a new 0600 file and prints only the JWK; an existing file is kept', async () => {
  const file = join(dir, 'key.pem')
  const { code, out, err } = await run(['keygen', '--alg', 'RS256', '--pem-out', file])
  assert.equal(code, 0, err)
  assert.doesNotMatch(out, /PRIVATE KEY/)
  const jwk = JSON.parse(out) as Record<string, unknown>
  assert.equal(jwk.d, undefined)
  assert.equal(jwk.alg, 'RS256')
  const pem = await readFile(file, 'utf8')
  assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/)
  if (process.platform !== 'win32') assert.equal((await stat(file)).mode & 0o777, 0o600)

  const again = await run(['keygen', '--pem-out', file])
  assert.equal(again.code, 2)
  assert.match(again.err, /--pem-out cannot write .*: the file exists/)
  assert.equal(again.out, '', 'nothing printed: no key is lost')
  assert.equal(await readFile(file, 'utf8'), pem, 'not overwritten')
})

test('bad --alg, --kid or flags exit 2 with the flag named, and print no key', async () => {
  const rows: Array<[string[], RegExp]> = [
    [['--alg', 'HS256'], /^oauth2-client-credentials keygen: --alg must be one of 'ES256', 'RS256', 'PS256', 'EdDSA'\n/],
    [['--alg', 'es256'], /--alg must be one of/],
    [['--kid', ''], /^oauth2-client-credentials keygen: --kid must be a non-empty string\n/],
    [['--kid', 'a\nb'], /--kid must be printable ASCII/],
    [['--bits', '4096'], /Unknown option '--bits'/],
    [['extra'], /positional/],
  ]
  for (const [args, expected] of rows) {
    const { code, out, err } = await run(['keygen', ...args])
    assert.equal(code, 2, `${args.join(' ')}: ${err}`)
    assert.match(err, expected, args.join(' '))
    assert.equal(out, '')
    assert.doesNotMatch(err, /PRIVATE KEY/)
  }
  const help = await run(['keygen', '--help'])
  assert.equal(help.code, 0)
  assert.match(help.out, /^Usage: oauth2-client-credentials keygen/)
  assert.match((await run(['--help'])).out, /\n  keygen +/)
})

test('the binary as a process: the output splits with sed and tail as the help shows', async () => {
  const bin = new URL('../../src/cli/bin.ts', import.meta.url).pathname
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', bin, 'keygen', '--alg', 'ES256', '--kid', 'k1'], { timeout: 20_000 }, (error, stdout, stderr) =>
      error ? reject(error) : resolve({ stdout, stderr }),
    )
  })
  assert.equal(stderr, '')
  const both = join(dir, 'both.txt')
  await writeFile(both, stdout)
  const sh = (command: string) =>
    new Promise<string>((resolve, reject) => execFile('sh', ['-c', command], (error, out) => (error ? reject(error) : resolve(out))))
  const pem = await sh(`sed -n '/-----BEGIN/,/-----END/p' '${both}'`)
  const jwk = JSON.parse(await sh(`tail -n 1 '${both}'`)) as Record<string, unknown>
  assert.equal(createPrivateKey(pem).asymmetricKeyType, 'ec')
  assert.equal(jwk.kid, 'k1')
  assert.equal(jwk.d, undefined)
})
