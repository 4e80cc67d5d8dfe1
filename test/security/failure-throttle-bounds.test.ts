// The failure throttle under a flood of distinct client ids: bounded bookkeeping, constant cost per
// failure, and what happens at the cap. On an injected clock; the only real time measured is the
// relative cost of early and late failures.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { DEFAULT_THROTTLE, FailureThrottle } from '../../src/server/clients/failure-throttle.js'
import { TestClock } from '../helpers/test-clock.js'

/** The documented default of `maxClientIds`. */
const MAX_CLIENT_IDS = 10_000

test('50,000 distinct failing ids: the last 10,000 cost about what the first did, and size stays at the cap', (t) => {
  const clock = new TestClock(1_000_000)
  const throttle = new FailureThrottle(DEFAULT_THROTTLE, clock)
  const batch = (from: number): number => {
    const started = performance.now()
    for (let index = from; index < from + 10_000; index++) {
      throttle.recordFailure(`flood-${index}`)
      clock.advance(1) // 50,000 ids in 50 s: all of them inside the 60 s window
    }
    return performance.now() - started
  }
  const costs: number[] = []
  const sizes: number[] = []
  for (const from of [0, 10_000, 20_000, 30_000, 40_000]) {
    costs.push(batch(from))
    sizes.push(throttle.size)
  }
  const [first = 0, , , , last = 0] = costs
  t.diagnostic(`ms per 10,000 failing ids: ${costs.map((cost) => cost.toFixed(1)).join(', ')}; sizes: ${sizes.join(', ')}`)
  // A sweep per new id costs ~size operations: the last batch would take hundreds of times the first.
  assert.ok(last < 10 * first + 50, `the last 10,000 ids took ${last.toFixed(1)} ms, the first ${first.toFixed(1)} ms`)
  assert.deepEqual(sizes, Array(5).fill(MAX_CLIENT_IDS), 'size stays at the cap')
})

test('a throttled id stays throttled while up to maxClientIds - 1 other ids fail in its window; the next one evicts it', () => {
  const clock = new TestClock(1_000_000)
  const throttle = new FailureThrottle({ maxFailures: 5, windowMs: 60_000, maxClientIds: 1_000 }, clock)
  for (let attempt = 0; attempt < 5; attempt++) throttle.recordFailure('victim')
  assert.equal(throttle.retryAfterSeconds('victim'), 60)
  for (let index = 0; index < 999; index++) {
    clock.advance(10)
    throttle.recordFailure(`other-${index}`)
  }
  assert.equal(throttle.size, 1_000)
  assert.equal(throttle.retryAfterSeconds('victim'), 51, 'still throttled, 9,990 ms into its 60 s window')
  // A failing id moves to the back: the victim, failing again, would outlive the others. It cannot
  // fail while throttled, so the next new id takes its place: the documented price of the cap.
  throttle.recordFailure('one-too-many')
  assert.equal(throttle.size, 1_000)
  assert.equal(throttle.retryAfterSeconds('victim'), undefined)
  assert.equal(throttle.retryAfterSeconds('other-0'), undefined, 'one failure of five: never throttled')
})

test('an id that fails again moves to the back and outlives the ids that failed after its first failure', () => {
  const clock = new TestClock(1_000_000)
  const throttle = new FailureThrottle({ maxFailures: 2, windowMs: 60_000, maxClientIds: 3 }, clock)
  throttle.recordFailure('kept')
  throttle.recordFailure('a')
  throttle.recordFailure('b')
  throttle.recordFailure('kept') // now the most recent: 'a' is the oldest-touched
  throttle.recordFailure('c')
  assert.equal(throttle.size, 3)
  assert.equal(throttle.retryAfterSeconds('kept'), 60)
  throttle.recordFailure('a') // 'a' was evicted: this is its first failure again
  assert.equal(throttle.retryAfterSeconds('a'), undefined)
})

test('a long client id costs the throttle no more than a short one, and keeps no request body alive', async (t) => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const heapAfterGc = async (): Promise<number> => {
    for (let round = 0; round < 3; round++) {
      await new Promise((resolve) => setImmediate(resolve))
      gc()
    }
    return process.memoryUsage().heapUsed
  }
  const clock = new TestClock(1_000_000)
  const throttle = new FailureThrottle(DEFAULT_THROTTLE, clock)
  const before = await heapAfterGc()
  for (let index = 0; index < 2_000; index++) {
    // As the form parser hands it over: a slice of a 16 KB body, which V8 keeps whole behind the slice.
    const body = `client_id=${'i'.repeat(8_000)}${index}&junk=${'j'.repeat(8_000)}`
    throttle.recordFailure(body.slice(10, body.indexOf('&')))
  }
  const growth = (await heapAfterGc()) - before
  t.diagnostic(`heap growth for 2,000 ids of 8 KB: ${(growth / 1024 / 1024).toFixed(1)} MiB`)
  assert.equal(throttle.size, 2_000)
  assert.ok(growth < 4 * 1024 * 1024, `the throttle grew the heap by ${(growth / 1024 / 1024).toFixed(1)} MiB`)
})

test('maxClientIds must be a positive integer', () => {
  const clock = new TestClock(0)
  for (const maxClientIds of [0, -1, 1.5, Infinity, Number.NaN]) {
    assert.throws(() => new FailureThrottle({ maxFailures: 5, windowMs: 60_000, maxClientIds }, clock), {
      code: 'ERR_INVALID_ARG_VALUE',
      message: /options\.throttle\.maxClientIds/,
    })
  }
})
