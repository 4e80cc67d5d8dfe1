// What a hostile token server can put in a token response, and what the client makes of it: every
// value that becomes a header, a date or a log line is checked first (issue: "every value from
// outside is hostile"). Against the real reference server on loopback, with its `token` and `body`
// faults, and a bare node:http server for content encodings.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, test } from 'node:test'
import { inspect } from 'node:util'
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib'
import { Readable } from 'node:stream'
import { AccessToken, InvalidResponseError, OAuthError, TokenClient, UnexpectedStatusError } from '../../src/index.js'
import { main } from '../../src/cli/main.js'
import type { CommandIo } from '../../src/cli/io.js'
import { startFixture, CLIENT_ID, type Fixture } from '../helpers/fixtures.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'

let f: Fixture
before(async () => {
  f = await startFixture({ throttle: false })
})
after(() => f.close())

const scope = 'api:read'

/** Asserts that `error` is an INVALID_RESPONSE whose message, reason, cause and inspect output hold no part of `token`. */
function assertRefusedWithoutQuoting(error: unknown, token: string, reason: RegExp): true {
  assert.ok(error instanceof InvalidResponseError, `not INVALID_RESPONSE: ${String(error)}`)
  assert.match(error.reason, reason)
  const shown = [error.message, error.reason, inspect(error, { depth: 5 }), JSON.stringify(error), String(error.cause)].join('\n')
  for (const part of token.split(/[\r\n\0 ]/).filter((piece) => piece.length >= 4)) {
    assert.ok(!shown.includes(part), `the error shows part of the token: ${part}`)
  }
  return true
}

const HOSTILE_TOKENS: Array<[string, string]> = [
  ['CR/LF (header injection)', 'abcdEFGH1234\r\nx-injected: yes'],
  ['a bare LF', 'abcdEFGH1234\nsecond-line'],
  ['NUL', 'abcdEFGH1234\0tail5678'],
  ['non-ASCII', 'abcdEFGH1234é5678wxyz'],
  ['a space', 'abcdEFGH1234 5678wxyz'],
  ['a quote', 'abcdEFGH1234"5678wxyz'],
  ['padding in the middle', 'abcdEFGH1234==5678wxyz'],
]

for (const [name, token] of HOSTILE_TOKENS) {
  test(`an access_token with ${name} is INVALID_RESPONSE, not cached, and never quoted`, async () => {
    const client = f.makeClient({ retry: false })
    const params = { params: { case: `hostile-${name}` } }
    const before = f.requests()
    f.server.faults.add({ type: 'token', fields: { access_token: token } }, { times: 1 })
    await assert.rejects(client.getToken(scope, params), (error) => assertRefusedWithoutQuoting(error, token, /b64token/))
    // Nothing was cached: the next call asks again and gets the server's own, well-formed token.
    const good = await client.getToken(scope, params)
    assert.match(good.accessToken, /^[A-Za-z0-9\-._~+/]+=*$/)
    assert.equal(f.requests() - before, 2)
  })
}

test('tokens of the usual shapes are accepted: JWT, base64 with padding, base64url, hex, UUID', async () => {
  const client = f.makeClient({ retry: false })
  const shapes = [
    'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdmMifQ.c2lnbmF0dXJl',
    'dGhpcyBpcyBhIHRva2Vu+/A==',
    'AbC-_~.123',
    'deadbeef00112233',
    '3f1e2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b',
  ]
  for (const [index, token] of shapes.entries()) {
    f.server.faults.add({ type: 'token', fields: { access_token: token } }, { times: 1 })
    assert.equal((await client.getToken(scope, { params: { case: `shape-${index}` } })).accessToken, token)
  }
})

test('the CLI prints no header line for a token it would not send: token --header exits 5', async () => {
  const token = 'abcdEFGH1234\r\nx-injected: yes'
  f.server.faults.add({ type: 'token', fields: { access_token: token } }, { times: 1 })
  let out = ''
  let err = ''
  const io: CommandIo = { out: (t) => void (out += t), err: (t) => void (err += t), env: { OAUTH2_CLIENT_SECRET: RESERVED_SECRET }, stdin: Readable.from(['']) }
  const code = await main(['token', '--token-url', f.server.tokenUrl, '--client-id', CLIENT_ID, '--scope', scope, '--header'], io)
  assert.equal(code, 5)
  assert.equal(out, '')
  assert.ok(!err.includes('x-injected'), err)
})

