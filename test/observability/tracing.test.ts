// The span of a token request, read back from the real OpenTelemetry tracing SDK, with undici's
// HTTP instrumentation enabled: its HTTP spans are children of ours.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, beforeEach, test } from 'node:test'
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { request } from 'undici'
import { OAuthError, UnexpectedStatusError } from '../../src/errors/token-client-error.js'
import { ClientTelemetry } from '../../src/observability/client-telemetry.js'
import { registerTracing, type TracingHarness } from './otel-harness.js'

let tracing: TracingHarness
let undici: UndiciInstrumentation
let server: Server
let tokenUrl: string
before(async () => {
  tracing = registerTracing()
  undici = new UndiciInstrumentation()
  undici.enable()
  server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.setHeader('content-type', 'application/json')
      res.end('{"access_token":"abc","token_type":"Bearer","expires_in":60}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`
})
after(async () => {
  undici.disable()
  await new Promise((resolve) => server.close(resolve))
  await tracing.shutdown()
})
beforeEach(() => tracing.exporter.reset())

const newTelemetry = () => new ClientTelemetry({ clientId: 'orders-service', tokenEndpoint: tokenUrl, authMethod: 'client_secret_post' })

test('one INTERNAL span per token request, the active span while it runs: undici\'s HTTP span is its child', async () => {
  const telemetry = newTelemetry()
  const value = await telemetry.acquisition({ scope: 'orders:read', trigger: 'cold' }, async (recorder) => {
    const startedAt = performance.now()
    const response = await request(tokenUrl, { method: 'POST', body: 'grant_type=client_credentials' })
    await response.body.text()
    recorder.attempt({ attempt: 1, durationMs: performance.now() - startedAt, status: response.statusCode })
    return 'the token'
  })
  assert.equal(value, 'the token')
  const spans = tracing.spans()
  const ours = spans.find((span) => span.name === 'oauth2 token')
  const http = spans.find((span) => span.name === 'POST')
  assert.ok(ours && http, `spans: ${spans.map((span) => span.name).join(', ')}`)
  assert.equal(ours.kind, SpanKind.INTERNAL)
  assert.equal(http.kind, SpanKind.CLIENT)
  assert.equal(http.parentSpanContext?.spanId, ours.spanContext().spanId)
  assert.equal(http.spanContext().traceId, ours.spanContext().traceId)
  assert.equal(ours.instrumentationScope.name, 'oauth2-client-credentials')
  const port = Number(new URL(tokenUrl).port)
  assert.deepEqual(ours.attributes, {
    'oauth2.auth_method': 'client_secret_post',
    'server.address': '127.0.0.1',
    'server.port': port,
    'oauth2.client_id': 'orders-service',
    'oauth2.token.trigger': 'cold',
    'oauth2.scope': 'orders:read',
    'oauth2.attempts': 1,
    'oauth2.outcome': 'success',
  })
  assert.equal(ours.status.code, SpanStatusCode.UNSET)
  assert.equal(ours.events.length, 1)
  assert.equal(ours.events[0]?.name, 'oauth2.token.attempt')
  assert.equal(ours.events[0]?.attributes?.['oauth2.attempt'], 1)
  assert.equal(ours.events[0]?.attributes?.['http.response.status_code'], 200)
  assert.equal(typeof ours.events[0]?.attributes?.['oauth2.attempt.duration'], 'number')
})

test('a caller\'s span is the parent of a cold request\'s span', async () => {
  const telemetry = newTelemetry()
  const caller = trace.getTracer('test').startSpan('GET /orders')
  await context.with(trace.setSpan(context.active(), caller), () => telemetry.acquisition({ scope: 'a', trigger: 'cold' }, async () => 'token'))
  caller.end()
  const ours = tracing.spans().find((span) => span.name === 'oauth2 token')
  assert.equal(ours?.parentSpanContext?.spanId, caller.spanContext().spanId)
})

test('a background refresh is a trace of its own, linked to the call that set it off', async () => {
  const telemetry = newTelemetry()
  const caller = trace.getTracer('test').startSpan('GET /orders')
  await context.with(trace.setSpan(context.active(), caller), () => telemetry.acquisition({ scope: 'a', trigger: 'refresh' }, async () => 'token'))
  caller.end()
  const ours = tracing.spans().find((span) => span.name === 'oauth2 token')
  assert.equal(ours?.parentSpanContext, undefined)
  assert.notEqual(ours?.spanContext().traceId, caller.spanContext().traceId)
  assert.equal(ours?.links[0]?.context.spanId, caller.spanContext().spanId)
})

test('each attempt an event; a failure sets error.type, oauth2.error and an ERROR status with the error\'s message', async () => {
  const telemetry = newTelemetry()
  const refused = new OAuthError({ error: 'invalid_client', status: 401 })
  await assert.rejects(
    telemetry.acquisition({ scope: '', trigger: 'force' }, async (recorder) => {
      recorder.attempt({ attempt: 1, durationMs: 8, error: new UnexpectedStatusError({ status: 503 }), reason: 'retry', retryDelayMs: 250 })
      recorder.attempt({ attempt: 2, durationMs: 4, error: refused })
      throw refused
    }),
  )
  const ours = tracing.spans().find((span) => span.name === 'oauth2 token')
  assert.ok(ours)
  assert.equal(ours.attributes['oauth2.scope'], undefined, 'no scope given, none shown')
  assert.equal(ours.attributes['oauth2.attempts'], 2)
  assert.equal(ours.attributes['oauth2.outcome'], 'failure')
  assert.equal(ours.attributes['error.type'], 'OAUTH_ERROR')
  assert.equal(ours.attributes['oauth2.error'], 'invalid_client')
  assert.equal(ours.status.code, SpanStatusCode.ERROR)
  assert.equal(ours.status.message, refused.message)
  assert.deepEqual(
    ours.events.map((event) => event.attributes),
    [
      {
        'oauth2.attempt': 1,
        'oauth2.attempt.duration': 0.008,
        'oauth2.outcome': 'failure',
        'http.response.status_code': 503,
        'error.type': 'UNEXPECTED_STATUS',
        'oauth2.retry.reason': 'retry',
        'oauth2.retry.delay': 0.25,
      },
      {
        'oauth2.attempt': 2,
        'oauth2.attempt.duration': 0.004,
        'oauth2.outcome': 'failure',
        'http.response.status_code': 401,
        'error.type': 'OAUTH_ERROR',
        'oauth2.error': 'invalid_client',
      },
    ],
  )
})

test('an aborted request keeps an unset status', async () => {
  const { AbortError } = await import('../../src/errors/token-client-error.js')
  await assert.rejects(newTelemetry().acquisition({ scope: 'a', trigger: 'cold' }, () => Promise.reject(new AbortError('gone'))))
  const ours = tracing.spans().find((span) => span.name === 'oauth2 token')
  assert.equal(ours?.status.code, SpanStatusCode.UNSET)
  assert.equal(ours?.attributes['oauth2.outcome'], 'aborted')
  assert.equal(ours?.attributes['error.type'], 'ABORTED')
})

test('with the tracer provider removed, no span, and the request still runs', async () => {
  trace.disable()
  const telemetry = newTelemetry()
  assert.equal(await telemetry.acquisition({ scope: 'a', trigger: 'cold' }, async () => 'token'), 'token')
  assert.equal(tracing.spans().length, 0)
})
