import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_REFRESH_POLICY, scheduleToken } from '../../src/cache/refresh-policy.js'

const policy = { expiryBufferMs: 60_000, refreshRatio: 0.8, refreshJitter: 0.1 }

test('refresh timing table', () => {
  const rows: Array<[string, number, number, number, { expiresAt: number; usableUntil: number; refreshAt: number }]> = [
    // name, sentAt, lifetimeMs, random, expected
    ['one hour, no jitter drawn', 1000, 3_600_000, 0, { expiresAt: 3_601_000, usableUntil: 3_541_000, refreshAt: 1000 + 3_540_000 * 0.8 }],
    ['one hour, full jitter drawn', 0, 3_600_000, 1, { expiresAt: 3_600_000, usableUntil: 3_540_000, refreshAt: 3_540_000 * 0.7 }],
    ['exactly twice the buffer', 0, 120_000, 0, { expiresAt: 120_000, usableUntil: 60_000, refreshAt: 48_000 }],
    ['shorter than the buffer keeps half', 0, 20_000, 0, { expiresAt: 20_000, usableUntil: 10_000, refreshAt: 8_000 }],
    ['one second keeps half a second', 0, 1_000, 0, { expiresAt: 1_000, usableUntil: 500, refreshAt: 400 }],
    ['zero lifetime is never usable', 5, 0, 0, { expiresAt: 5, usableUntil: 5, refreshAt: 5 }],
    ['negative lifetime is treated as zero', 5, -10, 0, { expiresAt: 5, usableUntil: 5, refreshAt: 5 }],
  ]
  for (const [name, sentAt, lifetime, random, expected] of rows) {
    const actual = scheduleToken(sentAt, lifetime, policy, () => random)
    assert.equal(actual.expiresAt, expected.expiresAt, name)
    assert.equal(actual.usableUntil, expected.usableUntil, name)
    assert.ok(Math.abs(actual.refreshAt - expected.refreshAt) < 1e-6, `${name}: ${actual.refreshAt} vs ${expected.refreshAt}`)
  }
})

test('jitter spreads refresh points between ratio - jitter and ratio of the usable lifetime', () => {
  const seen = new Set<number>()
  for (let i = 0; i < 200; i++) {
    const { refreshAt, usableUntil } = scheduleToken(0, 3_600_000, DEFAULT_REFRESH_POLICY)
    assert.ok(refreshAt >= usableUntil * 0.7 - 1e-6 && refreshAt <= usableUntil * 0.8 + 1e-6)
    seen.add(Math.round(refreshAt))
  }
  assert.ok(seen.size > 100, 'refresh points are spread, not in step')
})

test('the refresh point is clamped inside the usable lifetime', () => {
  const early = scheduleToken(0, 100_000, { expiryBufferMs: 0, refreshRatio: 0.05, refreshJitter: 0.5 }, () => 1)
  assert.equal(early.refreshAt, 0)
  const late = scheduleToken(0, 100_000, { expiryBufferMs: 0, refreshRatio: 1.5, refreshJitter: 0 }, () => 0)
  assert.equal(late.refreshAt, late.usableUntil)
})
