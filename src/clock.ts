/**
 * The time source of the client and the reference server.
 *
 * `now()` returns milliseconds since the Unix epoch and must never go backwards. The default reads
 * `performance.timeOrigin + performance.now()`, which is monotonic for the life of the process
 * yet still close to wall-clock time, so token lifetimes are immune to system clock jumps.
 * Tests inject their own to move time without sleeping.
 *
 * @example
 * let t = 1_000_000
 * const clock: Clock = { now: () => t }
 * t += 60_000 // a minute later
 */
export interface Clock {
  /** Milliseconds since the Unix epoch; never goes backwards. Must be above 0. */
  now(): number
  /**
   * Waits `ms` (used for `Retry-After` waits), rejecting with `signal.reason` when the signal fires.
   * Optional: without it a real timer is used. A test clock can advance itself here instead.
   */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>
  /**
   * The system's wall-clock time in epoch milliseconds, for converting absolute times a server sends
   * (a JWT `exp`, a `Retry-After` date). Optional: without it `now()` is used.
   */
  wallNow?(): number
}

/**
 * The default {@link Clock}: monotonic, anchored to the epoch at process start.
 *
 * @example
 * const clock: Clock = { ...monotonicClock, sleep: fastSleep } // keep the time, replace the waiting
 */
export const monotonicClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  wallNow: () => Date.now(),
}
