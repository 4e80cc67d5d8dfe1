import type { Clock } from '../../src/clock.js'

/** A clock a test moves by hand. `sleep` records the wait and advances time instead of waiting. */
export class TestClock implements Clock {
  time: number
  readonly sleeps: number[] = []

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  advance(ms: number): void {
    this.time += ms
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    this.sleeps.push(ms)
    this.time += ms
  }
}
