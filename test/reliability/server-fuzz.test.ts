// The reference server under bad input (issue 5, item 4): fast-check generates raw HTTP requests
// (methods, targets, headers, bodies, encodings, framings, sizes, repeated parameters, bad percent
// escapes, slow senders) and sends them over node:net. The server must never crash, never go past
// its limits, and always answer something well-formed: on /token a JSON error with
// `Cache-Control: no-store` (or node's own bare 400/431 for bytes that are not HTTP), and a 200
// token exactly for the valid requests. Then: slow and stalled senders, concurrency, and a light load.
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import { Pool } from 'undici'
import { formEncode } from '../../src/auth/form-encoding.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'
import { sendRaw, type RawOutcome } from './support/raw-http.js'

const SCOPES = ['api:read', 'api:write'] as const
const MAX_BODY = 4_096
const LOG_LIMIT = 500
const ERROR_TEXT = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/

let server: ReferenceServer
before(async () => {
  server = await startReferenceServer({
    throttle: false,
    maxBodyBytes: MAX_BODY,
    logLimit: LOG_LIMIT,
    clients: [{ clientId: 'svc', clientSecret: RESERVED_SECRET, scopes: [...SCOPES] }],
  })
})
after(() => server.close())

// ---------------------------------------------------------------------------------------------
// The request model: a valid token request, then mutations, each saying what it does to the answer.

type Auth =
  | { kind: 'basic'; id: string; secret: string; encode: boolean }
  | { kind: 'post'; id: string; secret: string }
  | { kind: 'headers'; values: string[] }
  | { kind: 'none' }

interface Req {
  method: string
  path: string
  query: string[]
  version: 'HTTP/1.1' | 'HTTP/1.0'
  contentType: string | undefined
  auth: Auth
  params: Array<[string, string]>
  /** Appended to the encoded body as it is (bad escapes, junk). */
  rawSuffix: string
  headers: Array<[string, string]>
  framing: 'length' | 'chunked' | 'both' | { shortBy: number } | { longBy: number }
  chunkSize: number
}

/** What a mutation does to the answer. */
type Effect =
  | { kind: 'error'; status: number; error?: string }
  /** Still a valid request. */
  | { kind: 'neutral' }
  /** Bytes node's HTTP parser refuses: node answers a bare 400 or 431 itself. */
  | { kind: 'parser' }
  /** Any well-formed answer will do (framing tricks whose outcome depends on timing). */
  | { kind: 'any' }
  /** An incomplete request: closing the connection without an answer is fine. */
  | { kind: 'incomplete' }

interface Mutation {
  name: string
  effect: Effect
  apply(req: Req): void
}

const error = (status: number, code?: string): Effect => (code === undefined ? { kind: 'error', status } : { kind: 'error', status, error: code })
const NEUTRAL: Effect = { kind: 'neutral' }

function setParam(req: Req, name: string, values: string[]): void {
  req.params = req.params.filter(([key]) => key !== name)
  for (const value of values) req.params.push([name, value])
}

const basic = (id: string, secret: string, encode = true): string =>
  'Basic ' + Buffer.from(encode ? `${formEncode(id)}:${formEncode(secret)}` : `${id}:${secret}`, 'utf8').toString('base64')

