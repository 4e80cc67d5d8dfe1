// The soak (issue 5, item 3), short: the same worker as `npx tsx scripts/soak/run.ts`, for seconds
// instead of minutes. Many concurrent callers over many scopes, 2-3 s token lifetimes, random
// transient faults; the worker runs in a child process so that "exits by itself" can be checked.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runSoak } from '../../scripts/soak/soak.js'

test('soak (short): no unhandled rejection, nothing left open, memory flat, token requests near the minimum', { timeout: 30_000 }, async () => {
  const report = await runSoak({ seconds: 7, callers: 100, scopes: 20, lifetimes: [2, 3], faultsPerSecond: 5, sampleEveryMs: 250 }, 3_000)
  const failed = report.checks.filter((check) => !check.ok)
  assert.deepEqual(failed, [], JSON.stringify({ failed, stderr: report.stderr.slice(0, 1_000) }, null, 2))
  const summary = report.summary
  assert.ok(summary !== undefined)
  assert.ok(summary.calls > 10_000, `${summary.calls} calls`)
  assert.ok(summary.faultsAdded >= 20, `${summary.faultsAdded} faults`)
  // No fault (1-3 uses) can fail a token request's four attempts on its own: a failed request
  // takes at least two faults landing on one scope.
  assert.ok(summary.failedFetches * 2 <= summary.faultsAdded, `${summary.failedFetches} failed token requests for ${summary.faultsAdded} faults`)
})
