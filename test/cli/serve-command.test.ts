import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseClientFlag } from '../../src/cli/serve-command.js'
import { TokenClient } from '../../src/index.js'
import { generateClientSecret } from '../../src/server/index.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'

const bin = new URL('../../src/cli/bin.ts', import.meta.url).pathname

/**
 * The first line a `serve` process prints on stdout (its ready line), or a rejection when it prints
 * nothing within 15 s or exits first; `stderr()` is what it wrote there so far, for the message.
 */
function firstLine(child: ChildProcess, exited: Promise<unknown>, stderr: () => string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`serve printed nothing; stderr: ${stderr()}`)), 15_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('\n')) {
        clearTimeout(timer)
        resolve(out.split('\n')[0] ?? '')
      }
    })
    void exited.then((args) => reject(new Error(`serve exited with ${(args as [number | null])[0]}: ${stderr()}`)))
  })
}

/** Starts `serve` as a process and resolves with it and the first line it printed. */
async function serve(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', bin, 'serve', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const line = await firstLine(child, once(child, 'exit'), () => stderr)
  return { child, info: JSON.parse(line) as { issuer: string; tokenUrl: string; port: number }, stderr: () => stderr }
}

test('--client ID:SECRET keeps every colon of the secret', () => {
  assert.deepEqual(parseClientFlag('svc:s3cr:et%:x'), { clientId: 'svc', clientSecret: 's3cr:et%:x' })
  assert.throws(() => parseClientFlag('nocolon'), /ID:SECRET/)
  assert.throws(() => parseClientFlag('svc:'), /secret is empty/)
})

test('serve: prints the issuer and token URL, issues tokens, and stops cleanly on SIGTERM and SIGINT', async () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const { child, info } = await serve(['--client', `svc:${RESERVED_SECRET}`, '--scope', 'api:read', '--scope', 'api:write'])
    try {
      assert.match(info.tokenUrl, /^http:\/\/127\.0\.0\.1:\d+\/token$/)
      const client = new TokenClient({ tokenUrl: info.tokenUrl, clientId: 'svc', clientSecret: RESERVED_SECRET })
      assert.equal((await client.getToken('api:write')).scope, 'api:write')
      await client.close()
    } finally {
      child.kill(signal)
    }
    const [code] = (await once(child, 'exit')) as [number | null]
    assert.equal(code, 0, `exit code after ${signal}`)
  }
})

test('serve --quirk: the server bends the rules as asked', async () => {
  const { child, info } = await serve(['--client', 'svc:plain-secret', '--scope', 'api:read', '--quirk', 'lowercase-bearer', '--quirk', 'no-expires-in'])
  try {
    const response = await fetch(info.tokenUrl, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('svc:plain-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    })
    const body = (await response.json()) as Record<string, unknown>
    assert.equal(body.token_type, 'bearer')
    assert.equal(body.expires_in, undefined)
  } finally {
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
})

test('serve --clients-file: clients stored as hashes only', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'occ-serve-'))
  const { secret, stored } = generateClientSecret()
  const file = join(dir, 'clients.json')
  await writeFile(file, JSON.stringify({ clients: [{ clientId: 'filed', secretHash: stored, scopes: ['reports'] }] }))
  const { child, info } = await serve(['--clients-file', file])
  try {
    const client = new TokenClient({ tokenUrl: info.tokenUrl, clientId: 'filed', clientSecret: secret })
    assert.equal((await client.getToken('reports')).scope, 'reports')
    await client.close()
  } finally {
    child.kill('SIGTERM')
    await once(child, 'exit')
    await rm(dir, { recursive: true, force: true })
  }
})

test('serve without clients is a usage error (exit 2, one line on stderr)', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', bin, 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const [code] = (await once(child, 'exit')) as [number | null]
  assert.equal(code, 2)
  assert.match(stderr, /give at least one --client/)
})

