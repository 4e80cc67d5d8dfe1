import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { writeFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { after, before, test } from 'node:test'
import { main } from '../../src/cli/main.js'
import type { CommandIo } from '../../src/cli/io.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'

const SECRET = RESERVED_SECRET
let server: ReferenceServer
let dir: string
before(async () => {
  server = await startReferenceServer({ clients: [{ clientId: 'svc', clientSecret: SECRET, scopes: ['api:read', 'api:write'] }], throttle: false })
  dir = await mkdtemp(join(tmpdir(), 'occ-cli-'))
})
after(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

async function run(args: string[], env: NodeJS.ProcessEnv = {}, stdin = '') {
  let out = ''
  let err = ''
  const io: CommandIo = { out: (t) => void (out += t), err: (t) => void (err += t), env, stdin: Readable.from([stdin]) }
  const code = await main(args, io)
  return { code, out, err }
}
const base = () => ['token', '--token-url', server.tokenUrl, '--client-id', 'svc', '--scope', 'api:read']

test('prints the token alone, with the secret from the default environment variable', async () => {
  const { code, out, err } = await run(base(), { OAUTH2_CLIENT_SECRET: SECRET })
  assert.equal(code, 0, err)
  assert.match(out, /^[A-Za-z0-9_-]{40,}\n$/)
})

test('--header prints a ready Authorization line; --json the token as JSON', async () => {
  const header = await run([...base(), '--header'], { OAUTH2_CLIENT_SECRET: SECRET })
  assert.match(header.out, /^Authorization: Bearer [A-Za-z0-9_-]+\n$/)
  const json = await run([...base(), '--json', '--scope', 'api:write'], { OAUTH2_CLIENT_SECRET: SECRET })
  const parsed = JSON.parse(json.out) as Record<string, string>
  assert.equal(parsed.token_type, 'Bearer')
  assert.equal(parsed.scope, 'api:read api:write')
  assert.ok(!Number.isNaN(Date.parse(parsed.expires_at ?? '')))
})

test('the secret from a named variable, a file, stdin, or (with a warning) the command line', async () => {
  assert.equal((await run([...base(), '--client-secret-env', 'MY_SECRET'], { MY_SECRET: SECRET })).code, 0)
  const file = join(dir, 'secret.txt')
  await writeFile(file, `${SECRET}\n`)
  assert.equal((await run([...base(), '--client-secret-file', file])).code, 0)
  assert.equal((await run([...base(), '--client-secret-stdin'], {}, `${SECRET}\n`)).code, 0)
  const flag = await run([...base(), '--client-secret', SECRET])
  assert.equal(flag.code, 0)
  assert.match(flag.err, /^warning: --client-secret puts the secret in your shell history/)
  assert.ok(!flag.err.includes(SECRET))
})

test('exit codes: 2 for usage, 3 when the server refuses, 4 when it cannot be reached', async () => {
  const usage = await run(['token', '--client-id', 'svc'], { OAUTH2_CLIENT_SECRET: SECRET })
  assert.equal(usage.code, 2)
  assert.match(usage.err, /--token-url or --issuer is required/)
  assert.equal((await run([...base(), '--bogus'], { OAUTH2_CLIENT_SECRET: SECRET })).code, 2)
  assert.equal((await run(base(), {})).code, 2, 'no secret anywhere')
  assert.equal((await run([...base(), '--client-secret-stdin', '--client-secret-env', 'X'])).code, 2)
  const tooLong = await run([...base(), '--timeout', String(2 ** 31)], { OAUTH2_CLIENT_SECRET: SECRET })
  assert.equal(tooLong.code, 2, 'a timeout past the longest timer Node honours')
  assert.match(tooLong.err, /--timeout must be a positive number of milliseconds, at most 2147483647/)

  const refused = await run(base(), { OAUTH2_CLIENT_SECRET: 'wrong:secret' })
  assert.equal(refused.code, 3)
  assert.equal(refused.err.trim().split('\n').length, 1, 'one line on stderr')
  assert.match(refused.err, /invalid_client/)
  assert.ok(!refused.err.includes('wrong:secret'))

  const unreachable = await run(['token', '--token-url', 'http://127.0.0.1:1/token', '--client-id', 'svc', '--timeout', '300'], { OAUTH2_CLIENT_SECRET: SECRET })
  assert.equal(unreachable.code, 4)
})

test('help for the tool and for each command', async () => {
  const top = await run(['--help'])
  assert.equal(top.code, 0)
  assert.match(top.out, /token .*\n.*serve .*\n.*demo /s)
  for (const command of ['token', 'serve', 'demo']) {
    const help = await run([command, '--help'])
    assert.equal(help.code, 0)
    assert.match(help.out, new RegExp(`^Usage: oauth2-client-credentials ${command}`))
  }
  assert.equal((await run(['nope'])).code, 2)
})

test('the binary runs as a process: curl -H "$(... --header)" style output', async () => {
  const bin = new URL('../../src/cli/bin.ts', import.meta.url).pathname
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', bin, ...base(), '--header'],
      { env: { ...process.env, OAUTH2_CLIENT_SECRET: SECRET }, timeout: 20_000 },
      (error, stdout, stderr) => (error ? reject(error) : resolve({ stdout, stderr })),
    )
  })
  assert.equal(stderr, '')
  assert.match(stdout, /^Authorization: Bearer \S+\n$/)
})