const m = (name: string, effect: Effect, apply: (req: Req) => void): Mutation => ({ name, effect, apply })

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Methods
  fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE').map((method) => m(`method ${method}`, error(405, 'invalid_request'), (req) => void (req.method = method))),
  fc.constant(m('method HEAD', error(405), (req) => void (req.method = 'HEAD'))),
  fc.constantFrom('post', 'P0ST', 'PO ST', 'X'.repeat(40)).map((method) => m(`method ${JSON.stringify(method)}`, { kind: 'parser' }, (req) => void (req.method = method))),
  // Targets
  fc.constantFrom('/token/', '/Token', '//token', '/tokens', '/token/../token', '/token%20').map((path) => m(`path ${path}`, error(404, 'not_found'), (req) => void (req.path = path))),
  fc.constantFrom('foo=bar', '', 'scope=audit', 'grant_type=password', '%zz').map((query) => m(`query ${query}`, NEUTRAL, (req) => void req.query.push(query))),
  fc.constantFrom('client_secret=x', 'client_id=svc').map((query) => m(`query ${query}`, error(400, 'invalid_request'), (req) => void req.query.push(query))),
  // Content types
  fc.constantFrom('application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencodedx', 'application/x-www-form-urlencoded; charset=iso-8859-1', 'application/x-www-form-urlencoded; charset=utf-16', undefined)
    .map((contentType) => m(`content-type ${String(contentType)}`, error(400, 'invalid_request'), (req) => void (req.contentType = contentType))),
  // Client authentication
  fc.constant(m('no credentials', error(401, 'invalid_client'), (req) => void (req.auth = { kind: 'none' }))),
  fc.string({ minLength: 1, maxLength: 20 }).filter((secret) => secret !== RESERVED_SECRET).map((secret) => m('wrong secret', error(401, 'invalid_client'), (req) => void (req.auth = { kind: 'basic', id: 'svc', secret, encode: true }))),
  fc.constantFrom('nobody', 'SVC', ' svc').map((id) => m(`unknown client ${JSON.stringify(id)}`, error(401, 'invalid_client'), (req) => void (req.auth = { kind: 'basic', id, secret: RESERVED_SECRET, encode: true }))),
  fc.constantFrom('Basic !!!', 'Basic ' + Buffer.from('no-colon').toString('base64'), 'Bearer abc', 'Digest x', 'Basic', 'Basic c3ZjOnBhc3M')
    .map((value) => m(`authorization ${value}`, error(401, 'invalid_client'), (req) => void (req.auth = { kind: 'headers', values: [value] }))),
  fc.constant(m('two Authorization headers', error(400, 'invalid_request'), (req) => void (req.auth = { kind: 'headers', values: [basic('svc', RESERVED_SECRET), basic('svc', RESERVED_SECRET)] }))),
  fc.constant(m('Basic not form-encoded (bad escape)', error(400, 'invalid_request'), (req) => void (req.auth = { kind: 'basic', id: 'svc', secret: RESERVED_SECRET, encode: false }))),
  fc.constant(m('Basic and client_secret', error(400, 'invalid_request'), (req) => {
    req.auth = { kind: 'basic', id: 'svc', secret: RESERVED_SECRET, encode: true }
    setParam(req, 'client_secret', [RESERVED_SECRET])
  })),
  fc.constant(m('Basic and another client_id', error(400, 'invalid_request'), (req) => {
    req.auth = { kind: 'basic', id: 'svc', secret: RESERVED_SECRET, encode: true }
    setParam(req, 'client_id', ['other'])
  })),
  // grant_type
  fc.constant(m('no grant_type', error(400, 'invalid_request'), (req) => setParam(req, 'grant_type', []))),
  fc.constantFrom('password', 'authorization_code', 'CLIENT_CREDENTIALS', 'client_credentials ', 'urn:x').map((grant) => m(`grant_type ${grant}`, error(400, 'unsupported_grant_type'), (req) => setParam(req, 'grant_type', [grant]))),
  fc.constant(m('grant_type twice', error(400, 'invalid_request'), (req) => setParam(req, 'grant_type', ['client_credentials', 'client_credentials']))),
  fc.constant(m('grant_type twice, once empty', NEUTRAL, (req) => void req.params.push(['grant_type', '']))),
  // scope and resource
  fc.constantFrom('audit', 'api:read  api:write', ' api:read', 'api:read ', 'api:réad', 'api:read\tapi:write', '"api:read"')
    .map((scope) => m(`scope ${JSON.stringify(scope)}`, error(400, 'invalid_scope'), (req) => setParam(req, 'scope', [scope]))),
  fc.constant(m('scope twice', error(400, 'invalid_request'), (req) => setParam(req, 'scope', ['api:read', 'api:write']))),
  fc.constantFrom('https://api.example.com/#f', 'relative/path', '//host/x', 'not a uri')
    .map((resource) => m(`resource ${resource}`, error(400, 'invalid_target'), (req) => setParam(req, 'resource', ['https://api.example.com/', resource]))),
  fc.constant(m('two more resources', NEUTRAL, (req) => void req.params.push(['resource', 'https://a.example/'], ['resource', 'urn:example:b']))),
  // Raw body bytes
  fc.constantFrom('&x=%zz', '&x=%', '&x=%C3%28', '&%=1', '&x=%u00e9', '&x=%ED%A0%80').map((suffix) => m(`body ${suffix}`, error(400, 'invalid_request'), (req) => void (req.rawSuffix += suffix))),
  // Upper-case names: the unknown parameters below are lower-case, and a name sent twice is an error (§3.2).
  fc.constantFrom('&&', '&=', '&X', '&Unknown=1', '&X2=%F0%9F%94%91', '&Emoji=🔑').map((suffix) => m(`body ${suffix}`, NEUTRAL, (req) => void (req.rawSuffix += suffix))),
  fc.array(fc.tuple(fc.stringMatching(/^[a-z_]{1,12}$/), fc.string({ maxLength: 30 })), { maxLength: 8 })
    .map((extra) => m('unknown parameters', NEUTRAL, (req) => {
      for (const [name, value] of extra) {
        if (!['grant_type', 'scope', 'resource', 'client_id', 'client_secret'].includes(name) && !req.params.some(([key]) => key === name)) req.params.push([name, value])
      }
    })),
  fc.integer({ min: MAX_BODY + 1, max: 4 * MAX_BODY }).map((size) => m(`body of ${size} bytes`, error(413, 'invalid_request'), (req) => void (req.rawSuffix += '&pad=' + 'a'.repeat(size)))),
  // Framing and protocol
  fc.integer({ min: 1, max: 64 }).map((chunkSize) => m(`chunked (${chunkSize})`, NEUTRAL, (req) => {
    req.framing = 'chunked'
    req.chunkSize = chunkSize
  })),
  fc.constant(m('Content-Length and chunked', { kind: 'parser' }, (req) => void (req.framing = 'both'))),
  fc.integer({ min: 1, max: 20 }).map((shortBy) => m(`Content-Length ${shortBy} short`, { kind: 'any' }, (req) => void (req.framing = { shortBy }))),
  fc.integer({ min: 1, max: 20 }).map((longBy) => m(`Content-Length ${longBy} long, then FIN`, { kind: 'incomplete' }, (req) => void (req.framing = { longBy }))),
  fc.constant(m('Expect: 100-continue', NEUTRAL, (req) => void req.headers.push(['Expect', '100-continue']))),
  fc.constant(m('HTTP/1.0', NEUTRAL, (req) => void (req.version = 'HTTP/1.0'))),
  fc.constantFrom('gzip', 'br', 'identity').map((coding) => m(`Content-Encoding ${coding}`, { kind: 'any' }, (req) => void req.headers.push(['Content-Encoding', coding]))),
  // Headers
  fc.array(fc.tuple(fc.stringMatching(/^X-[A-Za-z0-9-]{1,20}$/), fc.stringMatching(/^[ -~]{0,60}$/)), { maxLength: 60 })
    .map((extra) => m(`${extra.length} extra headers`, NEUTRAL, (req) => void req.headers.push(...extra))),
  fc.constantFrom(['X-Big', 'a'.repeat(20_000)], ['X-Nul', 'a\0b'], ['X Space', '1'], ['X-Ctl', 'a\x01b'], ['', 'empty name'])
    .map(([name, value]) => m(`header ${JSON.stringify(name)}`, { kind: 'parser' }, (req) => void req.headers.push([name, value]))),
  fc.constant(m('two Content-Types', { kind: 'any' }, (req) => void req.headers.push(['Content-Type', 'application/json']))),
)

