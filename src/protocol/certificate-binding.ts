import type { Dispatcher } from 'undici'

/**
 * Certificate-bound tokens (RFC 8705 §3) work only over a connection that presents the certificate
 * they are bound to. A token client with a TLS identity registers here how to get the dispatcher
 * that presents it, so that the fetch wrapper can send the requests carrying its tokens through that
 * dispatcher without importing the client (which sits below it in no layer order).
 */
const dispatchers = new WeakMap<object, () => Dispatcher | undefined>()

/** Registers, for `source`, the function that gives the dispatcher presenting its certificate. */
export function registerCertificateDispatcher(source: object, dispatcher: () => Dispatcher | undefined): void {
  dispatchers.set(source, dispatcher)
}

/**
 * The dispatcher that presents the certificate `source`'s tokens are bound to: created on the first
 * call and owned by `source`; `undefined` when `source` has no TLS identity with a key (or is closed).
 */
export function certificateDispatcherOf(source: unknown): Dispatcher | undefined {
  if (typeof source !== 'object' || source === null) return undefined
  return dispatchers.get(source)?.()
}
