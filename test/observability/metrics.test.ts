// The metrics of ClientTelemetry, read back from the real OpenTelemetry metrics SDK.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { metrics } from '@opentelemetry/api'
import { OAuthError, TimeoutError, UnexpectedStatusError } from '../../src/errors/token-client-error.js'
import { SharedCacheError } from '../../src/shared-cache/shared-cache-error.js'
import { ClientTelemetry } from '../../src/observability/client-telemetry.js'
import { pointWith, points, registerMetrics, type Histogram, type MetricsHarness } from './otel-harness.js'

let harness: MetricsHarness
before(() => {
  harness = registerMetrics()
})
after(() => harness.shutdown())

const server = { 'server.address': 'id.example.com', 'server.port': 443 }
const base = { 'oauth2.auth_method': 'client_secret_basic', ...server }

const newTelemetry = (tokenEndpoint = 'https://id.example.com/connect/token') =>
  new ClientTelemetry({ clientId: 'orders-service', tokenEndpoint, authMethod: 'client_secret_basic' })

test('a successful token request: one request counted, its duration in seconds, each attempt its own duration', async () => {
  const telemetry = newTelemetry('https://id.example.com/t1')
  await telemetry.acquisition({ scope: 'orders:read', trigger: 'cold' }, async (recorder) => {
    recorder.attempt({ attempt: 1, durationMs: 20, status: 200 })
    return 'token'
  })
  const found = await harness.collect()
  const requests = found.get('oauth2.client.token.requests')
  assert.equal(requests?.descriptor.unit, '{request}')
  const point = pointWith(requests, { 'oauth2.outcome': 'success', 'oauth2.token.trigger': 'cold' })
  assert.deepEqual(point?.attributes, { ...base, 'server.address': 'id.example.com', 'oauth2.token.trigger': 'cold', 'oauth2.outcome': 'success' })
  assert.equal(point?.value, 1)

  const duration = found.get('oauth2.client.token.request.duration')
  assert.equal(duration?.descriptor.unit, 's')
  const durationPoint = pointWith<Histogram>(duration, { 'oauth2.outcome': 'success' })
  assert.equal(durationPoint?.value.count, 1)
  assert.ok((durationPoint?.value.sum ?? -1) >= 0 && (durationPoint?.value.sum ?? 99) < 5, 'seconds, not milliseconds')
  assert.ok(durationPoint?.value.buckets.boundaries.includes(0.005), 'the HTTP duration buckets')

  const attempt = pointWith<Histogram>(found.get('oauth2.client.token.attempt.duration'), { 'http.response.status_code': 200 })
  assert.deepEqual(attempt?.attributes, { ...base, 'oauth2.outcome': 'success', 'http.response.status_code': 200 })
  assert.equal(attempt?.value.sum, 0.02)
})

test('a failed token request: error.type is the code, oauth2.error the server\'s; retries and DPoP nonce retries counted', async () => {
  const telemetry = newTelemetry('https://id.example.com/t2')
  const refused = new OAuthError({ error: 'invalid_client', status: 401 })
  await assert.rejects(
    telemetry.acquisition({ scope: '', trigger: 'force' }, async (recorder) => {
      recorder.attempt({ attempt: 1, durationMs: 5, error: new UnexpectedStatusError({ status: 503 }), reason: 'retry', retryDelayMs: 250 })
      recorder.attempt({ attempt: 2, durationMs: 5, error: new OAuthError({ error: 'use_dpop_nonce', status: 400 }), reason: 'dpop-nonce' })
      recorder.attempt({ attempt: 2, durationMs: 5, error: refused })
      throw refused
    }),
    refused,
  )
  const found = await harness.collect()
  const failed = pointWith(found.get('oauth2.client.token.requests'), { 'oauth2.outcome': 'failure' })
  assert.deepEqual(failed?.attributes, {
    ...base,
    'oauth2.token.trigger': 'force',
    'oauth2.outcome': 'failure',
    'error.type': 'OAUTH_ERROR',
    'oauth2.error': 'invalid_client',
  })
  assert.equal(failed?.value, 1)
  const retries = found.get('oauth2.client.token.retries')
  assert.equal(retries?.descriptor.unit, '{retry}')
  assert.deepEqual(points(retries).map((p) => [p.attributes, p.value]), [
    [{ ...base, 'oauth2.outcome': 'failure', 'http.response.status_code': 503, 'error.type': 'UNEXPECTED_STATUS' }, 1],
  ])
  const nonce = found.get('oauth2.client.dpop.nonce_retries')
  assert.deepEqual(points(nonce).map((p) => [p.attributes, p.value]), [[base, 1]])
  const attempts = points<Histogram>(found.get('oauth2.client.token.attempt.duration')).filter((p) => p.attributes['oauth2.outcome'] !== 'success')
  assert.ok(attempts.some((p) => p.attributes['oauth2.error'] === 'use_dpop_nonce' && p.attributes['http.response.status_code'] === 400))
})