/** A valid token request in one of its valid forms. */
const validRequest: fc.Arbitrary<Req> = fc
  .record({
    contentType: fc.constantFrom('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'Application/X-WWW-Form-Urlencoded;charset="UTF-8"', 'application/x-www-form-urlencoded; foo=bar'),
    post: fc.boolean(),
    scope: fc.option(fc.subarray([...SCOPES], { minLength: 1 }).chain((scopes) => fc.shuffledSubarray(scopes, { minLength: scopes.length })), { nil: undefined }),
    emptyScope: fc.boolean(),
  })
  .map(({ contentType, post, scope, emptyScope }) => {
    const params: Array<[string, string]> = [['grant_type', 'client_credentials']]
    if (scope !== undefined) params.push(['scope', scope.join(' ')])
    else if (emptyScope) params.push(['scope', ''])
    return {
      method: 'POST',
      path: '/token',
      query: [],
      version: 'HTTP/1.1',
      contentType,
      auth: post ? { kind: 'post', id: 'svc', secret: RESERVED_SECRET } : { kind: 'basic', id: 'svc', secret: RESERVED_SECRET, encode: true },
      params,
      rawSuffix: '',
      headers: [],
      framing: 'length',
      chunkSize: 16,
    } satisfies Req
  })

interface Case {
  req: Req
  mutations: Mutation[]
  splitAt: number[]
  pauseMs: number
}

const requestCase: fc.Arbitrary<Case> = fc
  .record({
    req: validRequest,
    mutations: fc.uniqueArray(mutation, { maxLength: 3, selector: (each) => each.name }),
    splitAt: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
    pauseMs: fc.integer({ min: 0, max: 4 }),
  })
  .map((c) => {
    // A fresh copy: fast-check reuses generated values while shrinking.
    const req = structuredClone(c.req)
    for (const each of c.mutations) each.apply(req)
    return { ...c, req }
  })

function serialize(req: Req): Buffer {
  const params = [...req.params]
  if (req.auth.kind === 'post') params.push(['client_id', req.auth.id], ['client_secret', req.auth.secret])
  const body = Buffer.from(new URLSearchParams(params).toString() + req.rawSuffix, 'utf8')
  const target = req.path + (req.query.length > 0 ? '?' + req.query.join('&') : '')
  const lines = [`${req.method} ${target} ${req.version}`, 'Host: 127.0.0.1', 'Connection: close']
  if (req.contentType !== undefined) lines.push(`Content-Type: ${req.contentType}`)
  if (req.auth.kind === 'basic') lines.push(`Authorization: ${basic(req.auth.id, req.auth.secret, req.auth.encode)}`)
  if (req.auth.kind === 'headers') for (const value of req.auth.values) lines.push(`Authorization: ${value}`)
  for (const [name, value] of req.headers) lines.push(`${name}: ${value}`)
  let payload = body
  const framing = req.framing
  if (framing === 'chunked' || framing === 'both') {
    lines.push('Transfer-Encoding: chunked')
    if (framing === 'both') lines.push(`Content-Length: ${body.length}`)
    const chunks: Buffer[] = []
    for (let at = 0; at < body.length; at += req.chunkSize) {
      const chunk = body.subarray(at, at + req.chunkSize)
      chunks.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'))
    }
    chunks.push(Buffer.from('0\r\n\r\n'))
    payload = Buffer.concat(chunks)
  } else if (framing === 'length') {
    lines.push(`Content-Length: ${body.length}`)
  } else if ('shortBy' in framing) {
    lines.push(`Content-Length: ${Math.max(0, body.length - framing.shortBy)}`)
  } else {
    lines.push(`Content-Length: ${body.length + framing.longBy}`)
  }
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8'), payload])
}

/** What a case's answer must be, from its mutations. */
function expectation(c: Case): Effect {
  const effects = c.mutations.map((each) => each.effect)
  if (c.req.version === 'HTTP/1.0' && c.req.framing === 'chunked') return { kind: 'any' }
  for (const kind of ['incomplete', 'parser', 'any'] as const) {
    if (effects.some((effect) => effect.kind === kind)) return { kind: kind === 'parser' ? 'any' : kind }
  }
  const errors = effects.filter((effect) => effect.kind === 'error')
  if (errors.length === 1) return errors[0] as Effect
  if (errors.length > 1) return { kind: 'error', status: 0 }
  return NEUTRAL
}

/** Checks one answer against the case; returns a problem, or undefined. */
function judge(c: Case, outcome: RawOutcome): string | undefined {
  const expected = expectation(c)
  if (outcome.kind === 'timeout') return `no answer within the time limit: ${JSON.stringify(outcome.raw.slice(0, 200))}`
  if (outcome.kind === 'closed') return expected.kind === 'incomplete' ? undefined : 'connection closed without an answer'
  const { status, headers, body, interim } = outcome.answer
  if (interim.some((code) => code !== 100)) return `unexpected interim ${interim.join(',')}`
  const fromNode = headers['content-type'] === undefined
  if (fromNode) {
    // node's own answer to bytes it cannot parse: a bare 400 or 431, closing the connection.
    if (expected.kind !== 'any' && expected.kind !== 'incomplete') return `node answered ${status} to a request that should reach the server`
    if (![400, 413, 431].includes(status)) return `node answered ${status}`
    if (headers.connection?.toLowerCase() !== 'close') return 'node error without Connection: close'
    return undefined
  }
  if (headers['content-type'] !== 'application/json') return `content-type ${headers['content-type']}`
  if (headers['cache-control'] !== 'no-store' || headers.pragma !== 'no-cache') return `missing no-store/no-cache: ${JSON.stringify(headers)}`
  const head = c.req.method === 'HEAD'
  const json = head ? undefined : (JSON.parse(body.toString('utf8')) as Record<string, unknown>)
  if (status === 200) {
    if (expected.kind === 'error') return `200 for a request that must fail with ${expected.status}`
    if (c.req.path !== '/token' || c.req.method !== 'POST') return '200 off the token endpoint'
    if (typeof json?.access_token !== 'string' || json.token_type !== 'Bearer' || typeof json.expires_in !== 'number') return `bad token body ${body.toString('utf8')}`
    if (server.tokens.get(json.access_token, Date.now() + 1_000) === undefined && server.tokens.size === 0) return 'token not on record'
    if (typeof json.scope === 'string' && !json.scope.split(' ').every((scope) => (SCOPES as readonly string[]).includes(scope))) return `scope ${json.scope} not allowed`
    if (c.req.params.some(([name]) => name === 'pad')) return 'a body over the cap was accepted'
    return undefined
  }
  if (![400, 401, 404, 405, 413].includes(status)) return `status ${status}`
  if (expected.kind === 'neutral') return `${status} ${body.toString('utf8')} for a valid request`
  if (expected.kind === 'error' && expected.status !== 0) {
    if (status !== expected.status) return `status ${status} ${body.toString('utf8')}, expected ${expected.status} ${expected.error ?? ''}`
    if (expected.error !== undefined && json?.error !== expected.error) return `error ${String(json?.error)}, expected ${expected.error}`
  }
  if (!head) {
    if (typeof json?.error !== 'string' || !ERROR_TEXT.test(json.error)) return `error member ${JSON.stringify(json)}`
    if (json.error_description !== undefined && (typeof json.error_description !== 'string' || !ERROR_TEXT.test(json.error_description))) {
      return `error_description ${JSON.stringify(json.error_description)}`
    }
  }
  if (status === 401 && !/^Basic realm="[^"]+"$/.test(headers['www-authenticate'] ?? '')) return '401 without WWW-Authenticate: Basic'
  if (status === 405 && headers.allow !== 'POST' && c.req.path === '/token') return '405 without Allow: POST'
  if (status === 413 && headers.connection?.toLowerCase() !== 'close') return '413 without closing the connection'
  return undefined
}

function describeCase(c: Case): string {
  return JSON.stringify({ mutations: c.mutations.map((each) => each.name), request: serialize(c.req).toString('utf8').slice(0, 600) })
}

async function send(c: Case): Promise<RawOutcome> {
  return sendRaw(server.port, serialize(c.req), {
    splitAt: c.splitAt,
    pauseMs: c.pauseMs,
    head: c.req.method === 'HEAD',
    end: typeof c.req.framing === 'object' && 'longBy' in c.req.framing,
    timeoutMs: 3_000,
  })
}

async function stillServes(): Promise<void> {
  const outcome = await sendRaw(server.port, Buffer.from(
    `POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: ${basic('svc', RESERVED_SECRET)}\r\n` +
      'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 29\r\n\r\ngrant_type=client_credentials',
  ))
  assert.equal(outcome.kind === 'answer' ? outcome.answer.status : outcome.kind, 200)
}

test('fuzz: every generated request gets a well-formed answer, a token exactly when it is valid', async () => {
  let valid = 0
  let refused = 0
  await fc.assert(
    fc.asyncProperty(requestCase, async (c) => {
      const outcome = await send(c)
      const problem = judge(c, outcome)
      assert.equal(problem, undefined, `${problem}\n${describeCase(c)}`)
      if (outcome.kind === 'answer' && outcome.answer.status === 200) valid++
      else refused++
    }),
    { numRuns: 400 },
  )
  assert.ok(valid > 30 && refused > 150, `${valid} valid, ${refused} refused: the generator covers both`)
  await stillServes()
  assert.ok(server.log.entries.length <= LOG_LIMIT, 'the log stays within logLimit')
})

test('fuzz: generated requests sent all at once, interleaved on many connections', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(requestCase, { minLength: 20, maxLength: 60 }), async (cases) => {
      const outcomes = await Promise.all(cases.map(send))
      cases.forEach((c, i) => {
        const problem = judge(c, outcomes[i] as RawOutcome)
        assert.equal(problem, undefined, `${problem}\n${describeCase(c)}`)
      })
    }),
    { numRuns: 8 },
  )
  await stillServes()
})