test("TokenClient's option errors are printed in the token command's flags (exit 2)", async () => {
  const env = { OAUTH2_CLIENT_SECRET: SECRET }
  const rows: Array<[string, string[], RegExp]> = [
    [
      'plain http to a non-loopback host',
      ['--token-url', 'http://id.example.com/token', '--client-id', 'svc'],
      /^oauth2-client-credentials token: --token-url must use https: \(plain http is allowed only to loopback hosts, or with --allow-insecure-http\)\n/,
    ],
    ['a token URL with credentials', ['--token-url', 'https://u:p@id.example.com/token', '--client-id', 'svc'], /--token-url must not carry credentials; use --client-id and the client secret\n/],
    ['a colon in the id with raw Basic', ['--token-url', server.tokenUrl, '--client-id', 'a:b', '--basic-encoding', 'raw'], /: --client-id cannot contain ':' with --basic-encoding raw \(Basic would split it\)\n/],
    ['an unknown auth method', ['--token-url', server.tokenUrl, '--client-id', 'svc', '--auth-method', 'mtls'], /: --auth-method must be one of 'client_secret_basic', 'client_secret_post', 'private_key_jwt', 'client_secret_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'\n/],
    ['an unknown Basic encoding', ['--token-url', server.tokenUrl, '--client-id', 'svc', '--basic-encoding', 'utf8'], /: --basic-encoding must be one of 'form', 'raw'\n/],
    ['a scope outside NQCHAR', ['--token-url', server.tokenUrl, '--client-id', 'svc', '--scope', 'api:"read"'], /: --scope has a scope token with a character RFC 6749/],
    ['a resource that is not an absolute URI', ['--token-url', server.tokenUrl, '--client-id', 'svc', '--resource', 'not a uri'], /: --resource must be an absolute URI/],
  ]
  for (const [name, args, expected] of rows) {
    const { code, err } = await run(['token', ...args], env)
    assert.equal(code, 2, `${name}: ${err}`)
    assert.match(err, expected, name)
    assert.doesNotMatch(err, /tokenUrl|clientId|clientSecret|basicEncoding|authMethod|allowInsecureHttp/, name)
    assert.match(err, /run 'oauth2-client-credentials token --help' for usage\n$/, name)
  }
})

test("the invalid_client hint names the token command's flags, not TokenClient options", async () => {
  const refused = await run(base(), { OAUTH2_CLIENT_SECRET: 'wrong:secret%' })
  assert.equal(refused.code, 3)
  assert.match(refused.err, /invalid_client/)
  assert.match(refused.err, /--basic-encoding raw or --auth-method client_secret_post/)
  assert.doesNotMatch(refused.err, /basicEncoding|authMethod/)
  assert.ok(!refused.err.includes('wrong:secret%'))
})

test('--no-retry makes a single attempt; without it a 503 is retried', async () => {
  const env = { OAUTH2_CLIENT_SECRET: SECRET }
  const requests = () => server.log.tokenRequests().length
  try {
    server.faults.add({ type: 'status', status: 503, headers: { 'retry-after': '0' } })
    let before = requests()
    const once = await run([...base(), '--no-retry'], env)
    assert.equal(once.code, 3, once.err)
    assert.match(once.err, /503/)
    assert.equal(requests() - before, 1, 'one attempt')

    server.faults.add({ type: 'status', status: 503, headers: { 'retry-after': '0' } })
    before = requests()
    const retried = await run(base(), env)
    assert.equal(retried.code, 0, retried.err)
    assert.equal(requests() - before, 2, 'the 503, then the token')
  } finally {
    server.faults.clear()
  }
  assert.match((await run(['token', '--help'])).out, /--no-retry +a single attempt/)
})
