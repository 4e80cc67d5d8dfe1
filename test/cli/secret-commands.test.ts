// generate-secret and hash-secret, run as processes: the secrets and stored forms the reference
// server's clients file takes, without openssl.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { TokenClient } from '../../src/index.js'
import { hashClientSecret, startReferenceServer } from '../../src/server/index.js'

const bin = new URL('../../src/cli/bin.ts', import.meta.url).pathname

/** Runs the CLI as a process with `env` added (and OAUTH2_CLIENT_SECRET unset unless given), `input` on stdin. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', bin, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, OAUTH2_CLIENT_SECRET: undefined, ...env },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  child.stdin.end(input)
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, stdout, stderr }
}

test('generate-secret prints a new secret and its stored form, which the server and the client accept', async () => {
  const first = await cli(['generate-secret'])
  assert.equal(first.code, 0, first.stderr)
  assert.equal(first.stderr, '')
  const match = /^secret: ([A-Za-z0-9_-]{43})\nstored: (sha256:[A-Za-z0-9_-]{43})\n$/.exec(first.stdout)
  assert.ok(match, first.stdout)
  const [, secret, stored] = match as unknown as [string, string, string]
  assert.equal(stored, hashClientSecret(secret))

  const server = await startReferenceServer({ clients: [{ clientId: 'svc', secretHash: stored, scopes: ['api:read'] }] })
  const client = new TokenClient({ tokenUrl: server.tokenUrl, clientId: 'svc', clientSecret: secret })
  try {
    assert.equal((await client.getToken('api:read')).scope, 'api:read')
  } finally {
    await client.close()
    await server.close()
  }

  const json = await cli(['generate-secret', '--json'])
  assert.equal(json.code, 0, json.stderr)
  const parsed = JSON.parse(json.stdout) as { secret: string; stored: string }
  assert.deepEqual(Object.keys(parsed), ['secret', 'stored'])
  assert.equal(parsed.stored, hashClientSecret(parsed.secret))
  assert.notEqual(parsed.secret, secret, 'a new secret each time')

  const wrong = await cli(['generate-secret', 'extra'])
  assert.equal(wrong.code, 2)
})

test('hash-secret prints the stored form of a secret from stdin, the environment or a file, and never the secret', async () => {
  const secret = 's3cr:et% +&=/x'
  const stored = `${hashClientSecret(secret)}\n`
  const dir = await mkdtemp(join(tmpdir(), 'occ-hash-'))
  try {
    const file = join(dir, 'secret.txt')
    await writeFile(file, `${secret}\n`)
    const runs = await Promise.all([
      cli(['hash-secret', '--client-secret-stdin'], {}, `${secret}\n`),
      cli(['hash-secret'], { OAUTH2_CLIENT_SECRET: secret }),
      cli(['hash-secret', '--client-secret-env', 'MY_SECRET'], { MY_SECRET: secret }),
      cli(['hash-secret', '--client-secret-file', file]),
    ])
    for (const { code, stdout, stderr } of runs) {
      assert.equal(code, 0, stderr)
      assert.equal(stdout, stored)
      assert.equal(stderr, '')
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('hash-secret warns about whitespace around the secret without printing it, and refuses a secret on the command line', async () => {
  const padded = await cli(['hash-secret'], { OAUTH2_CLIENT_SECRET: 'padded-secret ' })
  assert.equal(padded.code, 0)
  assert.equal(padded.stdout, `${hashClientSecret('padded-secret ')}\n`)
  assert.equal(padded.stderr, 'warning: the secret begins or ends with whitespace, which is hashed with it; a client that sends it trimmed is refused\n')

  const none = await cli(['hash-secret'])
  assert.equal(none.code, 2)
  assert.match(none.stderr, /no client secret: set OAUTH2_CLIENT_SECRET/)
  assert.equal(none.stdout, '')

  const flag = await cli(['hash-secret', '--client-secret', 'on-the-line'])
  assert.equal(flag.code, 2, 'the secret is not taken from the command line')
  assert.ok(!flag.stdout.includes('sha256:'))
})

test('the top-level help lists generate-secret and hash-secret; each has its own', async () => {
  const top = await cli(['--help'])
  assert.match(top.stdout, /\n {2}generate-secret {2}print a new client secret/)
  assert.match(top.stdout, /\n {2}hash-secret {6}print the stored form of an existing secret/)
  for (const command of ['generate-secret', 'hash-secret']) {
    const help = await cli([command, '--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, new RegExp(`^Usage: oauth2-client-credentials ${command}`))
  }
})
