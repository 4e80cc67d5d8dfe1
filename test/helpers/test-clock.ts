import type { Clock } from '../../src/clock.js'

/**
 * The clock of every test that moves time: of a client, of the reference server, of a part of either
 * (the failure throttle, the token cache). The test moves it by hand; `sleep` records the wait and
 * advances time instead of waiting.
 */
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
