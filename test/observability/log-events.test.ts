// logTokenEvents: one line per token request, retry, refresh failure, shared-cache problem and
// discovery, into a pino-style logger (fields first) or console and winston (message first); no secret.
import assert from 'node:assert/strict'
import { Console } from 'node:console'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { OAuthError, TransportError, UnexpectedStatusError } from '../../src/errors/token-client-error.js'
import { SharedCacheError } from '../../src/shared-cache/shared-cache-error.js'
import { ClientTelemetry } from '../../src/observability/client-telemetry.js'
import { logTokenEvents, type TokenEventLogger } from '../../src/observability/log-events.js'
import { tokenChannel } from '../../src/observability/channels.js'

const SECRET = 'fake-secret-7be1c0'

type Line = { level: string; args: unknown[] }

/** A logger that records its calls; `shape` decides which methods it has besides the levels. */
function recordingLogger(shape: 'pino' | 'winston' | 'plain'): TokenEventLogger & { lines: Line[] } {
  const lines: Line[] = []
  const level = (name: string) => (...args: unknown[]) => void lines.push({ level: name, args })
  return {
    lines,
    info: level('info'),
    warn: level('warn'),
    error: level('error'),
    debug: level('debug'),
    ...(shape !== 'plain' && { child: () => undefined }),
    ...(shape === 'winston' && { log: () => undefined }),
  }
}

/** A telemetry whose description and errors carry a secret where a careless log line would show it. */
function leakyTelemetry(): ClientTelemetry {
  return new ClientTelemetry({
    clientId: 'orders-service',
    tokenEndpoint: `https://svc:${SECRET}@id.example.com/connect/token?client_secret=${SECRET}`,
    authMethod: 'client_secret_basic',
    clientSecret: SECRET,
    privateKey: SECRET,
  } as never)
}

/** An error whose cause and extra properties hold the secret, as an undici error with request options might. */
function leakyError<E extends Error>(error: E): E {
  return Object.assign(error, { request: { headers: { authorization: `Basic ${SECRET}` } }, body: `client_secret=${SECRET}` })
}

/** One of each event, through the telemetry. */
async function everyEvent(telemetry: ClientTelemetry): Promise<void> {
  await telemetry.acquisition({ scope: 'orders:read', trigger: 'cold' }, async (recorder) => {
    recorder.attempt({ attempt: 1, durationMs: 12, error: leakyError(new UnexpectedStatusError({ status: 503 })), reason: 'retry', retryDelayMs: 250 })
    recorder.attempt({ attempt: 2, durationMs: 3, error: new OAuthError({ error: 'use_dpop_nonce', status: 400 }), reason: 'dpop-nonce' })
    recorder.attempt({ attempt: 2, durationMs: 4, status: 200 })
    return { accessToken: SECRET }
  })
  const refused = leakyError(new OAuthError({ error: 'invalid_client', status: 401 }))
  await telemetry.acquisition({ scope: '', trigger: 'force' }, () => Promise.reject(refused)).catch(() => {})
  telemetry.refreshFailed(leakyError(new TransportError('connection refused', new Error(SECRET))), 'orders:read')
  telemetry.sharedCacheError(new SharedCacheError('SHARED_CACHE_TIMEOUT', 'redis (node-redis): get took longer than 250 ms', { operation: 'get', cause: new Error(SECRET) }))
  telemetry.sharedCacheError(new SharedCacheError('SHARED_CACHE_SKIPPED', 'redis (node-redis) failed repeatedly: skipped for a while', { operation: 'get' }))
  telemetry.sharedCacheRecovered()
  const telemetryWithIssuer = new ClientTelemetry({ clientId: 'svc', issuer: 'https://id.example.com' })
  telemetryWithIssuer.discovery({ durationMs: 20, tokenEndpoint: 'https://id.example.com/token', authMethod: 'client_secret_post' })
}

