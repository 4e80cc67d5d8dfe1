import { EventEmitter } from 'node:events'
import { TimeoutError } from '../errors/token-client-error.js'
import type { LazyAbortSignal } from './lazy-abort-controller.js'

/** The time limit of one attempt, and which limit it stands for in the `TIMEOUT` error. */
export interface AttemptTimeout {
  /** The attempt is aborted after this long. */
  readonly timeoutMs: number
  /** Its own timeout, or what is left of the deadline. */
  readonly limit: 'attempt' | 'deadline'
  /** The limit to name in the error: the attempt timeout, or the whole deadline when that is the limit. */
  readonly limitMs: number
}

/**
 * Aborts one attempt's request: when `parent` fires (with the parent's reason), or with a
 * {@link TimeoutError} once the attempt's time is up. It is the `EventEmitter` form of signal that
 * undici's `request()` takes (it listens for `'abort'` and reads `reason`), not an `AbortController`:
 * on Node 20 each `AbortSignal` is an `EventTarget` with maps of its own, and making one per attempt
 * was a measurable share of a token request's CPU time. One listener links it to the parent, a
 * {@link LazyAbortSignal} that makes no `AbortSignal` either, and the object itself is that listener
 * and the timer's argument, so an attempt allocates no closures. Call `dispose()` when the attempt is
 * over, so that the parent lets go of it and the timer stops.
 *
 * @example
 * const abort = new AttemptAbort(flight.signal, { timeoutMs: 10_000, limit: 'attempt', limitMs: 10_000 })
 * try { await dispatcher.request({ ...options, signal: abort }) } finally { abort.dispose() }
 */
export class AttemptAbort extends EventEmitter {
  aborted = false
  reason: unknown = undefined
  readonly #parent: LazyAbortSignal
  readonly #timeout: AttemptTimeout
  readonly #timer: NodeJS.Timeout | undefined

  constructor(parent: LazyAbortSignal, timeout: AttemptTimeout) {
    super()
    this.#parent = parent
    this.#timeout = timeout
    if (parent.aborted) {
      this.abort(parent.reason)
      return
    }
    parent.addEventListener('abort', this)
    this.#timer = setTimeout(timeOut, timeout.timeoutMs, this)
  }

  /** Aborts the attempt with `reason`; only the first call counts. */
  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    this.emit('abort')
  }

  /** The parent fired (this object is its listener). */
  handleEvent(): void {
    this.abort(this.#parent.reason)
  }

  /** The attempt is over: stop the timer and unlink from the parent. */
  dispose(): void {
    clearTimeout(this.#timer)
    this.#parent.removeEventListener('abort', this)
  }

  /** The attempt's time is up. */
  static timeOut(abort: AttemptAbort): void {
    abort.abort(new TimeoutError(abort.#timeout.limit, abort.#timeout.limitMs))
  }
}

const timeOut = AttemptAbort.timeOut
