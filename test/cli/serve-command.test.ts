import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseClientFlag } from '../../src/cli/serve-command.js'
import { TokenClient } from '../../src/index.js'
import { generateClientSecret } from '../../src/server/index.js'

const bin = new URL('../../src/cli/bin.ts', import.meta.url).pathname

/** Starts `serve` as a process and resolves with it and the first line it printed. */
async function serve(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', bin, 'serve', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
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
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)))
  })
  return { child, info: JSON.parse(line) as { issuer: string; tokenUrl: string; port: number }, stderr: () => stderr }
}

test('--client ID:SECRET keeps every colon of the secret', () => {
  assert.deepEqual(parseClientFlag('svc:s3cr:et%:x'), { clientId: 'svc', clientSecret: 's3cr:et%:x' })
  assert.throws(() => parseClientFlag('nocolon'), /ID:SECRET/)
  assert.throws(() => parseClientFlag('svc:'), /secret is empty/)
})

test('serve: prints the issuer and token URL, issues tokens, and stops cleanly on SIGTERM and SIGINT', async () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const { child, info } = await serve(['--client', 'svc:s3cr:et% +&=/', '--scope', 'api:read', '--scope', 'api:write'])
    try {
      assert.match(info.tokenUrl, /^http:\/\/127\.0\.0\.1:\d+\/token$/)
      const client = new TokenClient({ tokenUrl: info.tokenUrl, clientId: 'svc', clientSecret: 's3cr:et% +&=/' })
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
