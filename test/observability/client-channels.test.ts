// The diagnostics_channel messages of a real TokenClient against the reference server (no OpenTelemetry
// SDK registered), and logTokenEvents on them: every channel, and nothing secret in any message.
import assert from 'node:assert/strict'
import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel'
import { inspect } from 'node:util'
import { after, afterEach, before, test } from 'node:test'
import {
  ATTEMPT_CHANNEL,
  CACHE_CHANNEL,
  DISCOVERY_CHANNEL,
  logTokenEvents,
  REFRESH_FAILED_CHANNEL,
  SHARED_CACHE_CHANNEL,
  sharedTokenCache,
  TOKEN_CHANNEL,
  TokenClient,
  type CacheLookupMessage,
  type DiscoveryMessage,
  type RefreshFailedMessage,
  type SharedCacheMessage,
  type TokenAcquisitionMessage,
  type TokenAttemptMessage,
  type TokenClientOptions,
} from '../../src/index.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { memoryStore } from '../helpers/memory-store.js'
import { LEAK_PROBE_SECRET } from '../helpers/secrets.js'
import { TestClock } from '../helpers/test-clock.js'
import { waitFor } from '../helpers/wait-for.js'
import { clientsOf } from './otel-harness.js'

const SECRET = LEAK_PROBE_SECRET
let server: ReferenceServer
let dpopServer: ReferenceServer
before(async () => {
  const clients = [{ clientId: 'svc', clientSecret: SECRET, scopes: ['api:read', 'api:write', 'audit'] }]
  server = await startReferenceServer({ clients, throttle: false })
  dpopServer = await startReferenceServer({ clients, throttle: false, dpop: { nonce: 'required' } })
})
const { made, tokens, newClient, got, closeAll } = clientsOf(() => ({ tokenUrl: server.tokenUrl, clientId: 'svc', clientSecret: SECRET, retry: { minDelayMs: 1, maxDelayMs: 5 } }))
after(async () => {
  await closeAll()
  await Promise.all([server.close(), dpopServer.close()])
})

/** Every message of every channel, in order, while a test runs. */
const seen: Array<{ channel: string; message: unknown }> = []
/** Every message any test saw, and every token any test got: for the last test. */
const everything: unknown[] = []
const record = (channel: string) => (message: unknown) => {
  seen.push({ channel, message })
  everything.push(message)
}
const plain = [CACHE_CHANNEL, ATTEMPT_CHANNEL, REFRESH_FAILED_CHANNEL, SHARED_CACHE_CHANNEL, DISCOVERY_CHANNEL].map((name) => [name, record(name)] as const)
const tracing = tracingChannel(TOKEN_CHANNEL)
const tokenEvents = {
  start: record('token:start'),
  end: record('token:end'),
  asyncStart: record('token:asyncStart'),
  asyncEnd: record('token:asyncEnd'),
  error: record('token:error'),
}
before(() => {
  for (const [name, listener] of plain) subscribe(name, listener)
  tracing.subscribe(tokenEvents)
})
after(() => {
  for (const [name, listener] of plain) unsubscribe(name, listener)
  tracing.unsubscribe(tokenEvents)
})
afterEach(() => {
  seen.length = 0
})

const of = <T>(channel: string): T[] => seen.filter((entry) => entry.channel === channel).map((entry) => entry.message as T)

test('a miss and a hit: the cache channel says miss then hit; the token TracingChannel brackets the one request', async () => {
  const client = newClient()
  await got(client, 'api:read')
  await got(client, 'api:read')
  const info = { clientId: 'svc', tokenEndpoint: server.tokenUrl, authMethod: 'client_secret_basic' }
  assert.deepEqual(of<CacheLookupMessage>(CACHE_CHANNEL), [
    { client: info, scope: 'api:read', result: 'miss' },
    { client: info, scope: 'api:read', result: 'hit' },
  ])
  assert.deepEqual(
    seen.filter((entry) => entry.channel.startsWith('token:')).map((entry) => entry.channel),
    ['token:start', 'token:end', 'token:asyncStart', 'token:asyncEnd'],
  )
  const [request] = of<TokenAcquisitionMessage>('token:asyncEnd')
  assert.equal(request?.scope, 'api:read')
  assert.equal(request?.trigger, 'cold')
  assert.equal(request?.outcome, 'success')
  assert.equal(request?.attempts, 1)
  assert.equal(request?.result, undefined, 'never the token')
  assert.ok(Object.isFrozen(request?.client))
  const [attempt] = of<TokenAttemptMessage>(ATTEMPT_CHANNEL)
  assert.deepEqual({ ...attempt, durationMs: 0 }, { client: info, scope: 'api:read', attempt: 1, status: 200, durationMs: 0, outcome: 'success' })
})