test('slow and stalled senders do not hold up anyone else, and close() still ends them', async () => {
  const stalled: Socket[] = []
  const open = (text: string): Promise<void> =>
    new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: server.port }, () => {
        socket.write(text)
        resolve()
      })
      socket.on('error', () => {})
      stalled.push(socket)
    })
  // 200 connections stopped in the middle of their headers, 100 in the middle of their body.
  await Promise.all([
    ...Array.from({ length: 200 }, () => open('POST /token HTTP/1.1\r\nHost: x\r\nContent-Ty')),
    ...Array.from({ length: 100 }, () => open(`POST /token HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('svc', RESERVED_SECRET)}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=cl`)),
  ])
  const started = performance.now()
  for (let i = 0; i < 20; i++) await stillServes()
  const elapsed = performance.now() - started
  assert.ok(elapsed < 2_000, `20 requests beside 300 stalled connections took ${elapsed.toFixed(0)} ms`)
  // A sender that trickles a valid request byte by byte is answered once it is complete.
  const trickled = serialize({
    method: 'POST', path: '/token', query: [], version: 'HTTP/1.1', contentType: 'application/x-www-form-urlencoded',
    auth: { kind: 'basic', id: 'svc', secret: RESERVED_SECRET, encode: true }, params: [['grant_type', 'client_credentials']],
    rawSuffix: '', headers: [], framing: 'length', chunkSize: 16,
  })
  const outcome = await sendRaw(server.port, trickled, { splitAt: Array.from({ length: 40 }, (_, i) => (i + 1) / 41), pauseMs: 5 })
  assert.equal(outcome.kind === 'answer' ? outcome.answer.status : outcome.kind, 200)
  for (const socket of stalled) socket.destroy()
})

