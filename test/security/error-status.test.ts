import assert from 'node:assert/strict'
import { createServer, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type Socket } from 'node:net'
import { test } from 'node:test'
import { Pool } from 'undici'
import { InvalidResponseError, TokenClient, UnexpectedStatusError, type TokenClientOptions } from '../../src/index.js'
import { TestClock } from '../helpers/test-clock.js'

// A non-2xx is classified by its status, whatever its body: a body past maxResponseBytes is discarded
// unread, and the status (and its Retry-After) decides. A response too large for undici to parse is
// INVALID_RESPONSE, final: the same server sends the same headers on every attempt.

const TWO_MIB = 2 * 1024 * 1024
const TOKEN = JSON.stringify({ access_token: 'fresh-token', token_type: 'Bearer', expires_in: 3600 })
const RETRY = { retries: 3, minDelayMs: 1, maxDelayMs: 2 }

type Answer = (res: ServerResponse) => void

/** A loopback token endpoint answering request n with `answers[n]` (the last one repeats); it counts requests. */
async function serve(answers: Answer[]) {
  let requests = 0
  const server = createServer((req, res) => {
    const answer = answers[Math.min(requests++, answers.length - 1)]!
    req.resume()
    req.on('end', () => answer(res))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/oauth/token`
  return {
    url,
    requests: () => requests,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

const token: Answer = (res) => {
  res.setHeader('content-type', 'application/json')
  res.end(TOKEN)
}

/** A status with a 2 MiB body, sent with its Content-Length (refused before reading) or chunked (cut off while streaming). */
function huge(status: number, contentType: string, headers: Record<string, string>, framing: 'content-length' | 'chunked'): Answer {
  return (res) => {
    res.writeHead(status, { 'content-type': contentType, ...headers })
    if (framing === 'content-length') return void res.end(Buffer.alloc(TWO_MIB, 0x61))
    // Written in chunks, without a Content-Length, until the client stops reading.
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    let written = 0
    const pump = (): void => {
      while (written < TWO_MIB) {
        written += chunk.length
        if (!res.write(chunk)) return void res.once('drain', pump)
      }
      res.end()
    }
    res.on('error', () => {})
    pump()
  }
}

function client(url: string, options: Partial<TokenClientOptions> = {}): TokenClient {
  return new TokenClient({ tokenUrl: url, clientId: 'svc', clientSecret: 'pw', retry: RETRY, ...options })
}

for (const framing of ['content-length', 'chunked'] as const) {
  test(`a 503 with a 2 MiB HTML page (${framing}) and Retry-After: 1 is retried like any 503, its Retry-After honoured`, async () => {
    const server = await serve([huge(503, 'text/html', { 'retry-after': '1' }, framing), token])
    const clock = new TestClock()
    const c = client(server.url, { clock })
    try {
      const got = await c.getToken('api:read')
      assert.equal(got.accessToken, 'fresh-token')
      assert.equal(server.requests(), 2, 'the 503, then the retry')
      assert.deepEqual(clock.sleeps, [1_000], 'the Retry-After wait, on the injected clock')
    } finally {
      await c.close()
      await server.close()
    }
  })
}

test('a 400 with a 2 MiB OAuth error body is UNEXPECTED_STATUS 400 (its status says so), not retried', async () => {
  const body = (res: ServerResponse) => {
    res.writeHead(400, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: 'invalid_request', error_description: 'x'.repeat(TWO_MIB) }))
  }
  const server = await serve([body])
  const c = client(server.url)
  try {
    await assert.rejects(c.getToken('api:read'), (error: unknown) => {
      assert.ok(error instanceof UnexpectedStatusError, `got ${String(error)}`)
      assert.equal(error.status, 400)
      assert.equal(error.attempts, 1)
      return true
    })
    assert.equal(server.requests(), 1)
  } finally {
    await c.close()
    await server.close()
  }
})

test('a 503 past a dispatcher\'s own maxResponseSize is still a 503: retried, Retry-After honoured', async () => {
  const server = await serve([huge(503, 'text/html', { 'retry-after': '1' }, 'chunked'), token])
  const dispatcher = new Pool(new URL(server.url).origin, { maxResponseSize: 4096 })
  const clock = new TestClock()
  const c = client(server.url, { clock, dispatcher })
  try {
    assert.equal((await c.getToken('api:read')).accessToken, 'fresh-token')
    assert.equal(server.requests(), 2)
    assert.deepEqual(clock.sleeps, [1_000])
  } finally {
    await c.close()
    await dispatcher.destroy()
    await server.close()
  }
})

test('a 2xx past a dispatcher\'s maxResponseSize is INVALID_RESPONSE with undici\'s error as cause, not retried', async () => {
  const server = await serve([huge(200, 'application/json', {}, 'chunked')])
  const dispatcher = new Pool(new URL(server.url).origin, { maxResponseSize: 4096 })
  const c = client(server.url, { dispatcher })
  try {
    await assert.rejects(c.getToken('api:read'), (error: unknown) => {
      assert.ok(error instanceof InvalidResponseError, `got ${String(error)}`)
      assert.equal((error.cause as { code?: unknown } | undefined)?.code, 'UND_ERR_RES_EXCEEDED_MAX_SIZE')
      assert.equal(error.attempts, 1)
      return true
    })
    assert.equal(server.requests(), 1)
  } finally {
    await c.close()
    await dispatcher.destroy()
    await server.close()
  }
})

test('headers too large for undici (a 100 KiB header) are INVALID_RESPONSE with undici\'s error as cause, not retried', async () => {
  let requests = 0
  const sockets = new Set<Socket>()
  const raw = createNetServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => {
      if (!chunk.includes('POST /')) return
      requests++
      socket.write(
        'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n' +
          `x-filler: ${'a'.repeat(100 * 1024)}\r\n` +
          `content-length: ${Buffer.byteLength(TOKEN)}\r\n\r\n${TOKEN}`,
      )
    })
  })
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve))
  const address = raw.address()
  const c = client(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/oauth/token`)
  try {
    await assert.rejects(c.getToken('api:read'), (error: unknown) => {
      assert.ok(error instanceof InvalidResponseError, `got ${String(error)} after ${(error as { attempts?: number }).attempts} attempts`)
      assert.equal((error.cause as { code?: unknown } | undefined)?.code, 'UND_ERR_HEADERS_OVERFLOW')
      assert.equal(error.attempts, 1)
      return true
    })
    assert.equal(requests, 1, 'one request: not retried')
  } finally {
    await c.close()
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => raw.close(resolve))
  }
})
