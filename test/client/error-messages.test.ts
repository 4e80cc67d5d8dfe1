// Errors that point at the fix: every error about a request names the endpoint (origin and path,
// never the query) and the client id, says each thing once, and says what to check where it can.
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, test } from 'node:test'
import { isTokenClientError, TokenClient } from '../../src/index.js'
import { startFixture, type Fixture } from '../helpers/fixtures.js'

let f: Fixture
before(async () => {
  f = await startFixture({ throttle: false })
})
after(() => f.close())

async function failure(client: TokenClient, scope = 'api:read') {
  const error = await client.getToken(scope).then(() => assert.fail('expected a failure'), (caught: unknown) => caught)
  assert.ok(isTokenClientError(error), String(error))
  return error
}

test('a wrong token URL: the message names the endpoint without its query, the client, the status and what to check', async () => {
  const base = new URL(f.server.tokenUrl)
  const client = f.makeClient({ tokenUrl: `${base.origin}/connect/tokn?api_key=query-secret`, retry: false })
  const error = await failure(client)
  assert.equal(error.endpoint, `${base.origin}/connect/tokn`)
  assert.equal(error.clientId, 'svc')
  assert.ok(error.message.startsWith(`token endpoint ${base.origin}/connect/tokn (client svc) answered 404`), error.message)
  assert.match(error.message, /check tokenUrl$/)
  assert.ok(!error.message.includes('query-secret'))
})

test('a refused connection says it once, with the endpoint: no "ECONNREFUSED connect ECONNREFUSED"', async () => {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  const port = (blocker.address() as { port: number }).port
  await new Promise<void>((resolve) => blocker.close(() => resolve()))
  const client = f.makeClient({ tokenUrl: `http://127.0.0.1:${port}/token`, retry: false })
  const error = await failure(client)
  assert.equal(error.code, 'TRANSPORT_ERROR')
  assert.equal(error.message, `token endpoint http://127.0.0.1:${port}/token (client svc) could not be reached: connect ECONNREFUSED 127.0.0.1:${port}`)
  assert.equal(error.message.match(/ECONNREFUSED/g)?.length, 1)
})

test('a deadline names the endpoint and keeps the last failure, itself described, as its cause', async () => {
  const client = f.makeClient({ tokenUrl: 'http://127.0.0.1:1/token', retry: { deadlineMs: 300, minDelayMs: 400, maxDelayMs: 400 } })
  const error = await failure(client)
  assert.equal(error.code, 'TIMEOUT')
  assert.match(error.message, /^token endpoint http:\/\/127\.0\.0\.1:1\/token \(client svc\): no token within the 300 ms deadline \(cause: the last failure\)$/)
  assert.ok(isTokenClientError(error.cause) && error.cause.code === 'TRANSPORT_ERROR')
  assert.match(error.cause.message, /^token endpoint http:\/\/127\.0\.0\.1:1\/token \(client svc\) could not be reached: connect ECONNREFUSED/)
})

test('an OAuth error and an invalid response name the endpoint and client too', async () => {
  const client = f.makeClient({ retry: false })
  f.server.faults.add({ type: 'body', status: 400, body: JSON.stringify({ error: 'invalid_scope', error_description: 'no such scope' }) }, { times: 1 })
  const oauth = await failure(client)
  assert.match(oauth.message, /^token endpoint http:\/\/127\.0\.0\.1:\d+\/token \(client svc\) answered 400 invalid_scope: no such scope$/)
  f.server.faults.add({ type: 'body', body: '<h1>Sign in</h1>', contentType: 'text/html' }, { times: 1 })
  const invalid = await failure(client, 'api:write')
  assert.match(invalid.message, /^token endpoint http:\/\/127\.0\.0\.1:\d+\/token \(client svc\) answered 200 \(text\/html\) something that is not a token response: /)
})

test('after five wrong secrets the right one is refused for a while, and the error says so, not encoding', async () => {
  const locked = await startFixture()
  try {
    const wrong = locked.makeClient({ clientSecret: 'wrong:secret%', retry: false })
    for (let i = 0; i < 5; i++) await failure(wrong)
    const right = locked.makeClient({ retry: false })
    const error = await failure(right)
    assert.equal(error.code, 'OAUTH_ERROR')
    assert.match(error.message, /answered 429 invalid_client: too many failed attempts; the server is refusing this client id for now/)
    assert.doesNotMatch(error.message, /basicEncoding|form-encode/)
  } finally {
    await locked.close()
  }
})