test('an aborted token request is outcome aborted, not a failure', async () => {
  const telemetry = newTelemetry('https://id.example.com/t3')
  const closed = new TimeoutError('deadline', 30_000)
  await assert.rejects(telemetry.acquisition({ scope: 'a', trigger: 'refresh' }, () => Promise.reject(closed)))
  const { AbortError } = await import('../../src/errors/token-client-error.js')
  await assert.rejects(telemetry.acquisition({ scope: 'a', trigger: 'cold' }, () => Promise.reject(new AbortError('gone'))))
  const requests = (await harness.collect()).get('oauth2.client.token.requests')
  assert.equal(pointWith(requests, { 'oauth2.outcome': 'failure', 'error.type': 'TIMEOUT', 'oauth2.token.trigger': 'refresh' })?.value, 1)
  assert.equal(pointWith(requests, { 'oauth2.outcome': 'aborted', 'error.type': 'ABORTED' })?.value, 1)
})

test('cache lookups: counted by result on an asynchronous counter, the clients of one endpoint added up', async () => {
  const first = newTelemetry('https://id.example.com/t4')
  const second = newTelemetry('https://id.example.com/t4')
  assert.equal(first.observed, true)
  for (let i = 0; i < 5; i++) first.cacheLookup('hit', 'orders:read')
  second.cacheLookup('hit', 'orders:write')
  first.cacheLookup('stale', 'orders:read')
  first.cacheLookup('miss', 'orders:read')
  first.cacheLookup('shared-hit', 'orders:read')
  first.cacheLookup('shared-miss', 'orders:read')
  const lookups = (await harness.collect()).get('oauth2.client.cache.lookups')
  assert.equal(lookups?.descriptor.unit, '{lookup}')
  const byResult = Object.fromEntries(points(lookups).map((p) => [p.attributes['oauth2.cache.result'], p.value]))
  assert.deepEqual(byResult, { hit: 6, stale: 1, miss: 1, 'shared-hit': 1, 'shared-miss': 1 })
  assert.deepEqual(pointWith(lookups, { 'oauth2.cache.result': 'hit' })?.attributes, { ...base, 'oauth2.cache.result': 'hit' })
  // Cumulative: collected again, the same totals plus what came since.
  first.cacheLookup('hit', 'orders:read')
  assert.equal(pointWith((await harness.collect()).get('oauth2.client.cache.lookups'), { 'oauth2.cache.result': 'hit' })?.value, 7)
})

