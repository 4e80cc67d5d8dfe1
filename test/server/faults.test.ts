// The fault script: each fault type, matching options, FIFO order and validation.
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, test } from 'node:test'
import { startReferenceServer, type Fault, type ReferenceServer } from '../../src/server/index.js'
import { SECRET, basic, postToken, rawHttp } from './helpers.js'

const GRANT = { grant_type: 'client_credentials' }

/** A complete token request for {@link rawHttp}: Basic as svc, `Connection: close`. */
function rawTokenRequest(form = 'grant_type=client_credentials'): string {
  return [
    'POST /token HTTP/1.1',
    'Host: 127.0.0.1',
    `Authorization: ${basic('svc', SECRET)}`,
    'Content-Type: application/x-www-form-urlencoded',
    `Content-Length: ${Buffer.byteLength(form)}`,
    'Connection: close',
    '',
    form,
  ].join('\r\n')
}

/** Sends a token request by fetch and reads the body until `bytes` have arrived; the rest stays unread. */
async function readPart(tokenUrl: string, bytes: number, signal: AbortSignal) {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    signal,
    headers: { authorization: basic('svc', SECRET), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  })
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const chunks: Uint8Array[] = []
  let received = 0
  while (received < bytes) {
    const { value, done } = await reader.read()
    if (done) break
    chunks.push(value)
    received += value.length
  }
  return { response, reader, part: Buffer.concat(chunks).toString('utf8') }
}