test('a retried 503: the attempt channel says retry, with the wait; a forced refresh looks nothing up', async () => {
  const client = newClient()
  server.faults.add({ type: 'status', status: 503 }, { times: 1 })
  await got(client, 'api:write', { forceRefresh: true })
  assert.deepEqual(of<CacheLookupMessage>(CACHE_CHANNEL), [])
  const attempts = of<TokenAttemptMessage>(ATTEMPT_CHANNEL)
  assert.equal(attempts.length, 2)
  assert.equal(attempts[0]?.reason, 'retry')
  assert.equal(attempts[0]?.status, 503)
  assert.equal(attempts[0]?.errorCode, 'OAUTH_ERROR')
  assert.equal(attempts[0]?.oauthError, 'temporarily_unavailable')
  assert.ok(typeof attempts[0]?.retryDelayMs === 'number' && attempts[0].retryDelayMs >= 0)
  assert.deepEqual([attempts[1]?.attempt, attempts[1]?.outcome, attempts[1]?.reason], [2, 'success', undefined])
  const [request] = of<TokenAcquisitionMessage>('token:asyncEnd')
  assert.deepEqual([request?.trigger, request?.attempts, request?.outcome], ['force', 2, 'success'])
})

test('a failed background refresh: stale lookup, a refresh request that fails, the refresh-failed channel; logTokenEvents writes it', async () => {
  const clock = new TestClock()
  const client = newClient({ clock, cache: { refreshJitter: 0 }, retry: false })
  const lines: Array<[string, string, Record<string, unknown>]> = []
  const logger = {
    info: (message: string, fields: Record<string, unknown>) => lines.push(['info', message, fields]),
    warn: (message: string, fields: Record<string, unknown>) => lines.push(['warn', message, fields]),
    error: (message: string, fields: Record<string, unknown>) => lines.push(['error', message, fields]),
  }
  const stop = logTokenEvents(logger, { argumentOrder: 'message-first' })
  try {
    await got(client, 'audit')
    clock.advance(2_833_000)
    server.faults.add({ type: 'status', status: 503 }, { times: 1 })
    await got(client, 'audit')
    await waitFor(() => of(REFRESH_FAILED_CHANNEL).length === 1)
  } finally {
    stop()
  }
  assert.deepEqual(of<CacheLookupMessage>(CACHE_CHANNEL).map((message) => message.result), ['miss', 'stale'])
  const [failed] = of<RefreshFailedMessage>(REFRESH_FAILED_CHANNEL)
  assert.deepEqual([failed?.scope, failed?.errorCode, failed?.oauthError, failed?.status], ['audit', 'OAUTH_ERROR', 'temporarily_unavailable', 503])
  const refresh = of<TokenAcquisitionMessage>('token:asyncEnd').find((message) => message.trigger === 'refresh')
  assert.equal(refresh?.outcome, 'failure')
  assert.equal(of('token:error').length, 1)
  assert.deepEqual(
    lines.map(([level, , fields]) => [level, fields['event']]),
    [
      ['info', 'oauth2.token.request'],
      ['error', 'oauth2.token.request'],
      ['warn', 'oauth2.refresh.failed'],
    ],
  )
  everything.push(...lines)
})

test('DPoP: the nonce retry is an attempt with reason dpop-nonce, keeping its attempt number', async () => {
  const client = new TokenClient({ tokenUrl: dpopServer.tokenUrl, clientId: 'svc', clientSecret: SECRET, dpop: true })
  made.push(client)
  await got(client, 'api:read')
  const attempts = of<TokenAttemptMessage>(ATTEMPT_CHANNEL)
  assert.deepEqual(
    attempts.map((message) => [message.attempt, message.status, message.oauthError, message.reason, message.outcome]),
    [
      [1, 400, 'use_dpop_nonce', 'dpop-nonce', 'failure'],
      [1, 200, undefined, undefined, 'success'],
    ],
  )
  assert.equal(of<TokenAcquisitionMessage>('token:asyncEnd')[0]?.attempts, 2)
})

