import assert from 'node:assert/strict'
import { test } from 'node:test'
import { monotonicClock } from '../../src/clock.js'

test('the default clock is monotonic: a wall-clock jump does not move it', (t) => {
  const before = monotonicClock.now()
  assert.ok(Math.abs(before - Date.now()) < 60_000, 'anchored near the epoch time')
  t.mock.method(Date, 'now', () => 0) // the system clock jumps back to 1970
  const after = monotonicClock.now()
  assert.ok(after >= before && after - before < 1_000, `moved from ${before} to ${after}`)
  assert.equal(monotonicClock.wallNow?.(), 0, 'wall-clock conversions use the system clock')
})
