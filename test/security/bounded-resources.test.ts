import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { after, before, test } from 'node:test'
import { TokenClient } from '../../src/index.js'

// The client's default pool caps its connections, so a burst of distinct scopes against a slow token
// endpoint queues in the pool instead of opening one socket (one file descriptor) per scope.

/** The cap documented on the `dispatcher` option. */
const MAX_CONNECTIONS = 16
const SCOPES = 2_000
/** How long the server holds each answer: long enough that every request is in flight at once. */
const ANSWER_AFTER_MS = 5

let server: Server
let url = ''
let open = 0
let peak = 0
let connections = 0
let requests = 0
const sockets = new Set<Socket>()

before(async () => {
  server = createServer((req, res) => {
    const n = ++requests
    req.resume()
    req.on('end', () => {
      setTimeout(() => {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ access_token: `t${n}`, token_type: 'Bearer', expires_in: 3600 }))
      }, ANSWER_AFTER_MS)
    })
  })
  server.on('connection', (socket: Socket) => {
    connections++
    peak = Math.max(peak, ++open)
    sockets.add(socket)
    socket.on('close', () => {
      open--
      sockets.delete(socket)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/oauth/token`
})
after(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise((resolve) => server.close(resolve))
})

test(`${SCOPES} concurrent getToken calls for distinct scopes open at most ${MAX_CONNECTIONS} sockets, and every one resolves`, async (t) => {
  // Queued requests wait in the pool, and that wait counts towards the attempt timeout: it is widened
  // so a slow test machine sees the cap, not timeouts.
  const client = new TokenClient({
    tokenUrl: url,
    clientId: 'svc',
    clientSecret: 'pw',
    retry: { retries: 0, attemptTimeoutMs: 30_000, deadlineMs: 30_000 },
  })
  try {
    const tokens = await Promise.all(Array.from({ length: SCOPES }, (_, i) => client.getToken(`scope:${i}`)))
    t.diagnostic(`peak ${peak} concurrent sockets, ${connections} opened in all`)
    assert.equal(tokens.length, SCOPES)
    assert.equal(new Set(tokens.map((token) => token.accessToken)).size, SCOPES, 'one token per scope')
    assert.equal(requests, SCOPES, 'one request per scope')
    assert.ok(peak <= MAX_CONNECTIONS, `peak ${peak} concurrent sockets (${connections} opened in all) for ${SCOPES} scopes`)
    assert.ok(peak >= 2, `the pool was used in parallel (peak ${peak})`)
  } finally {
    await client.close()
  }
})