test('serve --log-limit: a count is accepted (0 turns the log off) and listed in --help; anything else is a usage error', async () => {
  const { child, info } = await serve(['--client', 'svc:plain-secret', '--scope', 'api:read', '--log-limit', '0'])
  try {
    const client = new TokenClient({ tokenUrl: info.tokenUrl, clientId: 'svc', clientSecret: 'plain-secret' })
    assert.equal((await client.getToken('api:read')).scope, 'api:read')
    await client.close()
  } finally {
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
  const run = async (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => {
    const cli = spawn(process.execPath, ['--import', 'tsx', bin, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    cli.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const [code] = (await once(cli, 'exit')) as [number | null]
    return { code, stdout, stderr }
  }
  const help = await run(['--help'])
  assert.match(help.stdout, /--log-limit N/)
  const refused = await Promise.all(
    ['-1', '1.5', 'ten', '', '1e3', '0x10'].map((value) => run(['--client', 'svc:plain-secret', `--log-limit=${value}`])),
  )
  for (const { code, stderr } of refused) {
    assert.equal(code, 2, stderr)
    assert.match(stderr, /--log-limit must be a whole number/)
  }
})

/**
 * Starts `serve --json` as a process with `env` added to its environment; resolves once it listens,
 * with the JSON line and a `stop()` that ends it with SIGTERM and resolves with all it wrote to stderr.
 */
async function serveProcess(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', bin, 'serve', '--json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OAUTH2_CLIENT_SECRET: undefined, ...env },
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = once(child, 'exit') as Promise<[number | null]>
  const line = await firstLine(child, exited, () => stderr)
  const stop = async (): Promise<string> => {
    child.kill('SIGTERM')
    const [code] = await exited
    assert.equal(code, 0, stderr)
    return stderr
  }
  return { info: JSON.parse(line) as { issuer: string; tokenUrl: string; port: number }, stop }
}

/** Runs the CLI as a process to its end. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OAUTH2_CLIENT_SECRET: undefined, ...env },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, stdout, stderr }
}

/** A token request with client_secret_basic, answered as status and body. */
async function tokenRequest(tokenUrl: string, clientId: string, secret: string) {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  })
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> }
}

test('serve --client ID:SECRET warns on stderr, without the secret, and names the alternatives', async () => {
  const secret = 'on-the-command-line'
  const { info, stop } = await serveProcess(['--client', `svc:${secret}`, '--client', 'other:also-visible', '--scope', 'api:read'])
  assert.equal((await tokenRequest(info.tokenUrl, 'svc', secret)).status, 200)
  const stderr = await stop()
  assert.equal(
    stderr,
    'warning: --client ID:SECRET puts the secret in your shell history and process list; prefer --client ID with the secret ' +
      'in OAUTH2_CLIENT_SECRET, or a --clients-file of hashed secrets (see hash-secret and generate-secret)\n',
    'one warning, however many --client flags',
  )
  assert.ok(!stderr.includes(secret) && !stderr.includes('also-visible'))
})

test('serve --client ID takes the secret from OAUTH2_CLIENT_SECRET, with no warning; without it, a usage error', async () => {
  const secret = 'from:the% environment'
  const { info, stop } = await serveProcess(['--client', 'svc', '--scope', 'api:read'], { OAUTH2_CLIENT_SECRET: secret })
  const client = new TokenClient({ tokenUrl: info.tokenUrl, clientId: 'svc', clientSecret: secret })
  assert.equal((await client.getToken('api:read')).scope, 'api:read')
  await client.close()
  assert.equal((await tokenRequest(info.tokenUrl, 'svc', 'anything-else')).status, 401)
  assert.equal(await stop(), '')

  const unset = await cli(['serve', '--client', 'svc'])
  assert.equal(unset.code, 2)
  assert.match(unset.stderr, /^oauth2-client-credentials serve: --client svc: no secret: set OAUTH2_CLIENT_SECRET, or use --client ID:SECRET or a --clients-file\n/)
})

test('serve --host 0.0.0.0 says on stderr what it exposes, and suggests --issuer; a loopback --host says nothing', async () => {
  const loopback = await serveProcess(['--client', 'svc', '--host', '127.0.0.1'], { OAUTH2_CLIENT_SECRET: 'env-secret' })
  assert.equal(await loopback.stop(), '')
  const { info, stop } = await serveProcess(['--client', 'svc', '--host', '0.0.0.0'], { OAUTH2_CLIENT_SECRET: 'env-secret' })
  assert.equal(info.issuer, `http://0.0.0.0:${info.port}`)
  const stderr = await stop()
  assert.equal(
    stderr,
    'warning: listening on all interfaces (0.0.0.0) over plain http: client secrets and tokens cross the network in cleartext; ' +
      'for containers and test networks only\n' +
      `note: the issuer is http://0.0.0.0:${info.port}, which other hosts cannot use; --issuer http://NAME:PORT publishes the name they reach this server by\n`,
  )
})