const IMPLAUSIBLE_EXP: Array<[string, number]> = [
  ['in milliseconds', Date.now() + 3_600_000],
  ['past the expires_in cap', Math.floor(Date.now() / 1000) + 2 ** 31 + 10],
  ['near Number.MAX_VALUE', 1e308],
]

/** A JWT-shaped token (unsigned: the client never verifies it, it only reads `exp`). */
function jwtWithPayload(payload: string): string {
  const part = (text: string) => Buffer.from(text).toString('base64url')
  return `${part('{"alg":"none","typ":"at+jwt"}')}.${part(payload)}.c2ln`
}

for (const [name, exp] of IMPLAUSIBLE_EXP) {
  test(`a JWT exp ${name} is taken as absent: the default lifetime, a valid date, String and JSON never throw`, async () => {
    const client = f.makeClient({ retry: false, cache: { defaultLifetimeMs: 120_000 } })
    const token = jwtWithPayload(`{"exp":${exp}}`)
    f.server.faults.add({ type: 'token', fields: { access_token: token, expires_in: undefined } }, { times: 1 })
    const before = Date.now()
    const got = await client.getToken(scope, { params: { case: `exp-${name}` } })
    const lifetime = got.expiresAt.getTime() - before
    assert.ok(lifetime > 110_000 && lifetime <= 121_000, `lifetime ${lifetime} ms is not the default`)
    assert.doesNotThrow(() => String(got))
    assert.doesNotThrow(() => JSON.stringify(got))
    assert.doesNotThrow(() => inspect(got))
  })
}

test('a JWT exp written as 1e400 (Infinity once parsed) is taken as absent', async () => {
  const client = f.makeClient({ retry: false, cache: { defaultLifetimeMs: 120_000 } })
  // JSON.stringify cannot write 1e400, so the payload is written by hand.
  const token = jwtWithPayload('{"exp":1e400}')
  f.server.faults.add({ type: 'token', fields: { access_token: token, expires_in: undefined } }, { times: 1 })
  const got = await client.getToken(scope, { params: { case: 'exp-infinite' } })
  assert.ok(Number.isFinite(got.expiresAt.getTime()))
  assert.doesNotThrow(() => JSON.stringify(got))
})

test('a plausible JWT exp still sets the lifetime', async () => {
  const client = f.makeClient({ retry: false })
  const exp = Math.floor(Date.now() / 1000) + 900
  f.server.faults.add({ type: 'token', fields: { access_token: jwtWithPayload(`{"exp":${exp}}`), expires_in: undefined } }, { times: 1 })
  const got = await client.getToken(scope, { params: { case: 'exp-plausible' } })
  assert.ok(Math.abs(got.expiresAt.getTime() - exp * 1000) < 2_000)
})

test('an AccessToken is never built with an invalid date, and no caller can change the date another sees', () => {
  assert.throws(() => new AccessToken('abc', new Date(Number.NaN), 'a'), { code: 'ERR_INVALID_ARG_VALUE' })
  const token = new AccessToken('abc', new Date('2026-12-01T00:00:00Z'), 'a')
  token.expiresAt.setTime(Number.NaN)
  assert.equal(token.expiresAt.toISOString(), '2026-12-01T00:00:00.000Z')
  assert.match(String(token), /expires 2026-12-01T00:00:00.000Z/)
  assert.equal((JSON.parse(JSON.stringify(token)) as { expiresAt: string }).expiresAt, '2026-12-01T00:00:00.000Z')
})

test('a granted scope with control characters is INVALID_RESPONSE: it would become a log line', async () => {
  const client = f.makeClient({ retry: false })
  f.server.faults.add({ type: 'token', fields: { scope: 'api:read\r\nlevel=admin' } }, { times: 1 })
  await assert.rejects(client.getToken(scope, { params: { case: 'scope-crlf' } }), (error) =>
    error instanceof InvalidResponseError && /scope/.test(error.reason) && !error.message.includes('level=admin'))
})

