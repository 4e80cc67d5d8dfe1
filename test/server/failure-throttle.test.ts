// The failure throttle on an injected clock: no sleeps.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FailureThrottle } from '../../src/server/clients/failure-throttle.js'
import { TestClock } from '../helpers/test-clock.js'

test('allows maxFailures failures in the window, then reports the seconds until the oldest leaves it', () => {
  const clock = new TestClock(0)
  const throttle = new FailureThrottle({ maxFailures: 3, windowMs: 10_000 }, clock)
  const steps: [number, 'fail' | 'check' | 'reset', number | undefined][] = [
    [0, 'fail', undefined],
    [1_000, 'fail', undefined],
    [2_000, 'check', undefined],
    [2_000, 'fail', 8],
    [9_999, 'check', 1],
    [10_000, 'check', undefined], // the failure at 0 has left the window
    [10_500, 'fail', 1], // failures at 1000, 2000, 10500: frees at 11000
    [11_000, 'check', undefined],
    [11_000, 'fail', 1],
    [11_000, 'reset', undefined],
  ]
  for (const [at, action, expected] of steps) {
    clock.advance(at - clock.now())
    if (action === 'fail') throttle.recordFailure('svc')
    if (action === 'reset') throttle.reset('svc')
    assert.equal(throttle.retryAfterSeconds('svc'), expected, `${action} at ${at}`)
  }
  assert.equal(throttle.retryAfterSeconds('other'), undefined)
})

test('refuses unbounded or meaningless settings', () => {
  const clock = new TestClock(0)
  const invalid = [
    { maxFailures: 0, windowMs: 1 },
    { maxFailures: 1, windowMs: 0 },
    { maxFailures: 1.5, windowMs: 1 },
    { maxFailures: 1, windowMs: Infinity },
  ]
  for (const options of invalid) {
    assert.throws(() => new FailureThrottle(options, clock), { code: 'ERR_INVALID_ARG_VALUE' })
  }
})

test('forgets stale client ids once many are on record', () => {
  const clock = new TestClock(0)
  const throttle = new FailureThrottle({ maxFailures: 1, windowMs: 1_000 }, clock)
  for (let index = 0; index < 10_000; index++) throttle.recordFailure(`id-${index}`)
  assert.equal(throttle.size, 10_000)
  clock.advance(1_000)
  throttle.recordFailure('fresh')
  assert.equal(throttle.size, 1)
})
