// client.status(): the snapshot an operator reads from a health endpoint, on a real TokenClient against
// the reference server, time moved by an injected clock.
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { after, before, test } from 'node:test'
import { sharedTokenCache, TokenClient, type TokenClientOptions, type TokenClientStatus } from '../../src/index.js'
import { tokenState } from '../../src/observability/client-status.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { memoryStore } from '../helpers/memory-store.js'
import { LEAK_PROBE_SECRET } from '../helpers/secrets.js'
import { TestClock } from '../helpers/test-clock.js'
import { waitFor } from '../helpers/wait-for.js'
import { clientsOf } from './otel-harness.js'

const SECRET = LEAK_PROBE_SECRET
let server: ReferenceServer
const snapshots: TokenClientStatus[] = []
before(async () => {
  server = await startReferenceServer({ clients: [{ clientId: 'svc', clientSecret: SECRET, scopes: ['api:read', 'api:write', 'audit'] }], throttle: false })
})
const { made, tokens, newClient, got, closeAll } = clientsOf(() => ({ tokenUrl: server.tokenUrl, clientId: 'svc', clientSecret: SECRET, retry: false }))
after(async () => {
  await closeAll()
  await server.close()
})
/** The snapshot, kept for the secrets check, and checked to be plain JSON data. */
const statusOf = (client: TokenClient): TokenClientStatus => {
  const status = client.status()
  assert.deepEqual(JSON.parse(JSON.stringify(status)), status, 'plain JSON-serialisable data')
  snapshots.push(status)
  return status
}

test('tokenState: a table of what a key is at a moment', () => {
  const entry = { tokenType: 'Bearer', expiresAt: new Date(0), refreshAt: 100, usableUntil: 200 }
  const rows: Array<[Parameters<typeof tokenState>[0], number, ReturnType<typeof tokenState>]> = [
    [{ requesting: false, entry }, 50, 'fresh'],
    [{ requesting: false, entry }, 100, 'stale'],
    [{ requesting: true, entry }, 150, 'refreshing'],
    [{ requesting: false, entry: { ...entry, failedRefreshes: 1 } }, 150, 'failing'],
    [{ requesting: true, entry: { ...entry, failedRefreshes: 2 } }, 150, 'failing'],
    [{ requesting: false, entry }, 200, 'expired'],
    [{ requesting: true, entry }, 250, 'requesting'],
    [{ requesting: false, entry: { ...entry, unusableOnArrival: true } }, 50, 'expired'],
    [{ requesting: true, entry: undefined }, 0, 'requesting'],
  ]
  for (const [facts, now, state] of rows) assert.equal(tokenState(facts, now), state, `${JSON.stringify(facts)} at ${now}`)
})

test('across a background refresh that fails: fresh, stale, refreshing, failing with the last error code, and the counts', async () => {
  const clock = new TestClock()
  const client = newClient({ clock, cache: { refreshJitter: 0 } })
  const start = statusOf(client)
  assert.deepEqual(start.tokens, [])
  assert.equal(start.since, new Date(clock.now()).toISOString())
  assert.deepEqual(start.client, { clientId: 'svc', tokenEndpoint: server.tokenUrl, authMethod: 'client_secret_basic' })
  assert.equal(start.sharedCache, undefined)
  assert.equal(start.discovery, undefined)

  const token = await got(client, 'api:read')
  await got(client, 'api:read')
  await got(client, 'api:read', { signal: AbortSignal.timeout(10_000) }) // a hit through the cache's own lookup
  let status = statusOf(client)
  assert.equal(status.tokens.length, 1)
  assert.deepEqual(status.tokens[0], {
    scope: 'api:read',
    state: 'fresh',
    refreshing: false,
    tokenType: 'Bearer',
    expiresAt: token.expiresAt.toISOString(),
    refreshAt: new Date(clock.now() + 2_832_000).toISOString(),
    usableUntil: new Date(clock.now() + 3_540_000).toISOString(),
  })
  assert.equal(status.at, new Date(clock.now()).toISOString())

  clock.advance(2_833_000)
  assert.equal(statusOf(client).tokens[0]?.state, 'stale', 'past the refresh point, before any call')

  server.faults.add({ type: 'delay', ms: 150 }, { times: 1 })
  assert.equal(await client.getToken('api:read'), token, 'the current token, at once')
  status = statusOf(client)
  assert.deepEqual([status.tokens[0]?.state, status.tokens[0]?.refreshing], ['refreshing', true])
  await waitFor(() => client.status().tokens[0]?.state === 'fresh')

  clock.advance(2_833_000)
  server.faults.add({ type: 'status', status: 503 }, { times: 1 })
  await got(client, 'api:read')
  await waitFor(() => client.status().tokens[0]?.state === 'failing')
  status = statusOf(client)
  const [failing] = status.tokens
  assert.equal(failing?.state, 'failing')
  assert.equal(failing?.refreshing, false)
  assert.equal(failing?.failedRefreshes, 1)
  assert.equal(failing?.lastErrorCode, 'OAUTH_ERROR')
  assert.equal(failing?.lastOAuthError, 'temporarily_unavailable')
  assert.equal(failing?.lastStatus, 503)
  assert.deepEqual(status.counts, {
    tokenRequests: 3,
    tokenRequestFailures: 1,
    tokenRequestsAborted: 0,
    httpRequests: 3,
    retries: 0,
    dpopNonceRetries: 0,
    cacheHits: 2,
    cacheStaleHits: 2,
    cacheMisses: 1,
    sharedCacheHits: 0,
    sharedCacheMisses: 0,
    refreshFailures: 1,
    sharedCacheErrors: 0,
  })

  // Its usable time over without a new token: expired, no longer handed out.
  clock.advance(3_600_000)
  assert.equal(statusOf(client).tokens[0]?.state, 'expired')
})

