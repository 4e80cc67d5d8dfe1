import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OAuthError, TransportError, UnexpectedStatusError } from '../../src/errors/token-client-error.js'
import { attemptTimeout, retryAfterOf } from '../../src/retry/retry-policy.js'

test('attempt timeout table: its own, or what is left of the deadline, or none once it has passed', () => {
  const policy = { attemptTimeoutMs: 10_000, deadlineMs: 30_000 }
  const rows: Array<[number, ReturnType<typeof attemptTimeout>]> = [
    [30_000, { timeoutMs: 10_000, limit: 'attempt', limitMs: 10_000 }],
    [10_000, { timeoutMs: 10_000, limit: 'attempt', limitMs: 10_000 }],
    [9_999.2, { timeoutMs: 10_000, limit: 'deadline', limitMs: 30_000 }],
    [4_200.5, { timeoutMs: 4_201, limit: 'deadline', limitMs: 30_000 }],
    [0.3, { timeoutMs: 1, limit: 'deadline', limitMs: 30_000 }],
    [0, undefined],
    [-5, undefined],
  ]
  for (const [remainingMs, expected] of rows) assert.deepEqual(attemptTimeout(policy, remainingMs), expected, String(remainingMs))
})

test('a deadline shorter than the attempt timeout limits every attempt', () => {
  assert.deepEqual(attemptTimeout({ attemptTimeoutMs: 10_000, deadlineMs: 100 }, 100), { timeoutMs: 100, limit: 'deadline', limitMs: 100 })
})

test('Retry-After of a failure table: the server answers that may carry one', () => {
  const rows: Array<[string, unknown, number | undefined]> = [
    ['503 page with Retry-After', new UnexpectedStatusError({ status: 503, retryAfterMs: 2_000 }), 2_000],
    ['503 page without', new UnexpectedStatusError({ status: 503 }), undefined],
    ['429 OAuth error with Retry-After', new OAuthError({ status: 429, error: 'slow_down', retryAfterMs: 0 }), 0],
    ['network failure', new TransportError('ECONNRESET', new Error('x')), undefined],
    ['foreign error', Object.assign(new Error('x'), { retryAfterMs: 5 }), undefined],
  ]
  for (const [name, error, expected] of rows) assert.equal(retryAfterOf(error), expected, name)
})