test('refresh failures and shared-cache problems: counted with their codes, no scope or message in the attributes', async () => {
  const telemetry = newTelemetry('https://id.example.com/t5')
  telemetry.refreshFailed(new TimeoutError('attempt', 10_000), 'orders:read')
  telemetry.sharedCacheError(new SharedCacheError('SHARED_CACHE_TIMEOUT', 'redis: get took longer than 250 ms', { operation: 'get' }))
  telemetry.sharedCacheError(new SharedCacheError('SHARED_CACHE_ENTRY_REJECTED', 'rejected', { operation: 'get', reason: 'tampered' }))
  const found = await harness.collect()
  const refresh = found.get('oauth2.client.refresh.failures')
  assert.equal(refresh?.descriptor.unit, '{failure}')
  assert.deepEqual(pointWith(refresh, { ...server })?.attributes, { ...base, 'error.type': 'TIMEOUT' })
  const shared = found.get('oauth2.client.shared_cache.errors')
  assert.equal(shared?.descriptor.unit, '{error}')
  assert.deepEqual(points(shared).map((p) => [p.attributes, p.value]), [
    [{ 'error.type': 'SHARED_CACHE_TIMEOUT', 'oauth2.shared_cache.operation': 'get' }, 1],
    [{ 'error.type': 'SHARED_CACHE_ENTRY_REJECTED', 'oauth2.shared_cache.operation': 'get', 'oauth2.shared_cache.reason': 'tampered' }, 1],
  ])
})

test('a server\'s odd OAuth error text is _OTHER in the attributes', async () => {
  const telemetry = newTelemetry('https://odd.example.com/t6')
  await assert.rejects(telemetry.acquisition({ scope: 'a', trigger: 'cold' }, () => Promise.reject(new OAuthError({ error: 'bad thing <with spaces>', status: 400 }))))
  const point = pointWith((await harness.collect()).get('oauth2.client.token.requests'), { 'server.address': 'odd.example.com' })
  assert.equal(point?.attributes['oauth2.error'], '_OTHER')
})

test('a client with issuer: server.address from the issuer, auth_method absent until discovery, then the endpoint found', async () => {
  const telemetry = new ClientTelemetry({ clientId: 'svc', issuer: 'https://issuer.example.com:8443/tenant' })
  await telemetry.acquisition({ scope: 'a', trigger: 'cold' }, async () => {
    telemetry.discovery({ durationMs: 3, tokenEndpoint: 'https://tokens.example.com/oauth/token', authMethod: 'private_key_jwt' })
  })
  telemetry.cacheLookup('hit', 'a')
  const found = await harness.collect()
  assert.ok(pointWith(found.get('oauth2.client.token.requests'), { 'server.address': 'issuer.example.com', 'server.port': 8443 }))
  assert.deepEqual(pointWith(found.get('oauth2.client.cache.lookups'), { 'server.address': 'tokens.example.com' })?.attributes, {
    'oauth2.auth_method': 'private_key_jwt',
    'server.address': 'tokens.example.com',
    'server.port': 443,
    'oauth2.cache.result': 'hit',
  })
})

test('an SDK registered after the client started counts from its next token request; one removed, no longer', async () => {
  await harness.shutdown()
  const telemetry = newTelemetry('https://id.example.com/late')
  assert.equal(telemetry.observed, false, 'no SDK: nothing to count on a hit')
  harness = registerMetrics()
  assert.equal(telemetry.observed, false, 'not re-checked on the cache-hit path')
  await telemetry.acquisition({ scope: 'a', trigger: 'cold' }, async () => 'token')
  assert.equal(telemetry.observed, true)
  telemetry.cacheLookup('hit', 'a')
  const found = await harness.collect()
  assert.equal(pointWith(found.get('oauth2.client.token.requests'), { 'server.address': 'id.example.com' })?.value, 1)
  assert.equal(pointWith(found.get('oauth2.client.cache.lookups'), { 'oauth2.cache.result': 'hit' })?.value, 1)
  metrics.disable()
  await telemetry.acquisition({ scope: 'a', trigger: 'cold' }, async () => 'token')
  assert.equal(telemetry.observed, false)
  assert.equal(metrics.setGlobalMeterProvider(harness.provider), true)
})
