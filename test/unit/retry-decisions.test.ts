import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  AbortError,
  ClientClosedError,
  InvalidResponseError,
  OAuthError,
  TimeoutError,
  TransportError,
  UnexpectedStatusError,
} from '../../src/errors/token-client-error.js'
import { parseRetryAfter } from '../../src/retry/retry-after.js'
import { isTransient, retryAfterDecision } from '../../src/retry/retry-policy.js'

test('retry classification table', () => {
  const rows: Array<[string, unknown, boolean]> = [
    ['connection failure', new TransportError('ECONNREFUSED', new Error('x')), true],
    ['attempt timeout', new TimeoutError('attempt', 10), true],
    ['deadline', new TimeoutError('deadline', 10), false],
    ...[408, 429, 500, 502, 503, 504].map((status): [string, unknown, boolean] => [`status ${status}`, new UnexpectedStatusError({ status }), true]),
    ...[400, 401, 403, 404, 501, 505, 302].map((status): [string, unknown, boolean] => [`status ${status}`, new UnexpectedStatusError({ status }), false]),
    ['503 with an OAuth body', new OAuthError({ status: 503, error: 'temporarily_unavailable' }), true],
    ...['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'invalid_target'].map(
      (code): [string, unknown, boolean] => [code, new OAuthError({ status: code === 'invalid_client' ? 401 : 400, error: code }), false],
    ),
    ['200 carrying an error', new OAuthError({ status: 200, error: 'invalid_scope' }), false],
    ['invalid response', new InvalidResponseError({ status: 200, reason: 'x' }), false],
    ['abort', new AbortError(undefined), false],
    ['closed', new ClientClosedError(), false],
    ['foreign error', new Error('x'), false],
  ]
  for (const [name, error, expected] of rows) assert.equal(isTransient(error), expected, name)
})

test('Retry-After parsing table', () => {
  const now = Date.parse('2026-11-25T12:00:00Z')
  const rows: Array<[string | string[] | undefined, number | undefined]> = [
    [undefined, undefined],
    ['0', 0],
    ['2', 2000],
    [' 120 ', 120_000],
    [['3', '9'], 3000],
    ['Wed, 25 Nov 2026 12:00:05 GMT', 5000],
    ['Wednesday, 25-Nov-26 12:00:30 GMT', 30_000],
    ['Wed, 25 Nov 2026 11:00:00 GMT', 0],
    ['-1', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['', undefined],
  ]
  for (const [value, expected] of rows) assert.equal(parseRetryAfter(value, now), expected, JSON.stringify(value))
})

test('Retry-After is honoured within the cap and the remaining deadline, else the call gives up', () => {
  assert.deepEqual(retryAfterDecision(undefined, 30_000, 1_000), { retry: true, waitMs: 0 })
  assert.deepEqual(retryAfterDecision(2_000, 30_000, 10_000), { retry: true, waitMs: 2_000 })
  assert.deepEqual(retryAfterDecision(0, 30_000, 10_000), { retry: true, waitMs: 0 })
  assert.deepEqual(retryAfterDecision(31_000, 30_000, 100_000), { retry: false })
  assert.deepEqual(retryAfterDecision(10_000, 30_000, 10_000), { retry: false })
})
