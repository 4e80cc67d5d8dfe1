// `serve` over HTTPS and with key clients: --tls DIR (a throwaway CA, its certificate and the
// --mtls-client identities written to DIR), --tls-cert/--tls-key/--tls-client-ca (given
// certificates), --key-client ID:FILE (private_key_jwt with a JWK, a JWK Set or a PEM public key),
// and the usage errors of each. Real processes, real TLS on loopback.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { decodeJwt, exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose'
import { Agent, request } from 'undici'
import { keyClientFlag } from '../../src/cli/serve-command.js'
import { createTestCertificateAuthority } from '../../src/server/index.js'

const bin = new URL('../../src/cli/bin.ts', import.meta.url).pathname
let dir: string

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oauth2cc-serve-tls-'))
})
after(() => rm(dir, { recursive: true, force: true }))

interface Ready {
  issuer: string
  tokenUrl: string
  mtlsTokenUrl?: string
  caFile?: string
}

/** Runs `serve --json ...args` until `use` is done with its ready line; then SIGTERM. */
async function withServe(args: string[], use: (ready: Ready) => Promise<void>): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', bin, 'serve', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = once(child, 'exit')
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`serve printed nothing; stderr: ${stderr}`)), 15_000)
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes('\n')) {
          clearTimeout(timer)
          resolve(out.split('\n')[0] ?? '')
        }
      })
      void exited.then(([code]) => reject(new Error(`serve exited with ${code}: ${stderr}`)))
    })
    await use(JSON.parse(line) as Ready)
  } finally {
    child.kill('SIGTERM')
    await exited
  }
}

/** Runs `serve ...args`, which must fail; resolves with its exit code and stderr. */
async function failingServe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', bin, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, stderr }
}

async function postForm(url: string, agent: Agent, form: Record<string, string>) {
  const response = await request(url, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  })
  return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> }
}

test('serve --tls DIR: https, ca.pem and the --mtls-client identity written, tls_client_auth and a bound token', async () => {
  const tlsDir = join(dir, 'certs')
  await withServe(['--tls', tlsDir, '--mtls-client', 'orders', '--scope', 'api:read', '--token-format', 'jwt'], async (ready) => {
    assert.match(ready.issuer, /^https:\/\/127\.0\.0\.1:\d+$/)
    assert.equal(ready.mtlsTokenUrl, `${ready.issuer}/mtls/token`)
    assert.equal(ready.caFile, join(tlsDir, 'ca.pem'))
    const [ca, cert, key] = await Promise.all(['ca.pem', 'orders.pem', 'orders.key.pem'].map((name) => readFile(join(tlsDir, name), 'utf8')))
    assert.equal(((await stat(join(tlsDir, 'orders.key.pem'))).mode & 0o777).toString(8), '600')
    const agent = new Agent({ connect: { ca, cert, key } })
    try {
      const { status, body } = await postForm(ready.mtlsTokenUrl!, agent, { grant_type: 'client_credentials', client_id: 'orders', scope: 'api:read' })
      assert.equal(status, 200, JSON.stringify(body))
      assert.equal(typeof (decodeJwt(body['access_token'] as string)['cnf'] as Record<string, string>)['x5t#S256'], 'string')
    } finally {
      await agent.close()
    }
  })
})

test('serve --tls-cert/--tls-key/--tls-client-ca: the given certificates, and --mtls-client by CN', async () => {
  const authority = createTestCertificateAuthority()
  const own = authority.issue({ ipAddresses: ['127.0.0.1'], usage: 'server' })
  const orders = authority.issue({ subject: { commonName: 'orders' }, usage: 'client' })
  const files = { cert: join(dir, 'server.pem'), key: join(dir, 'server.key.pem'), ca: join(dir, 'client-ca.pem') }
  await Promise.all([writeFile(files.cert, own.cert), writeFile(files.key, own.key), writeFile(files.ca, authority.cert)])
  await withServe(['--tls-cert', files.cert, '--tls-key', files.key, '--tls-client-ca', files.ca, '--mtls-client', 'orders'], async (ready) => {
    assert.equal(ready.caFile, undefined)
    const agent = new Agent({ connect: { ca: authority.cert, cert: orders.cert, key: orders.key } })
    try {
      const { status } = await postForm(ready.mtlsTokenUrl!, agent, { grant_type: 'client_credentials', client_id: 'orders' })
      assert.equal(status, 200)
    } finally {
      await agent.close()
    }
  })
})

