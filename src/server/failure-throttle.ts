/**
 * Brute-force protection (RFC 6749 §2.3.1, checklist item 15): failed authentications are counted
 * per client id in a sliding window; once `maxFailures` fall inside it, every request for that
 * client id is refused, the right secret included, until the oldest failure leaves the window.
 */
import type { Clock } from '../clock.js'
import { invalidArgument } from '../errors/invalid-argument.js'
import { isPositiveInteger } from './client-registry.js'

/** How many failed authentications one client id may have in a window. */
export interface ThrottleOptions {
  /**
   * Failures that may fall inside the window; the next request for the client id is answered 429.
   *
   * @default 5
   * @example
   * { maxFailures: 3, windowMs: 10_000 }
   */
  maxFailures: number
  /**
   * The length of the sliding window, in milliseconds of the server's clock.
   *
   * @default 60_000
   * @example
   * { maxFailures: 5, windowMs: 60_000 }
   */
  windowMs: number
}

/** The default throttle: 5 failures per 60 seconds per client id. */
export const DEFAULT_THROTTLE: Readonly<ThrottleOptions> = Object.freeze({ maxFailures: 5, windowMs: 60_000 })

// Failures for unknown ids accumulate too; past this many ids, stale ones are swept.
const SWEEP_AT = 10_000

/**
 * Counts failed authentications per client id.
 *
 * @example
 * const throttle = new FailureThrottle({ maxFailures: 5, windowMs: 60_000 }, monotonicClock)
 * throttle.recordFailure('svc')
 * throttle.retryAfterSeconds('svc') // undefined: still allowed
 */
export class FailureThrottle {
  readonly #maxFailures: number
  readonly #windowMs: number
  readonly #clock: Clock
  // The times of the latest failures per client id, oldest first, at most maxFailures of them.
  readonly #failures = new Map<string, number[]>()

  constructor(options: ThrottleOptions, clock: Clock) {
    if (typeof options !== 'object' || options === null) {
      throw invalidArgument('options.throttle', 'must be { maxFailures, windowMs } or false')
    }
    if (!isPositiveInteger(options.maxFailures)) {
      throw invalidArgument('options.throttle.maxFailures', 'must be a positive integer')
    }
    if (typeof options.windowMs !== 'number' || !Number.isFinite(options.windowMs) || options.windowMs <= 0) {
      throw invalidArgument('options.throttle.windowMs', 'must be a positive finite number of milliseconds')
    }
    this.#maxFailures = options.maxFailures
    this.#windowMs = options.windowMs
    this.#clock = clock
  }

  /**
   * `undefined` when the client id may try to authenticate; otherwise the whole seconds (at least 1)
   * until the oldest failure in the window leaves it, for `Retry-After`.
   *
   * @example
   * throttle.retryAfterSeconds('svc') // 42 after five quick failures
   */
  retryAfterSeconds(clientId: string): number | undefined {
    const failures = this.#failures.get(clientId)
    if (failures === undefined) return undefined
    const now = this.#clock.now()
    const first = failures[0] as number
    if (failures.length < this.#maxFailures) return undefined
    const freeAt = first + this.#windowMs
    if (freeAt <= now) return undefined
    return Math.max(1, Math.ceil((freeAt - now) / 1000))
  }

  /**
   * Records a failed authentication for the client id.
   *
   * @example
   * throttle.recordFailure('svc')
   */
  recordFailure(clientId: string): void {
    const now = this.#clock.now()
    let failures = this.#failures.get(clientId)
    if (failures === undefined) {
      if (this.#failures.size >= SWEEP_AT) this.#sweep(now)
      failures = []
      this.#failures.set(clientId, failures)
    }
    failures.push(now)
    if (failures.length > this.#maxFailures) failures.shift()
  }

  /**
   * Forgets the failures of a client id, after it authenticated.
   *
   * @example
   * throttle.reset('svc')
   */
  reset(clientId: string): void {
    this.#failures.delete(clientId)
  }

  /** How many client ids have failures on record. */
  get size(): number {
    return this.#failures.size
  }

  #sweep(now: number): void {
    for (const [clientId, failures] of this.#failures) {
      if ((failures[failures.length - 1] as number) + this.#windowMs <= now) this.#failures.delete(clientId)
    }
  }
}
