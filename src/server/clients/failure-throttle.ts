/**
 * Brute-force protection (RFC 6749 §2.3.1, checklist item 15): failed authentications are counted
 * per client id in a sliding window; once `maxFailures` fall inside it, every request for that
 * client id is refused, the right secret included, until the oldest failure leaves the window.
 * The bookkeeping is bounded: at most `maxClientIds` ids, each a fixed size whatever its length.
 */
import { hash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { Clock } from '../../clock.js'
import { invalidArgument } from '../../errors/invalid-argument.js'
import { isPositiveInteger } from '../option-checks.js'

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
  /**
   * How many client ids the throttle keeps failures for (unknown ids count too, as they must: the
   * throttle may not tell which ids exist). Past it, the id whose latest failure is oldest is
   * forgotten, failures and all, so it may try `maxFailures` times again: breaking the throttle for
   * one id takes `maxClientIds` failures with other ids after that id's last one. Each id costs
   * about 300 bytes, however long it is.
   *
   * @default 10_000
   * @example
   * { maxFailures: 5, windowMs: 60_000, maxClientIds: 100_000 }
   */
  maxClientIds?: number
}

/** The default throttle: 5 failures per 60 seconds per client id, for at most 10,000 client ids. */
export const DEFAULT_THROTTLE: Readonly<Required<ThrottleOptions>> = Object.freeze({
  maxFailures: 5,
  windowMs: 60_000,
  maxClientIds: 10_000,
})

/**
 * Counts failed authentications per client id. Every operation is O(1) amortized: ids are kept in
 * the order of their latest failure (on a clock that never goes backwards), so the ids whose
 * failures have all left the window, and the one to forget at `maxClientIds`, come first.
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
  // Per client id (by key), the times of its latest failures, oldest first, at most maxFailures of
  // them. Only set() (on a failure) makes an id recent, peek() does not, so the least recently used
  // id is the one whose latest failure is oldest. lru-cache's own TTL is not used: it reads a start
  // time of 0, where test clocks begin, as "no TTL", and the window frees at exactly windowMs.
  readonly #failures: LRUCache<string, number[]>

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
    const maxClientIds = options.maxClientIds ?? DEFAULT_THROTTLE.maxClientIds
    if (!isPositiveInteger(maxClientIds)) {
      throw invalidArgument('options.throttle.maxClientIds', 'must be a positive integer')
    }
    this.#maxFailures = options.maxFailures
    this.#windowMs = options.windowMs
    this.#failures = new LRUCache({ max: maxClientIds })
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
    // No failure on record, as on every request of a healthy test run: skip hashing the id.
    if (this.#failures.size === 0) return undefined
    const failures = this.#failures.peek(keyOf(clientId))
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
    this.#forgetStale(now)
    const key = keyOf(clientId)
    const failures = this.#failures.peek(key) ?? []
    failures.push(now)
    if (failures.length > this.#maxFailures) failures.shift()
    // Makes the id the most recent; a new id at maxClientIds evicts the least recent.
    this.#failures.set(key, failures)
  }

  /**
   * Forgets the failures of a client id, after it authenticated.
   *
   * @example
   * throttle.reset('svc')
   */
  reset(clientId: string): void {
    if (this.#failures.size > 0) this.#failures.delete(keyOf(clientId))
  }

  /**
   * How many client ids have failures inside the window on record; at most `maxClientIds`.
   *
   * @example
   * assert.ok(throttle.size <= 10_000)
   */
  get size(): number {
    this.#forgetStale(this.#clock.now())
    return this.#failures.size
  }

  // From the least recent id on, stops at the first with a failure still in the window: every id
  // after it failed later. Each id is forgotten once, so this is O(1) amortized.
  #forgetStale(now: number): void {
    for (;;) {
      const oldest = this.#failures.rkeys().next()
      if (oldest.done === true) return
      const failures = this.#failures.peek(oldest.value) as number[]
      if ((failures[failures.length - 1] as number) + this.#windowMs > now) return
      this.#failures.delete(oldest.value)
    }
  }
}

/**
 * The key of a client id: its SHA-256, so every id costs the same whatever its length, and the
 * throttle keeps no string of the request (an id parsed from a body is a slice that would keep the
 * whole body alive).
 */
function keyOf(clientId: string): string {
  return hash('sha256', clientId, 'base64url')
}