describe('faults', () => {
  let server: ReferenceServer
  const asSvc = { authorization: basic('svc', SECRET) }
  const asOther = { authorization: basic('other', 'other-secret') }

  before(async () => {
    server = await startReferenceServer({
      throttle: false,
      clients: [
        { clientId: 'svc', clientSecret: SECRET, scopes: ['api:read', 'api:write'] },
        { clientId: 'other', clientSecret: 'other-secret', scopes: ['api:read'] },
      ],
    })
  })
  after(() => server.close())
  afterEach(() => {
    server.faults.clear()
    server.log.clear()
  })

  test('status: answers the status with its headers and a default JSON body, no-store still added', async () => {
    server.faults.add({ type: 'status', status: 503, headers: { 'Retry-After': '2' } })
    assert.equal(server.faults.pending, 1)
    const response = await postToken(server.tokenUrl, GRANT, asSvc)
    assert.equal(response.status, 503)
    assert.equal(response.headers.get('retry-after'), '2')
    assert.equal(response.headers.get('content-type'), 'application/json')
    assert.equal(response.headers.get('cache-control'), 'no-store')
    assert.equal(response.headers.get('pragma'), 'no-cache')
    assert.deepEqual(response.json, { error: 'temporarily_unavailable' })
    assert.equal(server.faults.pending, 0)
    assert.equal((await postToken(server.tokenUrl, GRANT, asSvc)).status, 200, 'used up after one request')
    const [faulted, normal] = server.log.tokenRequests()
    assert.equal(faulted?.fault, 'status')
    assert.equal(faulted?.status, 503)
    assert.equal(normal?.fault, undefined)
  })

  test('status: a redirect with a location, and a custom body and content type', async () => {
    server.faults.add({ type: 'status', status: 302, headers: { location: 'https://elsewhere.example/token' } })
    server.faults.add({ type: 'status', status: 500, body: '<h1>oops</h1>', contentType: 'text/html' })
    const redirect = await fetch(server.tokenUrl, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...asSvc, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    })
    assert.equal(redirect.status, 302)
    assert.equal(redirect.headers.get('location'), 'https://elsewhere.example/token')
    await redirect.arrayBuffer()
    const html = await postToken(server.tokenUrl, GRANT, asSvc)
    assert.equal(html.status, 500)
    assert.equal(html.headers.get('content-type'), 'text/html')
    assert.equal(html.text, '<h1>oops</h1>')
  })

  test('status: 408, 429, 5xx and 3xx, each with arbitrary headers', async () => {
    const table: [number, Record<string, string>][] = [
      [408, { connection: 'close' }],
      [429, { 'retry-after': '7', 'x-ratelimit-remaining': '0' }],
      [500, { 'x-request-id': 'abc-123' }],
      [502, { via: '1.1 gateway' }],
      [503, { 'retry-after': 'Wed, 21 Oct 2099 07:28:00 GMT' }],
      [504, {}],
      [301, { location: '/elsewhere' }],
      [307, { location: 'https://elsewhere.example/token', 'x-extra': 'yes' }],
      [308, { location: 'https://elsewhere.example/token' }],
    ]
    for (const [status, headers] of table) server.faults.add({ type: 'status', status, headers })
    for (const [status, headers] of table) {
      const response = await fetch(server.tokenUrl, {
        method: 'POST',
        redirect: 'manual',
        headers: { ...asSvc, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      })
      assert.equal(response.status, status)
      for (const [name, value] of Object.entries(headers)) assert.equal(response.headers.get(name), value, `${status} ${name}`)
      assert.equal(response.headers.get('cache-control'), 'no-store')
      assert.deepEqual(await response.json(), { error: 'temporarily_unavailable' })
    }
    assert.deepEqual(
      server.log.tokenRequests().map((entry) => [entry.fault, entry.status]),
      table.map(([status]) => ['status', status]),
    )
  })

  test('truncate: a real token is issued; full Content-Length, half the body, then the socket is destroyed', async () => {
    const issued = server.tokens.size
    server.faults.add({ type: 'truncate' })
    const raw = await rawHttp(server.port, rawTokenRequest())
    assert.equal(raw.status, 200)
    assert.equal(raw.headers['content-type'], 'application/json')
    assert.equal(raw.headers['cache-control'], 'no-store')
    const announced = Number(raw.headers['content-length'])
    assert.ok(announced > 60)
    assert.equal(Buffer.byteLength(raw.body), Math.floor(announced / 2))
    assert.ok(raw.body.startsWith('{"access_token":"'))
    assert.equal(server.tokens.size, issued + 1, 'a real token was issued')
    const [entry] = server.log.tokenRequests()
    assert.equal(entry?.fault, 'truncate')
    assert.equal(entry?.status, 200)
    assert.equal(server.faults.pending, 0)
  })

  test('truncate: fetch sees the headers, then the body fails; an error response is sent whole', async () => {
    server.faults.add({ type: 'truncate' }, { times: 2 })
    const response = await fetch(server.tokenUrl, {
      method: 'POST',
      headers: { ...asSvc, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    })
    assert.equal(response.status, 200)
    await assert.rejects(response.text(), TypeError)
    const refused = await postToken(server.tokenUrl, { ...GRANT, scope: 'nope' }, asSvc)
    assert.equal(refused.status, 400)
    assert.equal(refused.json['error'], 'invalid_scope')
    assert.equal(server.log.tokenRequests()[1]?.fault, 'truncate')
    assert.equal((await postToken(server.tokenUrl, GRANT, asSvc)).status, 200, 'used up')
  })

  test("delay when 'body': headers and half the body at once, the rest after the wait", async () => {
    server.faults.add({ type: 'delay', ms: 5, when: 'body' })
    const started = performance.now()
    const response = await postToken(server.tokenUrl, GRANT, asSvc)
    assert.ok(performance.now() - started >= 4)
    assert.equal(response.status, 200)
    assert.equal(typeof response.json['access_token'], 'string')
    assert.equal(response.json['expires_in'], 3600)
    const [entry] = server.log.tokenRequests()
    assert.equal(entry?.fault, 'delay')
    assert.equal(entry?.status, 200)
  })

  test("delay when 'body': the first half arrives while the rest is held, and the client may give up", async () => {
    server.faults.add({ type: 'delay', ms: 600_000, when: 'body' })
    const controller = new AbortController()
    const { response, reader, part } = await readPart(server.tokenUrl, 1, controller.signal)
    assert.equal(response.status, 200)
    const announced = Number(response.headers.get('content-length'))
    // Everything written before the wait has arrived once half the body is in.
    let received = part
    while (Buffer.byteLength(received) < Math.floor(announced / 2)) {
      const { value } = await reader.read()
      received += Buffer.from(value as Uint8Array).toString('utf8')
    }
    assert.equal(Buffer.byteLength(received), Math.floor(announced / 2))
    assert.ok(received.startsWith('{"access_token":"'))
    const [entry] = server.log.tokenRequests()
    assert.equal(entry?.fault, 'delay')
    assert.equal(entry?.status, 200, 'logged when the wait starts')
    controller.abort()
    await assert.rejects(reader.read(), { name: 'AbortError' })
    assert.equal((await postToken(server.tokenUrl, GRANT, asSvc)).status, 200)
  })

  test("delay when 'body': close() cuts the wait short and ends the connection", async () => {
    const own = await startReferenceServer({ clients: [{ clientId: 'svc', clientSecret: SECRET, scopes: [] }] })
    own.faults.add({ type: 'delay', ms: 600_000, when: 'body' })
    const { reader } = await readPart(own.tokenUrl, 1, new AbortController().signal)
    await own.close()
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) break
    }, TypeError)
  })

  test("delay when 'headers' is the default: the same fault without when", async () => {
    server.faults.add({ type: 'delay', ms: 1, when: 'headers' })
    server.faults.add({ type: 'delay', ms: 1 })
    assert.equal((await postToken(server.tokenUrl, GRANT, asSvc)).status, 200)
    assert.equal((await postToken(server.tokenUrl, GRANT, asSvc)).status, 200)
    assert.deepEqual(server.log.tokenRequests().map((entry) => entry.fault), ['delay', 'delay'])
  })

  test('drop: destroys the socket without answering', async () => {
    server.faults.add({ type: 'drop' })
    await assert.rejects(postToken(server.tokenUrl, GRANT, asSvc), TypeError)
    const [entry] = server.log.tokenRequests()
    assert.equal(entry?.fault, 'drop')
    assert.equal(entry?.status, 0)
    assert.equal((await postToken(server.tokenUrl, GRANT, asSvc)).status, 200)
  })

  test('delay: waits, then processes the request normally', async () => {
    server.faults.add({ type: 'delay', ms: 5 })
    const started = performance.now()
    const response = await postToken(server.tokenUrl, GRANT, asSvc)
    assert.equal(response.status, 200)
    assert.ok(performance.now() - started >= 4)
    assert.equal(server.log.tokenRequests()[0]?.fault, 'delay')
  })

  test('delay: other requests are served meanwhile, and close() does not wait for it', async () => {
    const own = await startReferenceServer({
      clients: [{ clientId: 'svc', clientSecret: SECRET, scopes: [] }, { clientId: 'slow', clientSecret: 'slow', scopes: [] }],
    })
    own.faults.add({ type: 'delay', ms: 600_000 }, { clientId: 'slow' })
    const held = postToken(own.tokenUrl, GRANT, { authorization: basic('slow', 'slow') })
    held.catch(() => {})
    // The delayed request has reached the fault once the script is empty.
    while (own.faults.pending > 0) await new Promise((resolve) => setImmediate(resolve))
    assert.equal((await postToken(own.tokenUrl, GRANT, asSvc)).status, 200)
    await own.close()
    await assert.rejects(held, TypeError)
  })

  test('delay: a held request is logged at once with status 0, and the client may give up', async () => {
    server.faults.add({ type: 'delay', ms: 600_000 })
    const controller = new AbortController()
    const held = fetch(server.tokenUrl, {
      method: 'POST',
      signal: controller.signal,
      headers: { ...asSvc, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    })
    held.catch(() => {})
    while (server.faults.pending > 0) await new Promise((resolve) => setImmediate(resolve))
    const [entry] = server.log.tokenRequests()
    assert.equal(entry?.fault, 'delay')
    assert.equal(entry?.status, 0)
    controller.abort()
    await assert.rejects(held, { name: 'AbortError' })
    assert.equal((await postToken(server.tokenUrl, GRANT, asSvc)).status, 200)
    assert.equal(server.log.tokenRequests().length, 2)
  })

  test('token: merges fields into a real success response, undefined removes a member', async () => {
    server.faults.add({ type: 'token', fields: { expires_in: '3600', token_type: 'bearer', refresh_token: 'surprise' } })
    server.faults.add({ type: 'token', fields: { expires_in: undefined, scope: undefined } })
    const stringy = await postToken(server.tokenUrl, GRANT, asSvc)
    assert.equal(stringy.status, 200)
    assert.equal(stringy.json['expires_in'], '3600')
    assert.equal(stringy.json['token_type'], 'bearer')
    assert.equal(stringy.json['refresh_token'], 'surprise')
    assert.ok(server.tokens.get(stringy.json['access_token'] as string, Date.now()), 'a real token was issued')
    const bare = await postToken(server.tokenUrl, GRANT, asSvc)
    assert.deepEqual(Object.keys(bare.json).sort(), ['access_token', 'token_type'])
    assert.equal(server.log.tokenRequests()[1]?.fault, 'token')
  })

  test('token: an error response is left as it is', async () => {
    server.faults.add({ type: 'token', fields: { extra: 1 } })
    const response = await postToken(server.tokenUrl, { ...GRANT, scope: 'nope' }, asSvc)
    assert.equal(response.status, 400)
    assert.deepEqual(Object.keys(response.json), ['error', 'error_description'])
  })

  test('body: answers a raw body, HTML, form-encoded, an error with 200, several MB', async () => {
    const big = new Uint8Array(5 * 1024 * 1024).fill(0x61)
    const faults: Fault[] = [
      { type: 'body', contentType: 'text/html; charset=utf-8', body: '<html>login</html>' },
      { type: 'body', contentType: 'application/x-www-form-urlencoded', body: 'access_token=x&token_type=bearer' },
      { type: 'body', body: '{"error":"invalid_client"}' },
      { type: 'body', status: 502, contentType: 'application/octet-stream', body: big },
    ]
    for (const fault of faults) server.faults.add(fault)
    const html = await postToken(server.tokenUrl, GRANT, asSvc)
    assert.equal(html.status, 200)
    assert.equal(html.headers.get('content-type'), 'text/html; charset=utf-8')
    assert.equal(html.text, '<html>login</html>')
    const form = await postToken(server.tokenUrl, GRANT, asSvc)
    assert.equal(form.text, 'access_token=x&token_type=bearer')
    const error = await postToken(server.tokenUrl, GRANT, asSvc)
    assert.equal(error.status, 200)
    assert.equal(error.headers.get('content-type'), 'application/json')
    assert.deepEqual(error.json, { error: 'invalid_client' })
    const large = await postToken(server.tokenUrl, GRANT, asSvc)
    assert.equal(large.status, 502)
    assert.equal(large.text.length, big.length)
    assert.equal(large.headers.get('cache-control'), 'no-store')
  })

  test('body: megabytes as a string or bytes, copied once when added and served again and again', async () => {
    const text = 'x'.repeat(8 * 1024 * 1024)
    const bytes = new Uint8Array(6 * 1024 * 1024).fill(0x7a)
    server.faults.add({ type: 'body', contentType: 'text/plain', body: text }, { times: 2 })
    server.faults.add({ type: 'body', contentType: 'application/octet-stream', body: bytes }, { times: 2 })
    bytes.fill(0x30) // a change after add() does not reach the fault
    for (let index = 0; index < 2; index++) {
      const response = await postToken(server.tokenUrl, GRANT, asSvc)
      assert.equal(response.headers.get('content-length'), String(text.length))
      assert.equal(response.text.length, text.length)
    }
    for (let index = 0; index < 2; index++) {
      const response = await fetch(server.tokenUrl, {
        method: 'POST',
        headers: { ...asSvc, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      })
      const body = new Uint8Array(await response.arrayBuffer())
      assert.equal(body.length, bytes.length)
      assert.ok(body.every((byte) => byte === 0x7a))
    }
    assert.equal(server.faults.pending, 0)
  })

  test('options: clientId and scope filters, FIFO order, times', async () => {
    server.faults.add({ type: 'status', status: 500 }, { clientId: 'other' })
    server.faults.add({ type: 'status', status: 501 }, { scope: 'api:write' })
    server.faults.add({ type: 'status', status: 502 }, { times: 2 })
    server.faults.add({ type: 'status', status: 503 })
    assert.equal(server.faults.pending, 5)
    // svc without api:write skips the first two and takes the first unfiltered one.
    assert.equal((await postToken(server.tokenUrl, GRANT, asSvc)).status, 502)
    assert.equal((await postToken(server.tokenUrl, { ...GRANT, scope: 'api:read api:write' }, asSvc)).status, 501)
    assert.equal((await postToken(server.tokenUrl, { ...GRANT, scope: 'api:read' }, asOther)).status, 500)
    assert.equal((await postToken(server.tokenUrl, GRANT, asOther)).status, 502)
    assert.equal((await postToken(server.tokenUrl, GRANT, asOther)).status, 503)
    assert.equal(server.faults.pending, 0)
    assert.equal((await postToken(server.tokenUrl, GRANT, asOther)).status, 200)
  })

  test('options: the client id is matched before it is verified, from the body too', async () => {
    server.faults.add({ type: 'status', status: 503 }, { clientId: 'svc' })
    const unverified = await postToken(server.tokenUrl, { ...GRANT, client_id: 'svc', client_secret: 'wrong' })
    assert.equal(unverified.status, 503)
  })

  test('options: times Infinity stays pending until clear()', async () => {
    server.faults.add({ type: 'status', status: 503 }, { times: Infinity })
    assert.equal(server.faults.pending, Infinity)
    for (let index = 0; index < 3; index++) assert.equal((await postToken(server.tokenUrl, GRANT, asSvc)).status, 503)
    server.faults.clear()
    assert.equal(server.faults.pending, 0)
    assert.equal((await postToken(server.tokenUrl, GRANT, asSvc)).status, 200)
  })

  test('faults are not taken by requests refused before the client id is known', async () => {
    server.faults.add({ type: 'status', status: 503 })
    assert.equal((await postToken(server.tokenUrl, '{}', { ...asSvc, contentType: 'application/json' })).status, 400)
    assert.equal((await fetch(server.tokenUrl)).status, 405)
    assert.equal(server.faults.pending, 1)
  })

  test('add() refuses invalid faults and options with ERR_INVALID_ARG_VALUE', () => {
    const invalid: unknown[][] = [
      [{ type: 'explode' }],
      [null],
      [{ type: 'status', status: 99 }],
      [{ type: 'status', status: 600 }],
      [{ type: 'status', status: 200.5 }],
      [{ type: 'status', status: 503, headers: { 'bad header': 'x' } }],
      [{ type: 'status', status: 503, headers: { 'x-a': 'line\nbreak' } }],
      [{ type: 'delay', ms: -1 }],
      [{ type: 'delay', ms: Number.NaN }],
      [{ type: 'delay', ms: 1, when: 'later' }],
      [{ type: 'token', fields: null }],
      [{ type: 'body' }],
      [{ type: 'body', body: 'x', status: 1000 }],
      [{ type: 'drop' }, { times: 0 }],
      [{ type: 'drop' }, { times: 1.5 }],
      [{ type: 'drop' }, { clientId: 1 }],
    ]
    for (const args of invalid) {
      assert.throws(
        () => (server.faults.add as (...a: unknown[]) => void)(...args),
        { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' },
        JSON.stringify(args),
      )
    }
    assert.equal(server.faults.pending, 0)
  })
})
