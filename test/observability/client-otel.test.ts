// A real TokenClient against the reference server, observed by the real OpenTelemetry SDKs (metrics,
// tracing) and undici's HTTP instrumentation: every metric and the span of each kind of request.
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { after, before, test } from 'node:test'
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { sharedTokenCache, TokenClient, type AccessToken, type TokenClientOptions } from '../../src/index.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { memoryStore } from '../helpers/memory-store.js'
import { LEAK_PROBE_SECRET } from '../helpers/secrets.js'
import { TestClock } from '../helpers/test-clock.js'
import { waitFor } from '../helpers/wait-for.js'
import { pointWith, points, registerMetrics, registerTracing, type Histogram, type MetricsHarness, type ReadableSpan, type TracingHarness } from './otel-harness.js'

let metricsHarness: MetricsHarness
let tracing: TracingHarness
let undici: UndiciInstrumentation
before(() => {
  metricsHarness = registerMetrics()
  tracing = registerTracing()
  undici = new UndiciInstrumentation()
  undici.enable()
})
after(async () => {
  undici.disable()
  await Promise.all([metricsHarness.shutdown(), tracing.shutdown()])
})

const SECRET = LEAK_PROBE_SECRET
const SCOPES = ['api:read', 'api:write']
/** Every token any test got: none may show in a metric, a span or an event. */
const tokens: string[] = []
const servers: ReferenceServer[] = []
const clients: TokenClient[] = []
after(async () => {
  await Promise.all(clients.map((client) => client.close()))
  await Promise.all(servers.map((server) => server.close()))
})

/** A reference server of its own for each test, so that its metric series (server.port) are its own. */
async function setUp(serverOptions: Partial<Parameters<typeof startReferenceServer>[0]> = {}, clientOptions: Partial<TokenClientOptions> = {}) {
  const server = await startReferenceServer({ clients: [{ clientId: 'svc', clientSecret: SECRET, scopes: SCOPES }], throttle: false, ...serverOptions })
  servers.push(server)
  const client = new TokenClient({ tokenUrl: server.tokenUrl, clientId: 'svc', clientSecret: SECRET, retry: { minDelayMs: 1, maxDelayMs: 5 }, ...clientOptions })
  clients.push(client)
  const base = { 'oauth2.auth_method': 'client_secret_basic', 'server.address': '127.0.0.1', 'server.port': Number(new URL(server.tokenUrl).port) }
  const got = async (scope?: string, options?: Parameters<TokenClient['getToken']>[1]): Promise<AccessToken> => {
    const token = await client.getToken(scope, options)
    tokens.push(token.accessToken)
    return token
  }
  return { server, client, base, got }
}

const ourSpans = (): ReadableSpan[] => tracing.spans().filter((span) => span.name === 'oauth2 token')
const spanOf = (port: number): ReadableSpan[] => ourSpans().filter((span) => span.attributes['server.port'] === port)

test('a miss, then hits: one token request (trigger cold, success), lookups counted by result; one INTERNAL span, the parent of undici\'s POST', async () => {
  const { client, base, got } = await setUp()
  const caller = trace.getTracer('test').startSpan('GET /orders')
  await context.with(trace.setSpan(context.active(), caller), () => got('api:read'))
  caller.end()
  await got('api:read')
  await got('api:read')

  const found = await metricsHarness.collect()
  const requests = pointWith(found.get('oauth2.client.token.requests'), base)
  assert.deepEqual(requests?.attributes, { ...base, 'oauth2.token.trigger': 'cold', 'oauth2.outcome': 'success' })
  assert.equal(requests?.value, 1)
  assert.equal(found.get('oauth2.client.token.requests')?.descriptor.unit, '{request}')
  const duration = pointWith<Histogram>(found.get('oauth2.client.token.request.duration'), base)
  assert.equal(duration?.value.count, 1)
  assert.equal(found.get('oauth2.client.token.request.duration')?.descriptor.unit, 's')
  const attempt = pointWith<Histogram>(found.get('oauth2.client.token.attempt.duration'), base)
  assert.deepEqual(attempt?.attributes, { ...base, 'oauth2.outcome': 'success', 'http.response.status_code': 200 })
  assert.equal(attempt?.value.count, 1)
  assert.ok((attempt?.value.sum ?? 99) < 5, 'seconds')
  const lookups = found.get('oauth2.client.cache.lookups')
  assert.equal(lookups?.descriptor.unit, '{lookup}')
  assert.equal(pointWith(lookups, { ...base, 'oauth2.cache.result': 'miss' })?.value, 1)
  assert.equal(pointWith(lookups, { ...base, 'oauth2.cache.result': 'hit' })?.value, 2)

  const [span, ...more] = spanOf(base['server.port'])
  assert.ok(span)
  assert.equal(more.length, 0, 'one span per token request, none for hits')
  assert.equal(span.kind, SpanKind.INTERNAL)
  assert.equal(span.parentSpanContext?.spanId, caller.spanContext().spanId, 'the caller\'s span is the parent')
  assert.deepEqual(span.attributes, {
    ...base,
    'oauth2.client_id': 'svc',
    'oauth2.scope': 'api:read',
    'oauth2.token.trigger': 'cold',
    'oauth2.attempts': 1,
    'oauth2.outcome': 'success',
  })
  assert.equal(span.status.code, SpanStatusCode.UNSET)
  assert.deepEqual(span.events.map((event) => event.name), ['oauth2.token.attempt'])
  const http = tracing.spans().filter((other) => other.kind === SpanKind.CLIENT && other.parentSpanContext?.spanId === span.spanContext().spanId)
  assert.equal(http.length, 1, "undici's HTTP span is a child of ours")
  assert.equal(http[0]?.spanContext().traceId, caller.spanContext().traceId)
  assert.equal(client.status().counts.cacheHits, 2)
})