test('each scope set its own entry, most recently used first; extra parameters by name only; retries counted', async () => {
  const client = newClient({ retry: { minDelayMs: 1, maxDelayMs: 2 } })
  server.faults.add({ type: 'status', status: 503 }, { times: 1 })
  await got(client, 'audit')
  await got(client, 'api:write', { audience: 'https://orders.example.com', params: { tenant: 'blue' } })
  const status = statusOf(client)
  assert.deepEqual(
    status.tokens.map((entry) => [entry.scope, entry.parameters, entry.state]),
    [
      ['api:write', ['audience', 'tenant'], 'fresh'],
      ['audit', undefined, 'fresh'],
    ],
  )
  assert.ok(!JSON.stringify(status).includes('orders.example.com') && !JSON.stringify(status).includes('blue'), 'no parameter values')
  assert.deepEqual([status.counts.tokenRequests, status.counts.httpRequests, status.counts.retries], [2, 3, 1])
})

test('a shared cache in trouble: the breaker open with the last error code, closed again once the store answers', async () => {
  let down = true
  const working = memoryStore()
  const refuse = () => {
    if (down) throw new Error(`connection refused (${SECRET})`)
  }
  const store = memoryStore({
    get: async (name: string, maxChars: number) => (refuse(), working.get(name, maxChars)),
    set: async (name: string, value: string, ttlMs: number) => (refuse(), working.set(name, value, ttlMs)),
    takeLease: working.takeLease,
    releaseLease: working.releaseLease,
  })
  const client = newClient({ sharedCache: sharedTokenCache(store, { breaker: { failures: 2, cooldownMs: 50 }, onError: () => {} }) })
  await got(client, 'api:read')
  await waitFor(() => client.status().sharedCache?.breaker === 'open')
  let status = statusOf(client)
  assert.equal(status.sharedCache?.store, 'memory (test)')
  assert.equal(status.sharedCache?.breaker, 'open')
  assert.equal(status.sharedCache?.errors, 3)
  assert.equal(status.sharedCache?.lastErrorCode, 'SHARED_CACHE_SKIPPED')
  assert.equal(status.sharedCache?.lastErrorOperation, 'set')
  assert.ok(Number.isFinite(Date.parse(status.sharedCache?.lastErrorAt ?? '')))
  assert.deepEqual([status.counts.sharedCacheErrors, status.counts.sharedCacheMisses, status.counts.cacheMisses], [3, 1, 1])
  assert.equal(status.tokens[0]?.state, 'fresh', 'the token came from the token server all the same')

  down = false
  await new Promise((resolve) => setTimeout(resolve, 60))
  await got(client, 'api:write')
  status = statusOf(client)
  assert.equal(status.sharedCache?.breaker, 'closed')
  assert.equal(status.sharedCache?.lastErrorCode, 'SHARED_CACHE_SKIPPED', 'the last problem stays on record')
  assert.equal(status.counts.sharedCacheMisses, 2)

  await new Promise((resolve) => setTimeout(resolve, 20)) // the entry is written just after the callers have the token
  const other = newClient({ sharedCache: sharedTokenCache(store) })
  await got(other, 'api:write')
  assert.deepEqual([statusOf(other).counts.sharedCacheHits, other.status().counts.tokenRequests], [1, 0])
})

test('discovery: pending, then discovered; a closed client says so and holds no tokens', async () => {
  const client = newClient({ tokenUrl: undefined, issuer: server.issuer } as Partial<TokenClientOptions>)
  const before = statusOf(client)
  assert.deepEqual(before.discovery, { state: 'pending' })
  assert.deepEqual(before.client, { clientId: 'svc', issuer: server.issuer })
  await got(client, 'api:read')
  const after = statusOf(client)
  assert.deepEqual(after.discovery, { state: 'discovered' })
  assert.equal(after.client.tokenEndpoint, server.tokenUrl)
  await client.close()
  const closed = statusOf(client)
  assert.equal(closed.closed, true)
  assert.deepEqual(closed.tokens, [])
})

test('util.inspect(client) stays what it was: no status, no token; nothing secret in any snapshot', async () => {
  const client = newClient()
  await got(client, 'api:read')
  const shown = inspect(client, { depth: 10 })
  assert.match(shown, /^TokenClient \{/)
  assert.ok(!shown.includes('counts') && !shown.includes('tokens'))
  assert.ok(snapshots.length >= 12)
  assert.ok(tokens.length >= 8)
  const all = `${JSON.stringify(snapshots)}\n${inspect(snapshots, { depth: 10 })}\n${shown}`
  for (const secret of [SECRET, encodeURIComponent(SECRET), Buffer.from(`svc:${encodeURIComponent(SECRET)}`).toString('base64'), ...tokens]) {
    assert.ok(!all.includes(secret), `found ${inspect(secret.slice(0, 12))}...`)
  }
})
