// What an API (or anything on the path to it) can make the fetch wrapper do through its answers, and
// what a slow caller's body can: bounded in time, and decided on what the request actually carried.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { parseChallenges, isInvalidTokenChallenge } from '../../src/fetch/www-authenticate.js'
import { createAuthFetch, TokenClient } from '../../src/index.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { startEchoServer } from '../helpers/echo-server.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'

let server: ReferenceServer
let api: Awaited<ReturnType<typeof startEchoServer>>
let client: TokenClient

before(async () => {
  server = await startReferenceServer({ clients: [{ clientId: 'svc', clientSecret: RESERVED_SECRET, scopes: ['api:read'] }], throttle: false })
  api = await startEchoServer()
  client = new TokenClient({ tokenUrl: server.tokenUrl, clientId: 'svc', clientSecret: RESERVED_SECRET, retry: false })
})
after(async () => {
  await client.close()
  await Promise.all([server.close(), api.close()])
})

test('a Request whose stream body trickles and never ends is stopped by its signal, as with init.body', { timeout: 10_000 }, async () => {
  const authFetch = createAuthFetch(client, { scope: 'api:read', origins: [api.origin] })
  const trickle = () =>
    new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        controller.enqueue(new Uint8Array([0x61]))
      },
    })
  for (const target of [`${api.origin}/listed`, `http://127.0.0.1:1/unlisted`]) {
    const started = performance.now()
    const request = new Request(target, { method: 'POST', body: trickle(), duplex: 'half', signal: AbortSignal.timeout(300) } as RequestInit)
    await assert.rejects(authFetch(request), (error: unknown) => (error as Error).name === 'TimeoutError')
    const took = performance.now() - started
    assert.ok(took < 2_000, `took ${Math.round(took)} ms`)
  }
})

test('WWW-Authenticate parsing takes linear time: a 256 KiB header of a refused token68 run parses in well under a second', () => {
  const header = `a ${'b/'.repeat(128 * 1024)} x`
  const started = performance.now()
  const challenges = parseChallenges(header)
  const took = performance.now() - started
  assert.ok(took < 1_000, `took ${Math.round(took)} ms`)
  assert.equal(challenges[0]?.scheme, 'a')
  assert.equal(isInvalidTokenChallenge(`${header}, Bearer error="invalid_token"`), true)
})