test('a 503 then a token: one request with two attempts, one retry counted with its status; span events say retry and the delay', async () => {
  const { server, base, got } = await setUp()
  server.faults.add({ type: 'status', status: 503 }, { times: 1 })
  await got('api:write')
  const found = await metricsHarness.collect()
  assert.equal(pointWith(found.get('oauth2.client.token.requests'), { ...base, 'oauth2.outcome': 'success' })?.value, 1)
  const retries = points(found.get('oauth2.client.token.retries')).filter((point) => point.attributes['server.port'] === base['server.port'])
  assert.deepEqual(
    retries.map((point) => [point.attributes, point.value]),
    [[{ ...base, 'oauth2.outcome': 'failure', 'http.response.status_code': 503, 'error.type': 'OAUTH_ERROR', 'oauth2.error': 'temporarily_unavailable' }, 1]],
  )
  assert.equal(found.get('oauth2.client.token.retries')?.descriptor.unit, '{retry}')
  const failedAttempt = pointWith<Histogram>(found.get('oauth2.client.token.attempt.duration'), { ...base, 'http.response.status_code': 503 })
  assert.equal(failedAttempt?.value.count, 1)

  const [span] = spanOf(base['server.port'])
  assert.equal(span?.attributes['oauth2.attempts'], 2)
  const events = span?.events.map((event) => event.attributes ?? {}) ?? []
  assert.equal(events.length, 2)
  assert.equal(events[0]?.['oauth2.retry.reason'], 'retry')
  assert.equal(events[0]?.['http.response.status_code'], 503)
  assert.equal(events[0]?.['error.type'], 'OAUTH_ERROR')
  assert.equal(typeof events[0]?.['oauth2.retry.delay'], 'number')
  assert.ok((events[0]?.['oauth2.retry.delay'] as number) < 5, 'the delay in seconds')
  assert.equal(events[1]?.['oauth2.retry.reason'], undefined)
  assert.equal(events[1]?.['oauth2.outcome'], 'success')
})

test('a refused client: outcome failure with error.type and oauth2.error; the span ERROR with the error\'s message', async () => {
  const { server } = await setUp()
  const wrong = new TokenClient({ tokenUrl: server.tokenUrl, clientId: 'svc', clientSecret: `${SECRET}-wrong`, retry: false })
  clients.push(wrong)
  const port = Number(new URL(server.tokenUrl).port)
  const error = await wrong.getToken('api:read').then(
    () => assert.fail('a token for a wrong secret'),
    (caught: unknown) => caught as Error,
  )
  const found = await metricsHarness.collect()
  const failed = pointWith(found.get('oauth2.client.token.requests'), { 'server.port': port, 'oauth2.outcome': 'failure' })
  assert.equal(failed?.attributes['error.type'], 'OAUTH_ERROR')
  assert.equal(failed?.attributes['oauth2.error'], 'invalid_client')
  assert.equal(failed?.value, 1)
  const [span] = spanOf(port)
  assert.equal(span?.status.code, SpanStatusCode.ERROR)
  assert.equal(span?.status.message, error.message)
  assert.equal(span?.attributes['error.type'], 'OAUTH_ERROR')
  assert.equal(wrong.status().counts.tokenRequestFailures, 1)
})

test('a background refresh: a stale lookup, a request with trigger refresh on a trace of its own; a failed one is counted as a refresh failure', async () => {
  const clock = new TestClock()
  const { server, client, base, got } = await setUp({}, { clock, cache: { refreshJitter: 0 }, retry: false })
  await got('api:read')
  clock.advance(2_833_000) // past the refresh point (0.8 of 3540 s)
  const caller = trace.getTracer('test').startSpan('GET /orders')
  await context.with(trace.setSpan(context.active(), caller), () => got('api:read'))
  caller.end()
  await waitFor(() => client.status().tokens[0]?.state === 'fresh')
  await got('api:read')

  clock.advance(2_833_000)
  server.faults.add({ type: 'status', status: 503 }, { times: 1 })
  await got('api:read')
  await waitFor(() => client.status().tokens[0]?.state === 'failing')

  const found = await metricsHarness.collect()
  const lookups = found.get('oauth2.client.cache.lookups')
  assert.equal(pointWith(lookups, { ...base, 'oauth2.cache.result': 'stale' })?.value, 2)
  assert.equal(pointWith(found.get('oauth2.client.token.requests'), { ...base, 'oauth2.token.trigger': 'refresh', 'oauth2.outcome': 'success' })?.value, 1)
  assert.equal(pointWith(found.get('oauth2.client.token.requests'), { ...base, 'oauth2.token.trigger': 'refresh', 'oauth2.outcome': 'failure' })?.value, 1)
  const failures = found.get('oauth2.client.refresh.failures')
  assert.equal(failures?.descriptor.unit, '{failure}')
  assert.deepEqual(pointWith(failures, base)?.attributes, { ...base, 'error.type': 'OAUTH_ERROR', 'oauth2.error': 'temporarily_unavailable' })
  assert.equal(pointWith(failures, base)?.value, 1)

  const refresh = spanOf(base['server.port']).find((span) => span.attributes['oauth2.token.trigger'] === 'refresh' && span.attributes['oauth2.outcome'] === 'success')
  assert.ok(refresh)
  assert.equal(refresh.parentSpanContext, undefined, 'a root span')
  assert.notEqual(refresh.spanContext().traceId, caller.spanContext().traceId)
  assert.equal(refresh.links[0]?.context.spanId, caller.spanContext().spanId, 'linked to the call that set it off')
})

