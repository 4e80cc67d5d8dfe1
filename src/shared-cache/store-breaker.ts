/**
 * A circuit breaker for the shared store: after `failures` failed operations in a row it opens, and
 * the store is skipped (no call, no added latency) for `cooldownMs`; then one operation goes through
 * as a probe, and the breaker closes on its success or opens again on its failure. Time is real time
 * (`performance.now()`): the store's timeouts and time to live are too.
 */
export class StoreBreaker {
  readonly #failures: number
  readonly #cooldownMs: number
  readonly #now: () => number
  #failedInARow = 0
  #openUntil = 0
  #probing = false

  constructor(failures: number, cooldownMs: number, now: () => number = () => performance.now()) {
    this.#failures = failures
    this.#cooldownMs = cooldownMs
    this.#now = now
  }

  /** Open: the store is being skipped. */
  get isOpen(): boolean {
    return this.#failedInARow >= this.#failures
  }

  /** Whether an operation may go to the store now (while open, only one probe once the cooldown is over). */
  allows(): boolean {
    if (!this.isOpen) return true
    if (this.#probing || this.#now() < this.#openUntil) return false
    this.#probing = true
    return true
  }

  /** The operation succeeded; whether that closed an open breaker. */
  succeeded(): boolean {
    const wasOpen = this.isOpen
    this.#failedInARow = 0
    this.#probing = false
    return wasOpen
  }

  /** The operation failed or timed out; whether that opened the breaker. */
  failed(): boolean {
    const wasOpen = this.isOpen
    this.#failedInARow++
    this.#probing = false
    if (this.isOpen) this.#openUntil = this.#now() + this.#cooldownMs
    return !wasOpen && this.isOpen
  }
}
