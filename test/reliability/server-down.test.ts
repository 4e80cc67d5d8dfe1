// While the token server is down (issue 5, item 2): a client holding a valid token keeps serving it
// without a request; a refresh that fails changes nothing for callers and is retried with backoff,
// not per call; once the token is no longer usable callers get a typed error within the deadline
// (refused: at once; a server that accepts and never answers: at the deadline), never a hang;
// a server back on the same port is used again without restarting the client.
import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { after, test } from 'node:test'
import { TimeoutError, TokenClient, TransportError, type TokenClientError } from '../../src/index.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'
import { TestClock } from '../helpers/test-clock.js'
import { waitFor } from '../helpers/wait-for.js'

const CLIENTS = [{ clientId: 'svc', clientSecret: RESERVED_SECRET, scopes: ['api:read', 'api:write'] }]
const DEADLINE_MS = 600
const ATTEMPT_TIMEOUT_MS = 200
const SCOPE = 'api:read'

const cleanups: Array<() => Promise<unknown>> = []
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
})

/** A server that accepts connections and reads requests but never answers. */
async function startBlackHole(port: number): Promise<{ server: Server; requests: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  let requests = 0
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('data', (chunk: Buffer) => {
      if (chunk.subarray(0, 5).toString('latin1') === 'POST ') requests++
    })
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    server,
    requests: () => requests,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** Calls getToken from `n` concurrent callers; resolves with each outcome and the time the slowest took. */
async function concurrently(client: TokenClient, n: number) {
  const started = performance.now()
  const outcomes = await Promise.allSettled(Array.from({ length: n }, () => client.getToken(SCOPE)))
  return { outcomes, elapsedMs: performance.now() - started }
}

test('server down: the valid token is served, a refresh fails quietly, then typed errors within the deadline, then recovery on the same port', async () => {
  const clock = new TestClock()
  let server: ReferenceServer = await startReferenceServer({ clients: CLIENTS, tokenLifetime: 3600 })
  const port = server.port
  cleanups.push(() => server.close())
  const refreshErrors: TokenClientError[] = []
  const client = new TokenClient({
    tokenUrl: server.tokenUrl,
    clientId: 'svc',
    clientSecret: RESERVED_SECRET,
    clock,
    retry: { retries: 3, minDelayMs: 1, maxDelayMs: 5, attemptTimeoutMs: ATTEMPT_TIMEOUT_MS, deadlineMs: DEADLINE_MS },
    onRefreshError: (error) => refreshErrors.push(error),
  })
  cleanups.push(() => client.close())

  // Up: one token, usable for 3600 s − 60 s, refreshed from 70-80 % of that.
  const held = await client.getToken(SCOPE)
  assert.equal(held.expiresAt.getTime(), clock.now() + 3_600_000)
  await server.close()

  // Down, token fresh: served from the cache, no request, no error.
  const fresh = performance.now()
  for (let i = 0; i < 1_000; i++) assert.equal(await client.getToken(SCOPE), held)
  assert.ok(performance.now() - fresh < 500, 'cache hits do not touch the network')
  assert.equal(refreshErrors.length, 0)

  // Down, past the refresh point (3000 s > 80 % of 3540 s): still served at once; one background
  // refresh runs, fails after its retries, and is reported.
  clock.advance(3_000_000)
  assert.equal(await client.getToken(SCOPE), held)
  await waitFor(() => refreshErrors.length === 1)
  assert.ok(refreshErrors[0] instanceof TransportError)
  assert.match(refreshErrors[0].message, /ECONNREFUSED/)
  assert.equal(refreshErrors[0].attempts, 4)
  // The failed refresh backs off (1 s on the client's clock): more calls now start no new refresh.
  for (let i = 0; i < 1_000; i++) assert.equal(await client.getToken(SCOPE), held)
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(refreshErrors.length, 1, 'no refresh per call while backing off')
  clock.advance(1_500)
  assert.equal(await client.getToken(SCOPE), held)
  await waitFor(() => refreshErrors.length === 2)

  // Down, token no longer usable (past 3540 s): 50 callers get one typed error, at once.
  clock.advance(600_000)
  const refused = await concurrently(client, 50)
  assert.ok(refused.elapsedMs < DEADLINE_MS, `refused: ${refused.elapsedMs.toFixed(0)} ms, within the deadline`)
  const reasons = refused.outcomes.map((outcome) => (outcome.status === 'rejected' ? outcome.reason : outcome.value))
  assert.ok(reasons.every((reason) => reason instanceof TransportError && reason.code === 'TRANSPORT_ERROR'))
  assert.equal(new Set(reasons).size, 1, 'one request (and one error) for every waiting caller')

  // A server that accepts and never answers: TIMEOUT at the deadline, not a hang, and still one
  // request at a time for all 50 callers.
  const hole = await startBlackHole(port)
  cleanups.push(() => hole.close())
  const hanging = await concurrently(client, 50)
  const timeouts = hanging.outcomes.map((outcome) => (outcome.status === 'rejected' ? outcome.reason : outcome.value))
  assert.ok(timeouts.every((reason) => reason instanceof TimeoutError && reason.limit === 'deadline'), String(timeouts[0]))
  assert.ok(hanging.elapsedMs >= DEADLINE_MS - 5, `${hanging.elapsedMs.toFixed(0)} ms`)
  assert.ok(hanging.elapsedMs < DEADLINE_MS + 250, `black hole: ${hanging.elapsedMs.toFixed(0)} ms, promptly at the ${DEADLINE_MS} ms deadline`)
  assert.ok(hole.requests() >= 2 && hole.requests() <= 3, `${hole.requests()} requests: one per attempt (3 fit in the deadline), not one per caller`)
  await hole.close()

  // Back on the same port: the same client recovers, one request for 50 callers, then cached.
  server = await startReferenceServer({ clients: CLIENTS, tokenLifetime: 3600, port })
  const back = await concurrently(client, 50)
  const tokens = back.outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : outcome.reason))
  assert.ok(tokens.every((token) => token === tokens[0]), String(tokens.find((token) => token instanceof Error)))
  assert.notEqual(tokens[0].accessToken, held.accessToken)
  assert.equal(server.log.count({ path: '/token' }), 1)
  assert.equal(await client.getToken(SCOPE), tokens[0])
  assert.equal(server.log.count({ path: '/token' }), 1)
})

test('a black-holed server with only the timeouts set: the caller is answered by the deadline', async () => {
  // The defaults bound a hanging server the same way, at 10 s per attempt and 30 s in all; here both
  // are scaled down 100 times and every other retry setting is the default.
  const hole = await startBlackHole(0)
  cleanups.push(() => hole.close())
  const address = hole.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const client = new TokenClient({
    tokenUrl: `http://127.0.0.1:${port}/token`,
    clientId: 'svc',
    clientSecret: RESERVED_SECRET,
    retry: { attemptTimeoutMs: 100, deadlineMs: 300 },
  })
  cleanups.push(() => client.close())
  const started = performance.now()
  await assert.rejects(client.getToken(SCOPE), (error: unknown) => error instanceof TimeoutError)
  const elapsed = performance.now() - started
  assert.ok(elapsed < 300 + 150, `${elapsed.toFixed(0)} ms`)
})
