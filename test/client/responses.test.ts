import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, test } from 'node:test'
import { InvalidResponseError, OAuthError, UnexpectedStatusError } from '../../src/index.js'
import { startFixture, type Fixture } from '../helpers/fixtures.js'

let f: Fixture
let elsewhere: Server
let elsewhereHits = 0
let elsewhereOrigin = ''
before(async () => {
  f = await startFixture({ throttle: false })
  elsewhere = createServer((_req, res) => {
    elsewhereHits++
    res.end('{}')
  })
  await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve))
  const address = elsewhere.address()
  elsewhereOrigin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
})
after(async () => {
  await f.close()
  elsewhere.close()
})

const scope = 'api:read'

test('a 200 with an HTML page is INVALID_RESPONSE with status and content type, not retried', async () => {
  const client = f.makeClient()
  const before = f.requests()
  f.server.faults.add({ type: 'body', body: '<html><body>Sign in</body></html>', contentType: 'text/html; charset=utf-8' }, { scope })
  await assert.rejects(client.getToken(scope), (error: unknown) => {
    assert.ok(error instanceof InvalidResponseError)
    assert.equal(error.status, 200)
    assert.equal(error.contentType, 'text/html; charset=utf-8')
    assert.equal(error.attempts, 1)
    return true
  })
  assert.equal(f.requests() - before, 1)
})

test('a form-encoded token response is parsed', async () => {
  const client = f.makeClient()
  f.server.faults.add({ type: 'body', body: 'access_token=abc123&token_type=bearer&expires_in=60&scope=api%3Aread', contentType: 'application/x-www-form-urlencoded' }, { scope })
  const token = await client.getToken(scope, { params: { case: 'form' } })
  assert.equal(token.accessToken, 'abc123')
  assert.equal(token.scope, 'api:read')
})

test('a 200 carrying an error member is an OAuth error', async () => {
  const client = f.makeClient()
  f.server.faults.add({ type: 'body', body: JSON.stringify({ error: 'invalid_client', error_description: 'nope' }), contentType: 'application/json' }, { scope })
  await assert.rejects(client.getToken(scope, { params: { case: '200-error' } }), (error: unknown) =>
    error instanceof OAuthError && error.status === 200 && error.error === 'invalid_client')
})

for (const [name, fields, message] of [
  ['negative expires_in', { expires_in: -1 }, /expires_in/],
  ['non-numeric expires_in', { expires_in: 'an hour' }, /expires_in/],
  ['another token type', { token_type: 'N_A' }, /token_type "N_A" is not Bearer/],
  ['a missing access_token', { access_token: undefined }, /access_token/],
] as const) {
  test(`${name} is INVALID_RESPONSE`, async () => {
    const client = f.makeClient()
    f.server.faults.add({ type: 'token', fields }, { scope })
    await assert.rejects(client.getToken(scope, { params: { case: name } }), (error: unknown) =>
      error instanceof InvalidResponseError && message.test(error.message))
  })
}

test('a body over the cap is INVALID_RESPONSE and is not read to the end', async () => {
  const client = f.makeClient({ maxResponseBytes: 1024 })
  f.server.faults.add({ type: 'body', body: JSON.stringify({ access_token: 'x'.repeat(4_000_000), token_type: 'Bearer' }), contentType: 'application/json' }, { scope })
  await assert.rejects(client.getToken(scope, { params: { case: 'large' } }), (error: unknown) =>
    error instanceof InvalidResponseError && /larger than 1024 bytes/.test(error.message))
  assert.equal((await client.getToken(scope, { params: { case: 'after-large' } })).scope, scope, 'the client still works')
})

test('the default cap is 1 MiB', async () => {
  const client = f.makeClient()
  f.server.faults.add({ type: 'body', body: JSON.stringify({ access_token: 'x'.repeat(1_100_000), token_type: 'Bearer' }), contentType: 'application/json' }, { scope })
  await assert.rejects(client.getToken(scope, { params: { case: 'default-cap' } }), /larger than 1048576 bytes/)
})

test('a redirect is never followed: an error naming the status and only the target origin', async () => {
  const client = f.makeClient()
  f.server.faults.add({ type: 'status', status: 307, headers: { location: `${elsewhereOrigin}/token?code=secret-ish` } }, { scope })
  await assert.rejects(client.getToken(scope, { params: { case: 'redirect' } }), (error: unknown) => {
    assert.ok(error instanceof UnexpectedStatusError)
    assert.equal(error.status, 307)
    assert.equal(error.redirectOrigin, elsewhereOrigin)
    assert.ok(error.message.includes(elsewhereOrigin) && !error.message.includes('secret-ish'))
    assert.equal(error.attempts, 1)
    return true
  })
  assert.equal(elsewhereHits, 0)
})

test('a chunked body without Content-Length is cut off at the cap while streaming', async () => {
  const { createServer } = await import('node:http')
  let written = 0
  const big = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    const pump = () => {
      while (written < 8 * 1024 * 1024) {
        written += chunk.length
        if (!res.write(chunk)) return void res.once('drain', pump)
      }
      res.end()
    }
    res.on('close', () => (written = Math.max(written, 0)))
    pump()
  })
  await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve))
  const address = big.address()
  const { TokenClient } = await import('../../src/index.js')
  const client = new TokenClient({ tokenUrl: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/t`, clientId: 'a', clientSecret: 'b', maxResponseBytes: 100_000, retry: false })
  try {
    await assert.rejects(client.getToken('x'), (error: unknown) => error instanceof InvalidResponseError && /larger than 100000 bytes/.test(error.message))
    assert.ok(written < 8 * 1024 * 1024, `the server was stopped early (${written} bytes written)`)
  } finally {
    await client.close()
    big.closeAllConnections()
    big.close()
  }
})
