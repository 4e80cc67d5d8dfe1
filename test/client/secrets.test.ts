import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { inspect } from 'node:util'
import { formEncode } from '../../src/auth/form-encoding.js'
import { isTokenClientError, TokenClient } from '../../src/index.js'
import { CLIENT_ID, startFixture, type Fixture } from '../helpers/fixtures.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'

let f: Fixture
before(async () => {
  f = await startFixture({ throttle: false })
})
after(() => f.close())

const forms = [RESERVED_SECRET, formEncode(RESERVED_SECRET), Buffer.from(`${CLIENT_ID}:${formEncode(RESERVED_SECRET)}`).toString('base64')]

function assertHidden(value: unknown, secrets: readonly string[], what: string): void {
  const views = [inspect(value, { depth: 10, showHidden: true, getters: true }), JSON.stringify(value) ?? '', String(value)]
  if (value instanceof Error) views.push(value.message, value.stack ?? '', inspect(value.cause, { depth: 10 }))
  for (const view of views) for (const secret of secrets) assert.ok(!view.includes(secret), `${what} shows a secret: ${view.slice(0, 200)}`)
}

test('the client and its options never show the secret', async () => {
  const client = f.makeClient()
  assertHidden(client, forms, 'client')
  assertHidden(client.options, forms, 'client.options')
  assert.equal(client.options.clientSecret, '[redacted]')
})

test('a token never shows the access token except through accessToken', async () => {
  const token = await f.makeClient().getToken('api:read')
  assertHidden(token, [token.accessToken], 'token')
  assert.ok(token.accessToken.length > 20)
})

test('errors from every path never show the secret, even when the server echoes it', async () => {
  const client = f.makeClient({ retry: false })
  const echo = JSON.stringify({ error: 'invalid_client', error_description: `bad secret ${RESERVED_SECRET} / ${formEncode(RESERVED_SECRET)}` })
  const faults = [
    { type: 'status', status: 401, body: echo, contentType: 'application/json' },
    { type: 'status', status: 400, body: JSON.stringify({ error: 'invalid_request', error_description: `bad header Basic ${forms[2]}` }), contentType: 'application/json' },
    { type: 'status', status: 503, body: `<p>${RESERVED_SECRET}</p>`, contentType: 'text/html' },
    { type: 'body', body: `<p>${RESERVED_SECRET}</p>`, contentType: 'text/html' },
    { type: 'token', fields: { token_type: RESERVED_SECRET } },
    { type: 'token', fields: { expires_in: RESERVED_SECRET } },
    { type: 'status', status: 302, headers: { location: `https://elsewhere.example/?s=${encodeURIComponent(RESERVED_SECRET)}` } },
    { type: 'drop' },
  ] as const
  for (const [i, fault] of faults.entries()) {
    f.server.faults.add(fault, { scope: 'api:read' })
    const error = await client.getToken('api:read', { params: { case: String(i) } }).then(
      () => assert.fail(`fault ${fault.type} did not fail`),
      (caught: unknown) => caught,
    )
    assert.ok(isTokenClientError(error), fault.type)
    assertHidden(error, forms, `error for ${JSON.stringify(fault).slice(0, 60)}`)
  }
})

test('a wrong-secret invalid_client error does not show the wrong secret either', async () => {
  const wrong = 'wrong:secret%value'
  const client = new TokenClient({ tokenUrl: f.server.tokenUrl, clientId: CLIENT_ID, clientSecret: wrong, retry: false })
  const error = await client.getToken('api:read').catch((caught: unknown) => caught)
  await client.close()
  assertHidden(error, [wrong, formEncode(wrong)], 'invalid_client error')
})

test('a short secret never mangles protocol fields or messages: error stays invalid_client, the message readable', async () => {
  for (const wrong of ['client', 'e', 'id']) {
    const client = new TokenClient({ tokenUrl: f.server.tokenUrl, clientId: CLIENT_ID, clientSecret: wrong, retry: false })
    const error = await client.getToken('api:read').catch((caught: unknown) => caught)
    await client.close()
    assert.ok(isTokenClientError(error) && error.code === 'OAUTH_ERROR', String(error))
    assert.equal(error.error, 'invalid_client')
    assert.match(error.message, /^token endpoint http:\/\/127\.0\.0\.1:\d+\/token \(client svc\) answered 401 invalid_client/)
    assert.ok(!error.message.includes('[redacted]: [redacted]'), error.message)
  }
})