test('close() ends stalled connections at once', async () => {
  const own = await startReferenceServer({ clients: [{ clientId: 'svc', clientSecret: RESERVED_SECRET, scopes: [...SCOPES] }] })
  const sockets = await Promise.all(
    Array.from({ length: 50 }, () => new Promise<Socket>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: own.port }, () => {
        socket.write('POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc')
        resolve(socket)
      })
      socket.on('error', () => {})
    })),
  )
  const closed = Promise.all(sockets.map((socket) => new Promise((resolve) => socket.once('close', resolve))))
  const started = performance.now()
  await own.close()
  await closed
  assert.ok(performance.now() - started < 1_000)
})

test('a throttled flood of wrong secrets and unknown client ids: JSON 401s, then 429s with Retry-After', async () => {
  const own = await startReferenceServer({ clients: [{ clientId: 'svc', clientSecret: RESERVED_SECRET, scopes: [...SCOPES] }], logLimit: 100 })
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('svc', 'ghost'), fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 30 }), async (attempts) => {
        const outcomes = await Promise.all(
          attempts.map(([id, secret]) =>
            sendRaw(own.port, Buffer.from(
              `POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: ${basic(id, secret + '!')}\r\n` +
                'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 29\r\n\r\ngrant_type=client_credentials',
            )),
          ),
        )
        for (const outcome of outcomes) {
          assert.equal(outcome.kind, 'answer')
          if (outcome.kind !== 'answer') continue
          const { status, headers, body } = outcome.answer
          assert.ok(status === 401 || status === 429, String(status))
          assert.equal(headers['cache-control'], 'no-store')
          assert.equal((JSON.parse(body.toString('utf8')) as { error?: string }).error, 'invalid_client')
          if (status === 429) assert.match(headers['retry-after'] ?? '', /^[1-9]\d*$/)
        }
      }),
      { numRuns: 20 },
    )
    assert.ok(own.log.entries.length <= 100)
  } finally {
    await own.close()
  }
})