test('serve --issuer: the URL other containers see, in the printed URLs, the metadata and JWT iss', async () => {
  const issuer = 'http://auth.test:8400'
  const { info, stop } = await serveProcess(
    ['--client', 'svc', '--scope', 'api:read', '--host', '0.0.0.0', '--issuer', issuer, '--token-format', 'jwt'],
    { OAUTH2_CLIENT_SECRET: 'env-secret' },
  )
  try {
    assert.deepEqual(info, { issuer, tokenUrl: `${issuer}/token`, port: info.port })
    const local = `http://127.0.0.1:${info.port}`
    const metadata = (await (await fetch(`${local}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>
    assert.equal(metadata['issuer'], issuer)
    assert.equal(metadata['token_endpoint'], `${issuer}/token`)
    assert.equal(metadata['jwks_uri'], `${issuer}/jwks`)
    const { body } = await tokenRequest(`${local}/token`, 'svc', 'env-secret')
    const payload = JSON.parse(Buffer.from(String(body['access_token']).split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>
    assert.equal(payload['iss'], issuer)
  } finally {
    const stderr = await stop()
    assert.match(stderr, /^warning: listening on all interfaces \(0\.0\.0\.0\) over plain http/)
    assert.doesNotMatch(stderr, /note:/, 'the issuer is given')
  }
  const bad = await cli(['serve', '--client', 'svc:x', '--issuer', 'http://auth.test:8400/realms/x'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /oauth2-client-credentials serve: --issuer must be an absolute http: or https: URL with no path, query, fragment or credentials/)
})

test('serve --throttle MAX/SECONDS tunes the lockout; --no-throttle turns it off', async () => {
  const env = { OAUTH2_CLIENT_SECRET: 'right-secret' }
  const tuned = await serveProcess(['--client', 'svc', '--throttle', '2/30'], env)
  try {
    for (let attempt = 0; attempt < 2; attempt++) assert.equal((await tokenRequest(tuned.info.tokenUrl, 'svc', 'wrong')).status, 401)
    const locked = await tokenRequest(tuned.info.tokenUrl, 'svc', 'right-secret')
    assert.equal(locked.status, 429)
    assert.equal(locked.body['error'], 'invalid_client')
    assert.ok(Number(locked.retryAfter) > 0 && Number(locked.retryAfter) <= 30, `Retry-After ${locked.retryAfter}`)
  } finally {
    await tuned.stop()
  }
  const off = await serveProcess(['--client', 'svc', '--no-throttle'], env)
  try {
    for (let attempt = 0; attempt < 8; attempt++) assert.equal((await tokenRequest(off.info.tokenUrl, 'svc', 'wrong')).status, 401)
    assert.equal((await tokenRequest(off.info.tokenUrl, 'svc', 'right-secret')).status, 200)
  } finally {
    await off.stop()
  }
})

test('serve usage errors (exit 2): a bad --throttle, --throttle with --no-throttle, --scope with --clients-file', async () => {
  const rows: Array<[string[], RegExp]> = [
    ...['5', '0/60', '5/0', 'five/60', '5/60/1', '5/1.5', '-1/60', ''].map(
      (value): [string[], RegExp] => [['--client', 'svc:x', `--throttle=${value}`], /--throttle must be MAX\/SECONDS, two whole numbers above 0, such as 5\/60/],
    ),
    [['--client', 'svc:x', '--throttle', '5/60', '--no-throttle'], /use --throttle or --no-throttle, not both/],
    [['--clients-file', 'clients.json', '--scope', 'api:read'], /--scope sets the scopes of --client clients only; the clients of --clients-file take theirs from the file/],
    [['--client', 'svc:x', '--clients-file', 'clients.json', '--scope', 'api:read'], /--scope sets the scopes of --client clients only/],
  ]
  const results = await Promise.all(rows.map(([args]) => cli(['serve', ...args])))
  results.forEach(({ code, stderr }, index) => {
    const [args, expected] = rows[index] as [string[], RegExp]
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`)
    assert.match(stderr, expected, args.join(' '))
  })
  const help = await cli(['serve', '--help'])
  for (const flag of [/--client ID +a client whose secret is in the OAUTH2_CLIENT_SECRET/, /--issuer URL/, /--throttle MAX\/SECONDS/, /--no-throttle/]) {
    assert.match(help.stdout, flag)
  }
})