test('serve --key-client ID:FILE: private_key_jwt with the key of a JWK file', async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256')
  const file = join(dir, 'billing.jwk.json')
  await writeFile(file, `${JSON.stringify({ ...(await exportJWK(publicKey)), kid: 'b1', alg: 'ES256', use: 'sig' })}\n`)
  await withServe(['--key-client', `billing:${file}`, '--scope', 'api:read'], async (ready) => {
    const now = Math.floor(Date.now() / 1000)
    const assertion = await new SignJWT({ jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'b1' })
      .setIssuer('billing')
      .setSubject('billing')
      .setAudience(ready.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(privateKey)
    const agent = new Agent()
    try {
      const { status, body } = await postForm(ready.tokenUrl, agent, {
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      })
      assert.equal(status, 200, JSON.stringify(body))
    } finally {
      await agent.close()
    }
  })
})

test('--key-client reads a JWK, a JWK Set, a PEM public key or certificate, and refuses a private key', async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk = await exportJWK(publicKey)
  const files: Record<string, string> = {
    jwk: JSON.stringify(jwk),
    set: JSON.stringify({ keys: [jwk] }),
    pem: await exportSPKI(publicKey),
    cert: createTestCertificateAuthority().cert,
  }
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, `key-${name}`)
    await writeFile(path, text)
    const parsed = await keyClientFlag(`svc:${path}`)
    assert.equal(parsed.clientId, 'svc')
    assert.equal(parsed.jwks.keys.length, 1, name)
    assert.equal(parsed.jwks.keys[0]?.kty, 'EC', name)
  }
  const privateJwk = join(dir, 'private.jwk.json')
  await writeFile(privateJwk, JSON.stringify(await exportJWK(privateKey)))
  await assert.rejects(keyClientFlag(`svc:${privateJwk}`), /holds a private key; register the public key/)
  const { createPrivateKey } = await import('node:crypto')
  const privatePem = join(dir, 'private.pem')
  await writeFile(privatePem, createPrivateKey({ key: await exportJWK(privateKey), format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }))
  await assert.rejects(keyClientFlag(`svc:${privatePem}`), /holds a private key/)
  await assert.rejects(keyClientFlag('svc'), /--key-client must be ID:FILE/)
  await assert.rejects(keyClientFlag(`svc:${join(dir, 'missing')}`), /--key-client svc cannot read .*missing \(ENOENT\)/)
  const junk = join(dir, 'junk')
  await writeFile(junk, 'junk')
  await assert.rejects(keyClientFlag(`svc:${junk}`), /holds no public key/)
})

test('serve refuses TLS flags that make no sense, with exit code 2', async () => {
  const cases: [string[], RegExp][] = [
    [['--mtls-client', 'orders'], /--mtls-client needs https/],
    [['--tls', join(dir, 'x'), '--tls-cert', 'a', '--mtls-client', 'orders'], /--tls DIR makes its own certificates/],
    [['--tls-cert', 'a', '--mtls-client', 'orders'], /--tls-cert and --tls-key go together/],
    [['--tls', join(dir, 'x'), '--mtls-client', '../escape'], /the id names files/],
    [['--tls-client-ca', 'a', '--mtls-client', 'orders'], /--tls-client-ca needs --tls-cert and --tls-key/],
  ]
  for (const [args, message] of cases) {
    const { code, stderr } = await failingServe(args)
    assert.equal(code, 2, stderr)
    assert.match(stderr, message)
  }
})