test('a shared cache in trouble: an error per failure, breaker-open, then breaker-closed once the store answers again', async () => {
  let down = true
  const refuse = (operation: string) => {
    if (down) throw new Error(`${operation}: connection refused (${SECRET})`)
  }
  const store = memoryStore({
    get: async () => refuse('get'),
    set: async () => refuse('set'),
  })
  const client = newClient({ sharedCache: sharedTokenCache(store, { breaker: { failures: 2, cooldownMs: 50 }, onError: () => {} }) })
  await got(client, 'api:read')
  await waitFor(() => of(SHARED_CACHE_CHANNEL).length >= 3)
  const events = of<SharedCacheMessage>(SHARED_CACHE_CHANNEL)
  assert.deepEqual(
    events.map((message) => [message.event, message.code, message.operation, message.breaker]),
    [
      ['error', 'SHARED_CACHE_UNAVAILABLE', 'get', 'closed'],
      ['error', 'SHARED_CACHE_UNAVAILABLE', 'set', 'closed'],
      ['breaker-open', 'SHARED_CACHE_SKIPPED', 'set', 'open'],
    ],
  )
  assert.ok(events.every((message) => !String(message.message).includes(SECRET)))
  assert.deepEqual(of<CacheLookupMessage>(CACHE_CHANNEL).map((message) => message.result), ['miss', 'shared-miss'])
  down = false
  await new Promise((resolve) => setTimeout(resolve, 60))
  await got(client, 'api:write')
  assert.deepEqual(of<SharedCacheMessage>(SHARED_CACHE_CHANNEL).at(-1), { client: client.status().client, event: 'breaker-closed', breaker: 'closed' })
})

test('discovery: the discovery channel says where the token endpoint is, and the client is described by it from then on', async () => {
  const client = newClient({ tokenUrl: undefined, issuer: server.issuer } as Partial<TokenClientOptions>)
  await got(client, 'api:read')
  const [found] = of<DiscoveryMessage>(DISCOVERY_CHANNEL)
  assert.equal(found?.outcome, 'success')
  assert.equal(found?.tokenEndpoint, server.tokenUrl)
  assert.equal(found?.authMethod, 'client_secret_basic')
  // The request that discovered started before discovery did: its message names the issuer alone; the next ones, all four.
  assert.deepEqual(of<TokenAcquisitionMessage>('token:asyncEnd')[0]?.client, { clientId: 'svc', issuer: server.issuer })
  await got(client, 'api:read', { forceRefresh: true })
  assert.deepEqual(of<TokenAcquisitionMessage>('token:asyncEnd')[1]?.client, { clientId: 'svc', tokenEndpoint: server.tokenUrl, issuer: server.issuer, authMethod: 'client_secret_basic' })
  assert.equal(client.status().discovery?.state, 'discovered')
  const failing = newClient({ tokenUrl: undefined, issuer: `${server.issuer}/nowhere`, retry: false } as Partial<TokenClientOptions>)
  await assert.rejects(failing.getToken('api:read'), { code: 'DISCOVERY_ERROR' })
  const failed = of<DiscoveryMessage>(DISCOVERY_CHANNEL).at(-1)
  assert.deepEqual([failed?.outcome, failed?.errorCode], ['failure', 'DISCOVERY_ERROR'])
  assert.equal(failing.status().discovery?.state, 'failed')
})

test('nothing secret in any message of any channel, nor in a log line', () => {
  assert.ok(everything.length > 30)
  assert.ok(tokens.length >= 8)
  const texts = everything.map((message) => `${JSON.stringify(message, (_key, value: unknown) => (value instanceof Error ? { ...value, message: value.message } : value))}\n${inspect(message, { depth: 1 })}`)
  const all = texts.join('\n')
  for (const secret of [SECRET, encodeURIComponent(SECRET), Buffer.from(`svc:${encodeURIComponent(SECRET)}`).toString('base64'), ...tokens]) {
    assert.ok(!all.includes(secret), `found ${inspect(secret.slice(0, 12))}...`)
  }
})