test('CONNECT /token is answered 405 with Allow: POST (checklist item 1)', async () => {
  const outcome = await sendRaw(server.port, Buffer.from('CONNECT /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n'), { timeoutMs: 1_000 })
  assert.equal(outcome.kind, 'answer')
  assert.equal(outcome.kind === 'answer' ? outcome.answer.status : 0, 405)
})

test('load (light): 200 keep-alive connections held at once, 5 token requests each, every one answered 200', async () => {
  const connections = 200
  const pool = new Pool(server.url, { connections, pipelining: 1 })
  const authorization = basic('svc', RESERVED_SECRET)
  const latencies: number[] = []
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        for (let i = 0; i < 5; i++) {
          const started = performance.now()
          const response = await pool.request({
            path: '/token',
            method: 'POST',
            headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
            body: 'grant_type=client_credentials&scope=api%3Aread',
          })
          await response.body.dump()
          latencies.push(performance.now() - started)
          assert.equal(response.statusCode, 200)
        }
      }),
    )
  } finally {
    await pool.close()
  }
  latencies.sort((a, b) => a - b)
  const p99 = latencies[Math.floor(latencies.length * 0.99)] as number
  process.stdout.write(`# load (light): ${latencies.length} requests on ${connections} connections, p50 ${latencies[Math.floor(latencies.length / 2)]?.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms\n`)
  assert.equal(latencies.length, connections * 5)
  assert.ok(p99 < 2_000, `p99 ${p99.toFixed(0)} ms`)
})
