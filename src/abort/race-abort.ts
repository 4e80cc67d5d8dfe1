/** The callers waiting on one signal, and the one listener through which they all hear of its abort. */
interface SignalWaiters {
  readonly onAbort: Set<() => void>
  readonly listener: () => void
}

/**
 * The waiters of each caller's signal. A caller may hand one signal to any number of concurrent calls;
 * a listener per call would make Node warn (`MaxListenersExceededWarning`) past ten, and setting the
 * limit on a signal that is not ours is not our call. So each signal gets one listener while anyone
 * waits on it, removed with the last waiter.
 */
const waitersBySignal = new WeakMap<AbortSignal, SignalWaiters>()

/**
 * Settles as `pending` does, or rejects with `abortError(signal.reason)` as soon as `signal` fires,
 * whichever comes first. However many calls race one signal at once, the signal carries one listener
 * of ours, and none once every one of them has settled. With `signal` already aborted, it rejects at
 * once (and a later rejection of `pending` is left handled).
 *
 * @example
 * const entry = await raceAbort(flight, options.signal, (reason) => new AbortError(reason))
 */
export function raceAbort<T>(pending: Promise<T>, signal: AbortSignal, abortError: (reason: unknown) => unknown): Promise<T> {
  if (signal.aborted) {
    pending.catch(noop)
    return Promise.reject(abortError(signal.reason))
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal.reason))
    const waiters = join(signal, onAbort)
    pending.then(
      (value) => {
        leave(signal, waiters, onAbort)
        resolve(value)
      },
      (error: unknown) => {
        leave(signal, waiters, onAbort)
        reject(error)
      },
    )
  })
}

function noop(): void {}

function join(signal: AbortSignal, onAbort: () => void): SignalWaiters {
  let waiters = waitersBySignal.get(signal)
  if (waiters === undefined) {
    const created: SignalWaiters = {
      onAbort: new Set(),
      listener: () => {
        waitersBySignal.delete(signal)
        for (const callback of created.onAbort) callback()
      },
    }
    waiters = created
    waitersBySignal.set(signal, waiters)
    signal.addEventListener('abort', waiters.listener, { once: true })
  }
  waiters.onAbort.add(onAbort)
  return waiters
}

function leave(signal: AbortSignal, waiters: SignalWaiters, onAbort: () => void): void {
  waiters.onAbort.delete(onAbort)
  if (waiters.onAbort.size > 0 || waitersBySignal.get(signal) !== waiters) return
  waitersBySignal.delete(signal)
  signal.removeEventListener('abort', waiters.listener)
}
