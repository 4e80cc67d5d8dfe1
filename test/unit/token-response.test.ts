import assert from 'node:assert/strict'
import { test } from 'node:test'
import { InvalidResponseError, OAuthError, UnexpectedStatusError } from '../../src/errors/token-client-error.js'
import { jwtExpiry } from '../../src/response/jwt-expiry.js'
import { interpretTokenResponse, parseExpiresIn } from '../../src/response/token-response.js'

const now = 1_800_000_000_000
const context = {
  url: new URL('https://id.example.com/token'),
  requestedScope: 'a b',
  now,
  defaultLifetimeMs: 300_000,
  redact: (text: string) => text.replaceAll('hunter2', '[redacted]'),
}

function respond(status: number, body: string | object, contentType: string | undefined = 'application/json', headers: Record<string, string> = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  return { status, headers: { ...(contentType ? { 'content-type': contentType } : {}), ...headers }, body: Buffer.from(text) }
}

function jwt(payload: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'none', typ: 'at+jwt' })}.${part(payload)}.sig`
}

test('success responses accepted (checklist 18-21)', () => {
  const rows: Array<[string, ReturnType<typeof respond>, { lifetimeMs: number; source: string; scope: string }]> = [
    ['standard', respond(200, { access_token: 't', token_type: 'Bearer', expires_in: 3600, scope: 'a' }), { lifetimeMs: 3_600_000, source: 'expires_in', scope: 'a' }],
    ['lowercase bearer, string expires_in', respond(200, { access_token: 't', token_type: 'bearer', expires_in: '60' }), { lifetimeMs: 60_000, source: 'expires_in', scope: 'a b' }],
    ['BEARER, charset in content type', respond(200, { access_token: 't', token_type: 'BEARER', expires_in: 1 }, 'application/json; charset=utf-8'), { lifetimeMs: 1000, source: 'expires_in', scope: 'a b' }],
    ['fractional seconds', respond(200, { access_token: 't', token_type: 'Bearer', expires_in: 1.5 }), { lifetimeMs: 1500, source: 'expires_in', scope: 'a b' }],
    ['zero lifetime', respond(200, { access_token: 't', token_type: 'Bearer', expires_in: 0 }), { lifetimeMs: 0, source: 'expires_in', scope: 'a b' }],
    ['missing expires_in, opaque token', respond(200, { access_token: 't', token_type: 'Bearer' }), { lifetimeMs: 300_000, source: 'default', scope: 'a b' }],
    ['null expires_in', respond(200, { access_token: 't', token_type: 'Bearer', expires_in: null }), { lifetimeMs: 300_000, source: 'default', scope: 'a b' }],
    ['missing expires_in, JWT exp', respond(200, { access_token: jwt({ exp: now / 1000 + 120 }), token_type: 'Bearer' }), { lifetimeMs: 120_000, source: 'jwt', scope: 'a b' }],
    ['form-encoded body', respond(200, 'access_token=t&token_type=bearer&expires_in=30&scope=x+y', 'application/x-www-form-urlencoded'), { lifetimeMs: 30_000, source: 'expires_in', scope: 'x y' }],
    ['JSON as text/plain', respond(200, { access_token: 't', token_type: 'Bearer', expires_in: 5 }, 'text/plain'), { lifetimeMs: 5000, source: 'expires_in', scope: 'a b' }],
    ['JSON without content type', respond(200, { access_token: 't', token_type: 'Bearer', expires_in: 5 }, undefined), { lifetimeMs: 5000, source: 'expires_in', scope: 'a b' }],
    ['refresh_token ignored', respond(200, { access_token: 't', token_type: 'Bearer', expires_in: 5, refresh_token: 'r' }), { lifetimeMs: 5000, source: 'expires_in', scope: 'a b' }],
  ]
  for (const [name, response, expected] of rows) {
    const token = interpretTokenResponse(response, context)
    assert.equal(token.tokenType, 'Bearer', name)
    assert.equal(token.lifetimeMs, expected.lifetimeMs, name)
    assert.equal(token.lifetimeSource, expected.source, name)
    assert.equal(token.scope, expected.scope, name)
  }
})

test('invalid success responses are typed errors with status and content type (checklist 18-20)', () => {
  const rows: Array<[string, ReturnType<typeof respond>, RegExp]> = [
    ['HTML page', respond(200, '<html>login</html>', 'text/html'), /status 200, content type text\/html.*not a JSON object/],
    ['broken JSON', respond(200, '{"access_token":', 'application/json'), /not a JSON object/],
    ['JSON array', respond(200, '[]'), /not a JSON object/],
    ['no access_token', respond(200, { token_type: 'Bearer' }), /access_token/],
    ['empty access_token', respond(200, { access_token: '', token_type: 'Bearer' }), /access_token/],
    ['no token_type', respond(200, { access_token: 't' }), /token_type is missing/],
    ['MAC token', respond(200, { access_token: 't', token_type: 'mac' }), /token_type "mac" is not Bearer/],
    ['DPoP token', respond(200, { access_token: 't', token_type: 'DPoP' }), /answers a request without DPoP/],
    ['negative expires_in', respond(200, { access_token: 't', token_type: 'Bearer', expires_in: -5 }), /expires_in/],
    ['word expires_in', respond(200, { access_token: 't', token_type: 'Bearer', expires_in: 'soon' }), /expires_in/],
    ['boolean expires_in', respond(200, { access_token: 't', token_type: 'Bearer', expires_in: true }), /expires_in/],
  ]
  for (const [name, response, message] of rows) {
    assert.throws(() => interpretTokenResponse(response, context), (error: unknown) => {
      assert.ok(error instanceof InvalidResponseError, name)
      assert.equal(error.status, 200)
      assert.match(error.message, message, name)
      assert.ok(!error.message.includes('"t"'), 'no token in the message')
      return true
    })
  }
})

test('OAuth errors, at any status, carry error, description, uri and status (checklist 25, 27)', () => {
  const error = (() => {
    try {
      interpretTokenResponse(respond(400, { error: 'invalid_scope', error_description: 'no such scope', error_uri: 'https://e/x' }), context)
    } catch (caught) {
      return caught
    }
  })()
  assert.ok(error instanceof OAuthError)
  assert.deepEqual([error.status, error.error, error.errorDescription, error.errorUri], [400, 'invalid_scope', 'no such scope', 'https://e/x'])
  assert.throws(() => interpretTokenResponse(respond(200, { error: 'invalid_client' }), context), (e: unknown) => e instanceof OAuthError && e.status === 200)
  assert.throws(
    () => interpretTokenResponse(respond(401, { error: 'invalid_client', error_description: 'secret hunter2 is wrong' }), context),
    (e: unknown) => e instanceof OAuthError && e.errorDescription === 'secret [redacted] is wrong' && !e.message.includes('hunter2'),
  )
})

test('other statuses: unexpected status with Retry-After, redirects name only the origin', () => {
  assert.throws(
    () => interpretTokenResponse(respond(503, '<h1>down</h1>', 'text/html', { 'retry-after': '7' }), context),
    (e: unknown) => e instanceof UnexpectedStatusError && e.status === 503 && e.retryAfterMs === 7000 && /text\/html/.test(e.message),
  )
  assert.throws(
    () => interpretTokenResponse(respond(302, '', undefined, { location: 'https://login.other.example/path?secret=1' }), context),
    (e: unknown) => e instanceof UnexpectedStatusError && e.redirectOrigin === 'https://login.other.example' && !e.message.includes('secret=1') && /302/.test(e.message),
  )
  assert.throws(
    () => interpretTokenResponse(respond(307, '', undefined, { location: '/elsewhere' }), context),
    (e: unknown) => e instanceof UnexpectedStatusError && e.redirectOrigin === 'https://id.example.com',
  )
})

test('an absurd expires_in is capped so the expiry stays a valid date', () => {
  const token = interpretTokenResponse(respond(200, { access_token: 't', token_type: 'Bearer', expires_in: 1e20 }), context)
  assert.equal(token.lifetimeMs, (2 ** 31 - 1) * 1000)
  assert.ok(!Number.isNaN(new Date(now + token.lifetimeMs).getTime()))
})

test('expires_in parsing table', () => {
  const rows: Array<[unknown, number | undefined | 'invalid']> = [
    [3600, 3600], ['3600', 3600], [' 60 ', 60], ['1.5', 1.5], [0, 0], [undefined, undefined], [null, undefined],
    [-1, 'invalid'], ['-1', 'invalid'], ['1e3', 'invalid'], ['', 'invalid'], [Number.NaN, 'invalid'], [Infinity, 'invalid'], [{}, 'invalid'],
  ]
  for (const [value, expected] of rows) assert.equal(parseExpiresIn(value), expected, String(value))
})

test('JWT exp is read only from a well-formed JWT payload', () => {
  assert.equal(jwtExpiry(jwt({ exp: 123 })), 123)
  assert.equal(jwtExpiry(jwt({ sub: 'x' })), undefined)
  assert.equal(jwtExpiry(jwt({ exp: '123' })), undefined)
  assert.equal(jwtExpiry('opaque-token'), undefined)
  assert.equal(jwtExpiry('a.b.c'), undefined)
})
