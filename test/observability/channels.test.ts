// The diagnostics channels of ClientTelemetry, with no OpenTelemetry SDK registered.
import assert from 'node:assert/strict'
import { AsyncLocalStorage } from 'node:async_hooks'
import { channel, subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel'
import { test } from 'node:test'
import { OAuthError, TimeoutError, TransportError, UnexpectedStatusError } from '../../src/errors/token-client-error.js'
import { SharedCacheError } from '../../src/shared-cache/shared-cache-error.js'
import {
  ATTEMPT_CHANNEL,
  CACHE_CHANNEL,
  DISCOVERY_CHANNEL,
  REFRESH_FAILED_CHANNEL,
  SHARED_CACHE_CHANNEL,
  TOKEN_CHANNEL,
  type TokenAcquisitionMessage,
} from '../../src/observability/channels.js'
import { ClientTelemetry } from '../../src/observability/client-telemetry.js'

const SECRET = 'fake-secret-4f9d8c'
const client = { clientId: 'orders-service', tokenEndpoint: 'https://id.example.com/connect/token', authMethod: 'client_secret_basic' }

/** Collects what `name` publishes while `run` runs. */
async function published(name: string, run: () => unknown): Promise<unknown[]> {
  const messages: unknown[] = []
  const listener = (message: unknown) => messages.push(message)
  subscribe(name, listener)
  try {
    await run()
  } finally {
    unsubscribe(name, listener)
  }
  return messages
}

test('nobody listening and no SDK: not observed, nothing published, run called with a recorder that does nothing', async () => {
  const names = [CACHE_CHANNEL, ATTEMPT_CHANNEL, REFRESH_FAILED_CHANNEL, SHARED_CACHE_CHANNEL, DISCOVERY_CHANNEL]
  const traced = tracingChannel(TOKEN_CHANNEL)
  const all = [...names.map((name) => channel(name)), traced.start, traced.end, traced.asyncStart, traced.asyncEnd, traced.error]
  // An own `publish` on each channel object counts calls (a channel with subscribers changes its
  // prototype, so the own property is deleted afterwards, never assigned back).
  let publishes = 0
  for (const each of all) each.publish = () => void publishes++
  try {
    const telemetry = new ClientTelemetry(client)
    assert.equal(telemetry.observed, false)
    telemetry.cacheLookup('hit', 'a')
    const value = await telemetry.acquisition({ scope: 'a', trigger: 'cold' }, async (recorder) => {
      recorder.attempt({ attempt: 1, durationMs: 1, error: new UnexpectedStatusError({ status: 503 }), reason: 'retry' })
      return 42
    })
    assert.equal(value, 42)
    telemetry.refreshFailed(new TimeoutError('attempt', 10), 'a')
    telemetry.sharedCacheError(new SharedCacheError('SHARED_CACHE_TIMEOUT', 'slow', { operation: 'get' }))
    telemetry.sharedCacheRecovered()
    telemetry.discovery({ durationMs: 1, tokenEndpoint: 'https://id.example.com/t' })
    assert.equal(publishes, 0)
  } finally {
    for (const each of all) delete (each as Partial<typeof each>).publish
  }
})

test('an unobserved acquisition hands run one shared no-op recorder and its own promise', async () => {
  const telemetry = new ClientTelemetry(client, { api: null })
  const recorders = new Set<unknown>()
  const promise = Promise.resolve('token')
  const returned = telemetry.acquisition({ scope: 'a', trigger: 'cold' }, (recorder) => {
    recorders.add(recorder)
    return promise
  })
  assert.equal(returned, promise, 'no wrapper promise when nothing observes')
  await telemetry.acquisition({ scope: 'a', trigger: 'cold' }, async (recorder) => recorders.add(recorder))
  assert.equal(recorders.size, 1)
})

test('the client description: four fields, frozen, URLs cut to origin and path, nothing else read', async () => {
  const telemetry = new ClientTelemetry({
    clientId: 'svc',
    tokenEndpoint: `https://user:${SECRET}@id.example.com/token?client_secret=${SECRET}#frag`,
    authMethod: 'client_secret_post',
    clientSecret: SECRET,
  } as never)
  assert.deepEqual(telemetry.client, { clientId: 'svc', tokenEndpoint: 'https://id.example.com/token', authMethod: 'client_secret_post' })
  assert.ok(Object.isFrozen(telemetry.client))
  assert.ok(!JSON.stringify(telemetry.client).includes(SECRET))
})

test('the cache channel: observed while it has a subscriber; { client, scope, result } per lookup', async () => {
  const telemetry = new ClientTelemetry(client)
  const messages = await published(CACHE_CHANNEL, () => {
    assert.equal(telemetry.observed, true)
    telemetry.cacheLookup('hit', 'orders:read')
    telemetry.cacheLookup('stale', 'orders:read')
  })
  assert.equal(telemetry.observed, false)
  assert.deepEqual(messages, [
    { client, scope: 'orders:read', result: 'hit' },
    { client, scope: 'orders:read', result: 'stale' },
  ])
  assert.equal((messages[0] as { client: unknown }).client, telemetry.client, 'one client object for every message')
})

test('the attempt channel: one message per HTTP request, with what follows it', async () => {
  const telemetry = new ClientTelemetry(client)
  const unavailable = new UnexpectedStatusError({ status: 503 })
  const nonce = new OAuthError({ error: 'use_dpop_nonce', status: 400 })
  const messages = await published(ATTEMPT_CHANNEL, () =>
    telemetry.acquisition({ scope: 'orders:read', trigger: 'cold' }, async (recorder) => {
      recorder.attempt({ attempt: 1, durationMs: 12, error: unavailable, reason: 'retry', retryDelayMs: 250 })
      recorder.attempt({ attempt: 2, durationMs: 3, error: nonce, reason: 'dpop-nonce' })
      recorder.attempt({ attempt: 2, durationMs: 4, status: 200 })
    }),
  )
  assert.deepEqual(messages, [
    { client, scope: 'orders:read', attempt: 1, status: 503, durationMs: 12, outcome: 'failure', errorCode: 'UNEXPECTED_STATUS', reason: 'retry', retryDelayMs: 250, error: unavailable },
    { client, scope: 'orders:read', attempt: 2, status: 400, durationMs: 3, outcome: 'failure', errorCode: 'OAUTH_ERROR', oauthError: 'use_dpop_nonce', reason: 'dpop-nonce', error: nonce },
    { client, scope: 'orders:read', attempt: 2, status: 200, durationMs: 4, outcome: 'success' },
  ])
})

test('the TracingChannel: start and end around the call, asyncStart and asyncEnd after it, one context object, never the token', async () => {
  const telemetry = new ClientTelemetry(client)
  const traced = tracingChannel<unknown, TokenAcquisitionMessage>(TOKEN_CHANNEL)
  const events: Array<[string, TokenAcquisitionMessage]> = []
  const store = new AsyncLocalStorage<string>()
  const handlers = {
    start: (message: TokenAcquisitionMessage) => events.push(['start', { ...message }]),
    end: (message: TokenAcquisitionMessage) => events.push(['end', { ...message }]),
    asyncStart: (message: TokenAcquisitionMessage) => events.push(['asyncStart', { ...message }]),
    asyncEnd: (message: TokenAcquisitionMessage) => events.push(['asyncEnd', message]),
    error: (message: TokenAcquisitionMessage) => events.push(['error', { ...message }]),
  }
  traced.subscribe(handlers)
  traced.start.bindStore(store, (message) => `request for ${(message as TokenAcquisitionMessage).scope}`)
  let seen: string | undefined
  try {
    const token = await telemetry.acquisition({ scope: 'orders:read', trigger: 'cold' }, async (recorder) => {
      await new Promise((resolve) => setImmediate(resolve))
      seen = store.getStore()
      recorder.attempt({ attempt: 1, durationMs: 5, status: 200 })
      return { accessToken: SECRET }
    })
    assert.equal(token.accessToken, SECRET)
    const failure = new TransportError('connection refused', new Error('ECONNREFUSED'))
    await assert.rejects(telemetry.acquisition({ scope: 'x', trigger: 'force' }, () => Promise.reject(failure)), failure)
  } finally {
    traced.unsubscribe(handlers)
    traced.start.unbindStore(store)
  }
  assert.equal(seen, 'request for orders:read', 'a store bound to start is active inside the request')
  assert.deepEqual(events.slice(0, 4).map(([name]) => name), ['start', 'end', 'asyncStart', 'asyncEnd'])
  assert.deepEqual(events[0]?.[1], { client, scope: 'orders:read', trigger: 'cold' })
  const ended = events[3]?.[1]
  assert.equal(ended?.outcome, 'success')
  assert.equal(ended?.attempts, 1)
  assert.equal(typeof ended?.durationMs, 'number')
  assert.equal(ended?.result, undefined)
  assert.ok(!JSON.stringify(events).includes(SECRET), 'the token is never in a message')
  assert.deepEqual(events.slice(4).map(([name]) => name), ['start', 'end', 'error', 'asyncStart', 'asyncEnd'])
  const failed = events[8]?.[1]
  assert.equal(failed?.outcome, 'failure')
  assert.equal(failed?.errorCode, 'TRANSPORT_ERROR')
  assert.equal(failed?.attempts, 0)
  assert.ok(failed?.error instanceof TransportError)
})

test('refresh-failed, shared-cache and discovery messages', async () => {
  const telemetry = new ClientTelemetry({ clientId: 'svc', issuer: 'https://id.example.com/tenant' })
  const timeout = new TimeoutError('attempt', 10_000)
  const refreshed = await published(REFRESH_FAILED_CHANNEL, () => telemetry.refreshFailed(timeout, 'orders:read'))
  assert.deepEqual(refreshed, [{ client: { clientId: 'svc', issuer: 'https://id.example.com/tenant' }, scope: 'orders:read', errorCode: 'TIMEOUT', error: timeout }])

  const shared = await published(SHARED_CACHE_CHANNEL, () => {
    telemetry.sharedCacheError(new SharedCacheError('SHARED_CACHE_UNAVAILABLE', 'redis: get failed', { operation: 'get' }))
    telemetry.sharedCacheError(new SharedCacheError('SHARED_CACHE_SKIPPED', 'redis failed repeatedly', { operation: 'get' }))
    telemetry.sharedCacheRecovered()
  })
  const sharedClient = telemetry.client
  assert.deepEqual(shared, [
    { client: sharedClient, event: 'error', code: 'SHARED_CACHE_UNAVAILABLE', operation: 'get', breaker: 'closed', message: 'redis: get failed' },
    { client: sharedClient, event: 'breaker-open', code: 'SHARED_CACHE_SKIPPED', operation: 'get', breaker: 'open', message: 'redis failed repeatedly' },
    { client: sharedClient, event: 'breaker-closed', breaker: 'closed' },
  ])

  const discovered = await published(DISCOVERY_CHANNEL, () => {
    telemetry.discovery({ durationMs: 7, error: new TimeoutError('attempt', 10_000) })
    telemetry.discovery({ durationMs: 9, tokenEndpoint: 'https://id.example.com/tenant/token?x=1', authMethod: 'client_secret_basic' })
  })
  assert.equal((discovered[0] as { outcome: string }).outcome, 'failure')
  assert.equal((discovered[0] as { errorCode: string }).errorCode, 'TIMEOUT')
  const after = { clientId: 'svc', issuer: 'https://id.example.com/tenant', tokenEndpoint: 'https://id.example.com/tenant/token', authMethod: 'client_secret_basic' }
  assert.deepEqual(discovered[1], { client: after, outcome: 'success', durationMs: 9, tokenEndpoint: after.tokenEndpoint, authMethod: 'client_secret_basic' })
  assert.deepEqual(telemetry.client, after)
})
