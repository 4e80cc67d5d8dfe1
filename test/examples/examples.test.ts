// Runs every program in examples/ as a user would (a separate node process importing the built
// package by its name), against a reference server started here, so that none goes stale.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { promisify } from 'node:util'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'
import { REPO, ensureBuilt } from '../packaging/ensure-build.js'

const run = promisify(execFile)
let server: ReferenceServer

before(async () => {
  await ensureBuilt() // the examples import 'oauth2-client-credentials', which resolves to dist/
  server = await startReferenceServer({
    clients: [{ clientId: 'orders-service', clientSecret: RESERVED_SECRET, scopes: ['orders:read', 'orders:write'] }],
    throttle: false,
  })
})
after(() => server?.close())

/** Runs one example with the server's URLs in its environment; resolves with its output. */
async function example(file: string, nodeArgs: string[] = []): Promise<{ stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OAUTH2_TOKEN_URL: server.tokenUrl,
    OAUTH2_CLIENT_ID: 'orders-service',
    OAUTH2_CLIENT_SECRET: RESERVED_SECRET,
    API_URL: server.resourceUrl,
  }
  // Set by node --test for its own children; an example that uses node:test must report on its own.
  delete env.NODE_TEST_CONTEXT
  const result = await run(process.execPath, ['--import', 'tsx', ...nodeArgs, join('examples', file)], {
    cwd: REPO,
    env,
    timeout: 30_000,
  })
  assert.ok(!result.stdout.includes(RESERVED_SECRET) && !result.stderr.includes(RESERVED_SECRET), 'no example prints the secret')
  return result
}

function tokenRequestsDuring<T>(action: () => Promise<T>): Promise<{ result: T; requests: number }> {
  const seen = server.log.tokenRequests().length
  return action().then((result) => ({ result, requests: server.log.tokenRequests().length - seen }))
}

test('every example is run by this file', async () => {
  const programs = (await readdir(join(REPO, 'examples'))).filter((name) => name.endsWith('.ts')).sort()
  assert.deepEqual(programs, ['fetch-wrapper.ts', 'integration-test.ts', 'service.ts', 'undici-interceptor.ts'])
})

test('the examples type-check against the built package', async () => {
  await run(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'examples/tsconfig.json'], { cwd: REPO })
})

test('service.ts: gets a token, calls the API, and reuses the token', async () => {
  const { result, requests } = await tokenRequestsDuring(() => example('service.ts'))
  assert.match(result.stdout, /^orders API answered: \{"client_id":"orders-service",.*"scope":"orders:read"/m)
  assert.match(result.stdout, /^token for the second call: AccessToken\(Bearer, scope "orders:read", expires /m)
  assert.equal(requests, 1)
})

test('fetch-wrapper.ts: three concurrent requests and a POST, one token request', async () => {
  const { result, requests } = await tokenRequestsDuring(() => example('fetch-wrapper.ts'))
  const lines = result.stdout.trim().split('\n')
  assert.equal(lines.length, 4, result.stdout)
  for (const line of lines.slice(0, 3)) assert.match(line, /^200 http:\/\/.*\/resource: client orders-service, scope orders:read$/)
  assert.match(lines[3] ?? '', /^POST 200: .*"method":"POST","bodyLength":28/)
  assert.equal(requests, 1)
})

test('undici-interceptor.ts: request and fetch through the composed dispatcher', async () => {
  const { result, requests } = await tokenRequestsDuring(() => example('undici-interceptor.ts'))
  assert.match(result.stdout, /^request: 200, client orders-service, scope orders:read$/m)
  assert.match(result.stdout, /^fetch: 200, \{"client_id":"orders-service"/m)
  assert.equal(requests, 1)
})

test('integration-test.ts: its own node:test suite passes against its own reference server', async () => {
  const { stdout } = await example('integration-test.ts', ['--test', '--test-reporter=tap'])
  assert.match(stdout, /^# pass 3$/m)
  assert.match(stdout, /^# fail 0$/m)
})