test('DPoP: a server that requires a nonce makes one nonce retry, counted and on the span as an attempt event with reason dpop-nonce', async () => {
  const { base, got } = await setUp({ dpop: { nonce: 'required' } }, { dpop: true })
  const token = await got('api:read')
  assert.equal(token.tokenType, 'DPoP')
  const found = await metricsHarness.collect()
  const nonce = found.get('oauth2.client.dpop.nonce_retries')
  assert.equal(nonce?.descriptor.unit, '{retry}')
  assert.deepEqual(pointWith(nonce, base)?.attributes, base)
  assert.equal(pointWith(nonce, base)?.value, 1)
  assert.equal(pointWith(found.get('oauth2.client.token.retries'), base), undefined, 'not a retry of retry.retries')
  const nonceAttempt = pointWith<Histogram>(found.get('oauth2.client.token.attempt.duration'), { ...base, 'oauth2.error': 'use_dpop_nonce' })
  assert.equal(nonceAttempt?.attributes['http.response.status_code'], 400)
  const [span] = spanOf(base['server.port'])
  assert.equal(span?.attributes['oauth2.attempts'], 2)
  assert.deepEqual(
    span?.events.map((event) => [event.attributes?.['oauth2.attempt'], event.attributes?.['oauth2.retry.reason'], event.attributes?.['oauth2.outcome']]),
    [
      [1, 'dpop-nonce', 'failure'],
      [1, undefined, 'success'],
    ],
  )
})

test('a shared cache: shared-miss then shared-hit lookups; a store that throws is counted by operation, each problem a miss', async () => {
  const { server, base, got } = await setUp()
  const store = memoryStore()
  const options = { tokenUrl: server.tokenUrl, clientId: 'svc', clientSecret: SECRET, sharedCache: sharedTokenCache(store) }
  const first = new TokenClient(options)
  const second = new TokenClient(options)
  clients.push(first, second)
  tokens.push((await first.getToken('api:read')).accessToken)
  tokens.push((await second.getToken('api:read')).accessToken)
  const broken = new TokenClient({
    ...options,
    sharedCache: sharedTokenCache(
      memoryStore({
        get: async () => {
          throw new Error(`down (${SECRET})`)
        },
      }),
      { onError: () => {} },
    ),
  })
  clients.push(broken)
  tokens.push((await broken.getToken('api:write')).accessToken)
  await got('api:read')
  const found = await metricsHarness.collect()
  const lookups = found.get('oauth2.client.cache.lookups')
  assert.equal(pointWith(lookups, { ...base, 'oauth2.cache.result': 'shared-miss' })?.value, 2, 'the first client, and the broken one')
  assert.equal(pointWith(lookups, { ...base, 'oauth2.cache.result': 'shared-hit' })?.value, 1)
  const errors = found.get('oauth2.client.shared_cache.errors')
  assert.equal(errors?.descriptor.unit, '{error}')
  const get = pointWith(errors, { 'oauth2.shared_cache.operation': 'get', 'error.type': 'SHARED_CACHE_UNAVAILABLE' })
  assert.ok((get?.value ?? 0) >= 1)
})

test('nothing secret in any metric attribute, span attribute, event, link or status', async () => {
  await metricsHarness.collect()
  const found = await metricsHarness.collect()
  const texts: string[] = []
  for (const metric of found.values()) for (const point of metric.dataPoints) texts.push(JSON.stringify(point.attributes))
  for (const span of tracing.spans()) {
    texts.push(JSON.stringify({ name: span.name, attributes: span.attributes, events: span.events, status: span.status, links: span.links.map((link) => link.attributes) }))
  }
  assert.ok(texts.length > 20)
  assert.ok(tokens.length >= 10)
  const all = texts.join('\n')
  for (const secret of [SECRET, encodeURIComponent(SECRET), Buffer.from(`svc:${encodeURIComponent(SECRET)}`).toString('base64'), ...tokens]) {
    assert.ok(!all.includes(secret), `found ${inspect(secret.slice(0, 12))}...`)
  }
})
