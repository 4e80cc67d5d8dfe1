/**
 * An `AbortController` that also aborts when `parent` does, without `AbortSignal.any()`: on Node 20
 * a long-lived signal passed to `AbortSignal.any()` keeps every combined signal alive (nodejs/node#55351),
 * and it costs more than one listener. Call `unlink()` when done so the parent lets go of the child.
 *
 * @example
 * const link = linkedAbort(signal)
 * try { await work(link.signal) } finally { link.unlink() }
 */
export function linkedAbort(parent: AbortSignal): { controller: AbortController; signal: AbortSignal; unlink: () => void } {
  const controller = new AbortController()
  if (parent.aborted) {
    controller.abort(parent.reason)
    return { controller, signal: controller.signal, unlink: () => {} }
  }
  const onAbort = () => controller.abort(parent.reason)
  parent.addEventListener('abort', onAbort, { once: true })
  return { controller, signal: controller.signal, unlink: () => parent.removeEventListener('abort', onAbort) }
}