test('an error_description with CR/LF or terminal escapes is escaped in the message; the field keeps what was sent', async () => {
  const client = f.makeClient({ retry: false })
  const description = 'nope\r\n2026-12-01 INFO forged line \u001b[2J'
  f.server.faults.add({ type: 'body', status: 400, body: JSON.stringify({ error: 'invalid_scope', error_description: description }) }, { times: 1 })
  await assert.rejects(client.getToken(scope, { params: { case: 'description-crlf' } }), (error) => {
    assert.ok(error instanceof OAuthError)
    assert.equal(error.error, 'invalid_scope')
    assert.equal(error.errorDescription, description)
    assert.ok(!/[\r\n\u001b]/.test(error.message), JSON.stringify(error.message))
    assert.match(error.message, /nope\\u000d\\u000a2026-12-01 INFO forged line \\u001b\[2J/)
    return true
  })
})

test('params refuses the reserved names in any letter case', () => {
  for (const name of ['Grant_Type', 'SCOPE', 'Client_Id', 'client_SECRET', 'Client_Assertion', 'CLIENT_ASSERTION_TYPE']) {
    assert.throws(
      () => new TokenClient({ tokenUrl: f.server.tokenUrl, clientId: CLIENT_ID, clientSecret: RESERVED_SECRET, params: { [name]: 'x' } }),
      (error: unknown) => error instanceof TypeError && (error as { code?: string }).code === 'ERR_INVALID_ARG_VALUE' && error.message.includes(name),
    )
  }
})

test('getToken refuses the reserved names in params in any letter case', async () => {
  const client = f.makeClient()
  await assert.rejects(client.getToken(scope, { params: { GRANT_TYPE: 'password' } }), TypeError)
})

// Content encodings and a BOM: a bare server, since the reference server never sends them.
let raw: Server
let rawUrl = ''
let nextAnswer: { headers: Record<string, string>; body: Buffer; status?: number } = { headers: {}, body: Buffer.alloc(0) }
before(async () => {
  raw = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(nextAnswer.status ?? 200, nextAnswer.headers)
      res.end(nextAnswer.body)
    })
  })
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve))
  const address = raw.address()
  rawUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/token`
})
after(() => new Promise<void>((resolve) => raw.close(() => resolve())))

const TOKEN_JSON = '{"access_token":"encoded-token_1","token_type":"Bearer","expires_in":60}'

function rawClient(extra: Partial<ConstructorParameters<typeof TokenClient>[0]> = {}) {
  return new TokenClient({ tokenUrl: rawUrl, clientId: 'raw-client', clientSecret: 'raw-client-secret', retry: false, ...extra })
}

for (const [label, coding, encode] of [
  ['gzip', 'gzip', gzipSync],
  ['x-gzip', 'x-gzip', gzipSync],
  ['deflate (zlib-wrapped)', 'deflate', deflateSync],
  ['deflate (raw, as some servers send it)', 'deflate', deflateRawSync],
  ['br', 'br', brotliCompressSync],
] as const) {
  test(`a token response with content encoding ${label} is decoded and parsed`, async () => {
    nextAnswer = { headers: { 'content-type': 'application/json', 'content-encoding': coding }, body: encode(Buffer.from(TOKEN_JSON)) }
    const client = rawClient()
    try {
      assert.equal((await client.getToken('a')).accessToken, 'encoded-token_1')
    } finally {
      await client.close()
    }
  })
}

test('a BOM-prefixed JSON token response is parsed', async () => {
  nextAnswer = { headers: { 'content-type': 'application/json; charset=utf-8' }, body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TOKEN_JSON)]) }
  const client = rawClient()
  try {
    assert.equal((await client.getToken('a')).accessToken, 'encoded-token_1')
  } finally {
    await client.close()
  }
})

test('an unknown content encoding, a body that does not decode, or a decompression bomb is named precisely', async () => {
  const cases: Array<[Record<string, string>, Buffer, RegExp]> = [
    [{ 'content-encoding': 'zstd' }, Buffer.from('whatever'), /content encoding "zstd", which the client cannot decode/],
    [{ 'content-encoding': 'gzip' }, Buffer.from(TOKEN_JSON), /gzip body does not decode/],
    [{ 'content-encoding': 'gzip' }, gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20)), /gzip-decoded body is larger than 1048576 bytes/],
  ]
  for (const [headers, body, reason] of cases) {
    nextAnswer = { headers: { 'content-type': 'application/json', ...headers }, body }
    const client = rawClient()
    try {
      await assert.rejects(client.getToken('a'), (error) => error instanceof InvalidResponseError && reason.test(error.reason))
    } finally {
      await client.close()
    }
  }
})

test('a gzip-encoded OAuth error is parsed; an error answer that does not decode is classified by its status', async () => {
  nextAnswer = { status: 400, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync('{"error":"invalid_scope"}') }
  const client = rawClient()
  try {
    await assert.rejects(client.getToken('a'), (error) => error instanceof OAuthError && error.error === 'invalid_scope')
    nextAnswer = { status: 503, headers: { 'content-type': 'text/html', 'content-encoding': 'gzip' }, body: Buffer.from('<h1>down</h1>') }
    await assert.rejects(client.getToken('a'), (error) => error instanceof UnexpectedStatusError && error.status === 503)
  } finally {
    await client.close()
  }
})

test('C1 controls, bidi overrides and line separators from the server never reach a message', async () => {
  const hostile = 'x\u009b2J\u202eevil\u2028line\u0085'
  const client = f.makeClient({ retry: false })
  f.server.faults.add({ type: 'token', fields: { token_type: hostile } }, { times: 1 })
  await assert.rejects(client.getToken(scope, { params: { case: 'c1-token-type' } }), (error) =>
    error instanceof InvalidResponseError && /^[\x20-\x7e]*$/.test(error.message))
  // A header can carry only latin1: the C1 controls.
  nextAnswer = { headers: { 'content-type': 'application/json', 'content-encoding': 'x\u009b2J\u0085' }, body: Buffer.from(TOKEN_JSON) }
  const bare = rawClient()
  try {
    await assert.rejects(bare.getToken('a'), (error) => error instanceof InvalidResponseError && /^[\x20-\x7e]*$/.test(error.message))
  } finally {
    await bare.close()
  }
})

test('a megabyte error_description is cut to 2,000 characters in the field and 300 in the message', async () => {
  const client = f.makeClient({ retry: false })
  f.server.faults.add({ type: 'body', status: 400, body: JSON.stringify({ error: 'invalid_request', error_description: 'y'.repeat(1_000_000) }) }, { times: 1 })
  await assert.rejects(client.getToken(scope, { params: { case: 'huge-description' } }), (error) => {
    assert.ok(error instanceof OAuthError)
    assert.equal(error.errorDescription?.length, 2_003)
    assert.ok(error.message.length < 400, String(error.message.length))
    return true
  })
})

test('a Retry-After beyond any timer (a huge number, a far date) is reported as at most 2^31-1 ms', async () => {
  for (const retryAfter of ['9'.repeat(400), 'Fri, 31 Dec 275759 00:00:00 GMT', String(2 ** 40)]) {
    nextAnswer = { status: 503, headers: { 'content-type': 'text/plain', 'retry-after': retryAfter }, body: Buffer.from('busy') }
    const bare = rawClient()
    try {
      await assert.rejects(bare.getToken('a'), (error) => {
        assert.ok(error instanceof UnexpectedStatusError)
        assert.ok(error.retryAfterMs !== undefined && Number.isFinite(error.retryAfterMs) && error.retryAfterMs <= 2 ** 31 - 1, String(error.retryAfterMs))
        return true
      })
    } finally {
      await bare.close()
    }
  }
})

test('*.localhost is not loopback (Node resolves it through DNS): plain http there needs allowInsecureHttp; IPv4-mapped 127.x is', async () => {
  const { createAuthFetch } = await import('../../src/index.js')
  const base = { clientId: 'c', clientSecret: 'secret-value' }
  assert.throws(() => new TokenClient({ ...base, tokenUrl: 'http://idp.localhost/token' }), { code: 'ERR_INVALID_ARG_VALUE' })
  assert.throws(() => createAuthFetch(f.makeClient(), { origins: ['http://api.localhost:8080'] }), { code: 'ERR_INVALID_ARG_VALUE' })
  for (const tokenUrl of ['http://localhost/token', 'http://127.8.9.10/token', 'http://[::1]/token', 'http://[::ffff:127.0.0.1]/token']) {
    const client = new TokenClient({ ...base, tokenUrl })
    await client.close()
  }
})
