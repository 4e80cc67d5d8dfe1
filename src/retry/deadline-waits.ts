import { TimeoutError } from '../errors/token-client-error.js'

/**
 * The signal the waits between attempts stop on: it fires when the flight is aborted (with its
 * reason) and at the deadline (with a deadline `TIMEOUT`). Made only once an attempt has failed.
 */
export class DeadlineWaits {
  readonly #controller = new AbortController()
  readonly #parent: AbortSignal
  readonly #timer: NodeJS.Timeout
  readonly #onParentAbort = (): void => this.#controller.abort(this.#parent.reason)
  #deadlineReached: TimeoutError | undefined

  constructor(parent: AbortSignal, remainingMs: number, deadlineMs: number) {
    this.#parent = parent
    if (parent.aborted) this.#onParentAbort()
    else parent.addEventListener('abort', this.#onParentAbort, { once: true })
    this.#timer = setTimeout(() => {
      this.#deadlineReached = new TimeoutError('deadline', deadlineMs)
      this.#controller.abort(this.#deadlineReached)
    }, Math.max(0, remainingMs))
  }

  /** The deadline's `TIMEOUT` when `error` is a wait it cut short (as p-retry or a timer reports it), else `undefined`. */
  stoppedByDeadline(error: unknown): TimeoutError | undefined {
    const reached = this.#deadlineReached
    if (reached === undefined) return undefined
    return error === reached || (error as { cause?: unknown } | undefined)?.cause === reached ? reached : undefined
  }

  get signal(): AbortSignal {
    return this.#controller.signal
  }

  dispose(): void {
    clearTimeout(this.#timer)
    this.#parent.removeEventListener('abort', this.#onParentAbort)
  }
}

/**
 * The deadline's `TIMEOUT` with the last attempt's failure as its `cause`, so that a deadline spent
 * on a refused connection or a 503 still says so: whichever place noticed the deadline (a wait cut
 * short, an attempt that would start after it, an attempt it cut short), none of which knows that
 * failure. Any other error, or a `TIMEOUT` that has a cause already, comes back as it is.
 *
 * @example
 * withLastFailure(new TimeoutError('deadline', 30_000), refused).cause === refused // true
 */
export function withLastFailure(error: unknown, lastFailure: unknown): unknown {
  if (lastFailure === undefined || !(error instanceof TimeoutError) || error.limit !== 'deadline' || 'cause' in error) return error
  return new TimeoutError('deadline', error.ms, { cause: lastFailure })
}
