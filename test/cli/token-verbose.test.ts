// `token --verbose`: each step on stderr, from the client's diagnostics channels: the client and
// auth method, the discovery, every attempt with its status and time, a retry and its wait, a DPoP
// nonce retry, and how it ended; stdout keeps the token alone; no secret on either.
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { after, before, beforeEach, test } from 'node:test'
import type { CommandIo } from '../../src/cli/io.js'
import { main } from '../../src/cli/main.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'

let server: ReferenceServer

before(async () => {
  server = await startReferenceServer({
    throttle: false,
    dpop: { nonce: 'required' },
    clients: [{ clientId: 'svc', clientSecret: RESERVED_SECRET, scopes: ['api:read'] }],
  })
})
after(() => server.close())
beforeEach(() => server.log.clear())

async function run(args: string[], secret = RESERVED_SECRET) {
  let out = ''
  let err = ''
  const io: CommandIo = { out: (t) => void (out += t), err: (t) => void (err += t), env: { OAUTH2_CLIENT_SECRET: secret }, stdin: Readable.from(['']) }
  const code = await main(['token', '--client-id', 'svc', '--scope', 'api:read', '--verbose', ...args], io)
  return { code, out, err, lines: err.split('\n').filter((line) => line !== '') }
}

test('--verbose: the client, each attempt with its status, the retry and its wait, the end; the token alone on stdout', async () => {
  server.faults.add({ type: 'status', status: 503, headers: { 'retry-after': '0' } }, { times: 1 })
  const { code, out, err, lines } = await run(['--token-url', server.tokenUrl])
  assert.equal(code, 0, err)
  assert.equal(out.trim().split('\n').length, 1)
  assert.match(lines[0] ?? '', /^oauth2-client-credentials: client svc, http:\/\/127\.0\.0\.1:\d+\/token, auth method client_secret_basic/)
  assert.ok(lines.some((line) => /token request \(cold\) for scope "api:read" to http:\/\/127\.0\.0\.1:\d+\/token as svc with client_secret_basic/.test(line)), err)
  assert.ok(lines.some((line) => /attempt 1: 503 temporarily_unavailable in [\d.]+ ms \(OAUTH_ERROR\), retried after [\d.]+ ms$/.test(line)), err)
  assert.ok(lines.some((line) => /attempt 2: 200 in [\d.]+ ms$/.test(line)), err)
  assert.ok(lines.some((line) => /token from the token endpoint after 2 requests in [\d.]+ ms/.test(line)), err)
  assert.ok(lines.some((line) => /got a Bearer token, expires \d{4}-/.test(line)), err)
  assert.ok(!err.includes(RESERVED_SECRET) && !err.includes(out.trim()), 'no secret, no token on stderr')
})

test('--verbose with --issuer: the discovery and the method it chose', async () => {
  const { code, err, lines } = await run(['--issuer', server.issuer])
  assert.equal(code, 0, err)
  assert.ok(lines.some((line) => /auth method \(discovery\) \(to be chosen from the metadata\)/.test(line)), err)
  assert.ok(lines.some((line) => /discovered http:\/\/127\.0\.0\.1:\d+ in [\d.]+ ms: token endpoint http:\/\/127\.0\.0\.1:\d+\/token, auth method client_secret_basic/.test(line)), err)
})

test('--verbose: a refusal ends with the error code; the exit code says so; the wrong secret is on neither stream', async () => {
  const wrong = 'a-wrong-secret-that-must-not-be-printed'
  const { code, out, err, lines } = await run(['--token-url', server.tokenUrl], wrong)
  assert.equal(code, 3, err)
  assert.equal(out, '')
  assert.ok(lines.some((line) => /attempt 1: 401 invalid_client in [\d.]+ ms \(OAUTH_ERROR\)$/.test(line)), err)
  assert.ok(lines.some((line) => /token request failure after 1 request in [\d.]+ ms \(OAUTH_ERROR\)/.test(line)), err)
  assert.ok(!err.includes(wrong))
})
