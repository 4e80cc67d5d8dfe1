import { EventEmitter } from 'node:events'
import { TimeoutError } from '../errors/token-client-error.js'
import { LazyAbortController, type LazyAbortSignal } from './lazy-abort-controller.js'

/** A time limit, and which limit it stands for in the `TIMEOUT` error it ends in. */
export interface TimeLimit {
  /** The work is aborted after this long. */
  readonly timeoutMs: number
  /** An attempt's own timeout, or the deadline of the whole operation (or what is left of it). */
  readonly limit: 'attempt' | 'deadline'
  /** The limit to name in the error: the attempt timeout, or the whole deadline when that is the limit. */
  readonly limitMs: number
}

/**
 * Aborts work that must stop when `parent` fires (with the parent's reason) or once its time is up
 * (with the {@link TimeoutError} of its {@link TimeLimit}): one attempt's request, which undici's
 * `request()` takes as its signal, or the waits between attempts, which p-retry takes as an
 * `AbortSignal` ({@link TimedAbort.toAbortSignal}). Call `dispose()` when the work is over, so that
 * the parent lets go of it and the timer stops.
 *
 * It is linked to the parent by one listener, never by `AbortSignal.any()`, which on Node 20 keeps
 * every signal ever combined with a long-lived parent (nodejs/node#55351). It is the `EventEmitter`
 * form of signal that undici documents, not an `AbortController`: on Node 20 making an `AbortSignal`
 * and adding and removing one listener costs about 5 µs, as much as the rest of the client's work on
 * a fresh token, and an attempt needs none (its state is a {@link LazyAbortController}'s). The object
 * itself is the parent's listener and the timer's argument, so it allocates no closures either.
 *
 * @example
 * const abort = new TimedAbort(flight.signal, { timeoutMs: 10_000, limit: 'attempt', limitMs: 10_000 })
 * try { await dispatcher.request({ ...options, signal: abort }) } finally { abort.dispose() }
 */
export class TimedAbort extends EventEmitter {
  readonly #state = new LazyAbortController()
  readonly #parent: LazyAbortSignal
  readonly #limit: TimeLimit
  readonly #timer: NodeJS.Timeout | undefined

  constructor(parent: LazyAbortSignal, limit: TimeLimit) {
    super()
    this.#parent = parent
    this.#limit = limit
    if (parent.aborted) {
      this.abort(parent.reason)
      return
    }
    parent.addEventListener('abort', this)
    this.#timer = setTimeout(timeOut, limit.timeoutMs, this)
  }

  get aborted(): boolean {
    return this.#state.aborted
  }

  get reason(): unknown {
    return this.#state.reason
  }

  /** Aborts with `reason`: the `AbortSignal` if one was made, then the `'abort'` listeners. Only the first call counts. */
  abort(reason: unknown): void {
    if (this.#state.aborted) return
    this.#state.abort(reason)
    this.emit('abort')
  }

  /** This abort as an `AbortSignal`, for an API that takes no other (p-retry): made on the first call, the same one after. */
  toAbortSignal(): AbortSignal {
    return this.#state.signal.toAbortSignal()
  }

  /** The parent fired (this object is its listener). */
  handleEvent(): void {
    this.abort(this.#parent.reason)
  }

  /** The work is over: stop the timer and unlink from the parent. */
  dispose(): void {
    clearTimeout(this.#timer)
    this.#parent.removeEventListener('abort', this)
  }

  /** The time is up. */
  static timeOut(abort: TimedAbort): void {
    abort.abort(new TimeoutError(abort.#limit.limit, abort.#limit.limitMs))
  }
}

const timeOut = TimedAbort.timeOut