test('a pino-style logger (child(), no log()): (fields, message), one line per event, the levels as documented', async () => {
  const logger = recordingLogger('pino')
  const stop = logTokenEvents(logger)
  try {
    await everyEvent(leakyTelemetry())
  } finally {
    stop()
  }
  const summary = logger.lines.map(({ level, args }) => [level, (args[0] as { event: string }).event, typeof args[1]])
  assert.deepEqual(summary, [
    ['warn', 'oauth2.token.retry', 'string'],
    ['debug', 'oauth2.token.dpop_nonce', 'string'],
    ['info', 'oauth2.token.request', 'string'],
    ['error', 'oauth2.token.request', 'string'],
    ['warn', 'oauth2.refresh.failed', 'string'],
    ['warn', 'oauth2.shared_cache', 'string'],
    ['warn', 'oauth2.shared_cache', 'string'],
    ['info', 'oauth2.shared_cache', 'string'],
    ['info', 'oauth2.discovery', 'string'],
  ])
  const [fields, message] = logger.lines[2]?.args as [Record<string, unknown>, string]
  assert.deepEqual({ ...fields, durationMs: 0 }, {
    event: 'oauth2.token.request',
    clientId: 'orders-service',
    tokenEndpoint: 'https://id.example.com/connect/token',
    authMethod: 'client_secret_basic',
    scope: 'orders:read',
    trigger: 'cold',
    outcome: 'success',
    attempts: 3,
    durationMs: 0,
  })
  assert.match(message, /^token request for scope "orders:read" succeeded \(cold, 3 attempts, \d+ ms\)$/)
  const [failed, failedMessage] = logger.lines[3]?.args as [Record<string, unknown>, string]
  assert.equal(failed['errorCode'], 'OAUTH_ERROR')
  assert.equal(failed['oauthError'], 'invalid_client')
  assert.match(failedMessage, /^token request for the default scope failed \(force, 0 attempts, \d+ ms\): token endpoint answered 401 invalid_client$/)
  const [retry, retryMessage] = logger.lines[0]?.args as [Record<string, unknown>, string]
  assert.equal(retry['retryDelayMs'], 250)
  assert.equal(retry['status'], 503)
  assert.match(retryMessage, /^token request attempt 1 for scope "orders:read" failed, retried after 250 ms: /)
  assert.ok(!JSON.stringify(logger.lines).includes(SECRET), JSON.stringify(logger.lines))
})

test('console (no child()): (message, fields); a real Console writes no secret', async () => {
  let written = ''
  const stream = new Writable({
    write(chunk, _encoding, done) {
      written += String(chunk)
      done()
    },
  })
  const consoleLogger = new Console({ stdout: stream, stderr: stream })
  const stop = logTokenEvents(consoleLogger)
  try {
    await everyEvent(leakyTelemetry())
  } finally {
    stop()
  }
  const lines = written.trim().split('\n').filter((line) => /^\S/.test(line))
  assert.ok(lines.some((line) => line.startsWith('token request for scope "orders:read" succeeded (cold, 3 attempts,')), written)
  assert.ok(lines.some((line) => line.startsWith('background refresh of the token for scope "orders:read" failed')), written)
  assert.ok(written.includes("event: 'oauth2.shared_cache'"), written)
  assert.ok(!written.includes(SECRET), written)
})

test('a winston-style logger (child() and log()) is message-first; argumentOrder overrides; successLevel debug', async () => {
  const winston = recordingLogger('winston')
  const forced = recordingLogger('plain')
  const stops = [logTokenEvents(winston, { successLevel: 'debug' }), logTokenEvents(forced, { argumentOrder: 'object-first' })]
  try {
    await new ClientTelemetry({ clientId: 'svc', tokenEndpoint: 'https://id.example.com/t' }).acquisition({ scope: 'a', trigger: 'cold' }, async () => 'token')
  } finally {
    for (const stop of stops) stop()
  }
  assert.equal(winston.lines.length, 1)
  assert.equal(winston.lines[0]?.level, 'debug')
  assert.equal(typeof winston.lines[0]?.args[0], 'string')
  assert.equal((winston.lines[0]?.args[1] as { event: string }).event, 'oauth2.token.request')
  assert.equal(typeof forced.lines[0]?.args[1], 'string')
})

test('the function returned unsubscribes (twice is harmless); a logger that throws changes nothing but a warning', async () => {
  const before = tokenChannel.hasSubscribers
  const stop = logTokenEvents({
    info() {
      throw new Error('logger broke')
    },
    warn() {},
    error() {},
  })
  assert.equal(tokenChannel.hasSubscribers, true)
  const warnings: Error[] = []
  const onWarning = (warning: Error) => warnings.push(warning)
  process.on('warning', onWarning)
  try {
    const value = await new ClientTelemetry({ clientId: 'svc', tokenEndpoint: 'https://id.example.com/t' }).acquisition({ scope: 'a', trigger: 'cold' }, async () => 'token')
    assert.equal(value, 'token')
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off('warning', onWarning)
    stop()
    stop()
  }
  assert.equal(tokenChannel.hasSubscribers, before)
  assert.equal((warnings[0] as Error & { code?: string }).code, 'OAUTH2CC_HOOK_FAILED')
})
