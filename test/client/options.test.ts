import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TokenClient, type TokenClientOptions } from '../../src/index.js'
import { startFixture } from '../helpers/fixtures.js'
import { recordWarnings } from '../helpers/process-warnings.js'

const valid: TokenClientOptions = { tokenUrl: 'https://id.example.com/token', clientId: 'svc', clientSecret: 'hunter2-secret' }

test('bad options are a TypeError at construction naming the option, never echoing the secret', async () => {
  const rows: Array<[Partial<Record<keyof TokenClientOptions, unknown>>, RegExp]> = [
    [{ tokenUrl: undefined }, /^tokenUrl must be a string or URL/],
    [{ tokenUrl: 'not a url' }, /^tokenUrl must be an absolute URL/],
    [{ tokenUrl: 'ftp://id.example.com/token' }, /^tokenUrl must use https/],
    [{ tokenUrl: 'https://user:pw@id.example.com/token' }, /^tokenUrl must not carry credentials/],
    [{ tokenUrl: 'https://id.example.com/token#x' }, /^tokenUrl must not have a fragment/],
    [{ clientId: '' }, /^clientId must be a non-empty string/],
    [{ clientSecret: 42 }, /^clientSecret must be a non-empty string/],
    [{ authMethod: 'mtls' }, /^authMethod must be one of 'client_secret_basic', 'client_secret_post', 'private_key_jwt', 'client_secret_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'/],
    [{ basicEncoding: 'base64' }, /^basicEncoding must be one of 'form', 'raw'/],
    [{ basicEncoding: 'raw', clientId: 'a:b' }, /^clientId cannot contain ':'/],
    [{ scope: 'bad"scope' }, /^scope has a scope token/],
    [{ resource: 'relative' }, /^resource must be an absolute URI/],
    [{ params: { grant_type: 'password' } }, /^params.grant_type is set by the client/],
    [{ allowInsecureHttp: 'yes' }, /^allowInsecureHttp must be a boolean/],
    [{ maxResponseBytes: 0 }, /^maxResponseBytes must be a finite number of at least 1/],
    [{ cache: { maxEntries: Infinity } }, /^cache.maxEntries must be a whole number of at least 1/],
    [{ cache: { maxEntries: 1.5 } }, /^cache.maxEntries must be a whole number/],
    [{ cache: { refreshRatio: 2 } }, /^cache.refreshRatio must be a number from 0 to 1/],
    [{ retry: { retries: -1 } }, /^retry.retries must be a whole number of at least 0/],
    [{ retry: { minDelayMs: 10, maxDelayMs: 5 } }, /^retry.minDelayMs must not be larger than retry.maxDelayMs/],
    [{ userAgent: 'bad\r\nx-injected: 1' }, /^userAgent must be a valid HTTP header value/],
    [{ retry: { deadlineMs: 0 } }, /^retry.deadlineMs must be a number of milliseconds from 1 to 2147483647/],
    [{ retry: { onRetry: 'log' } }, /^retry.onRetry must be a function/],
    [{ dispatcher: {} }, /^dispatcher must be an undici Dispatcher/],
    [{ clock: { now: 5 } }, /^clock must have a now\(\) method/],
  ]
  for (const [patch, message] of rows) {
    assert.throws(
      () => new TokenClient({ ...valid, ...patch } as TokenClientOptions),
      (error: unknown) => {
        assert.ok(error instanceof TypeError, String(message))
        assert.equal((error as { code?: string }).code, 'ERR_INVALID_ARG_VALUE')
        assert.match(error.message, message)
        assert.ok(!error.message.includes('hunter2'))
        return true
      },
    )
  }
  assert.throws(() => new TokenClient(undefined as unknown as TokenClientOptions), /options must be an object/)
})

test('a malformed scope at getToken() rejects with a TypeError', async () => {
  const client = new TokenClient(valid)
  await assert.rejects(client.getToken('a\\b'), TypeError)
  await assert.rejects(client.getToken('a', { params: { client_secret: 'x' } }), TypeError)
  await client.close()
})

/** The longest delay Node's timers honour; a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1

test('durations that arm a timer are refused above 2^31-1 ms, which Node would fire after 1 ms', () => {
  const timerOptions = ['attemptTimeoutMs', 'deadlineMs', 'minDelayMs', 'maxDelayMs'] as const
  for (const name of timerOptions) {
    for (const ms of [MAX_TIMER_MS + 1, 2 ** 40, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE]) {
      const retry = name === 'minDelayMs' ? { minDelayMs: ms, maxDelayMs: ms } : { [name]: ms }
      assert.throws(
        () => new TokenClient({ ...valid, retry }),
        (error: unknown) => {
          assert.ok(error instanceof TypeError, `retry.${name}: ${ms}`)
          assert.equal((error as { code?: string }).code, 'ERR_INVALID_ARG_VALUE')
          assert.equal(error.message, `retry.${name} must be a number of milliseconds from ${name.endsWith('DelayMs') ? 0 : 1} to 2147483647 (2^31-1)`)
          return true
        },
      )
    }
  }
  // The longest timer itself is fine, and so is any maxRetryAfterMs: no wait runs past the deadline.
  new TokenClient({ ...valid, retry: { attemptTimeoutMs: MAX_TIMER_MS, deadlineMs: MAX_TIMER_MS, minDelayMs: MAX_TIMER_MS, maxDelayMs: MAX_TIMER_MS } })
  new TokenClient({ ...valid, retry: { maxRetryAfterMs: Number.MAX_SAFE_INTEGER } })
})

test('the longest accepted timers are honoured: a slow answer after a retry still arrives, with no overflow warning', { timeout: 10_000 }, async () => {
  const f = await startFixture({ throttle: false })
  const warnings = recordWarnings()
  try {
    const client = f.makeClient({
      retry: { attemptTimeoutMs: MAX_TIMER_MS, deadlineMs: MAX_TIMER_MS, minDelayMs: 1, maxDelayMs: MAX_TIMER_MS, maxRetryAfterMs: 2 ** 40 },
    })
    // A 503 starts the deadline's timer and a backoff; then an attempt that waits 30 ms for its answer.
    f.server.faults.add({ type: 'status', status: 503 })
    f.server.faults.add({ type: 'delay', ms: 30 })
    const token = await client.getToken('api:read')
    assert.equal(token.scope, 'api:read')
    assert.equal(f.requests(), 2)
  } finally {
    await f.close()
  }
  assert.deepEqual((await warnings.stop()).map((warning) => warning.name), [])
})
