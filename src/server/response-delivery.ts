/**
 * How the bytes of a response reach the client: whole, cut off halfway (`truncate` fault), or with a
 * pause halfway (`delay` fault with `when: 'body'`); and the real-time wait that delay faults share.
 * The headers always announce the full `Content-Length`, so a client sees a short body, not a short message.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'

/**
 * How a body is delivered:
 * - `whole`: all at once.
 * - `truncate`: the first half (rounded down), then the socket is destroyed.
 * - `pause`: the first half, a wait of `ms` real milliseconds, then the rest. The wait is cut short,
 *   and the socket destroyed, when the client disconnects or `closing` aborts.
 *
 * @example
 * const delivery: Delivery = { type: 'pause', ms: 2_000 }
 */
export type Delivery = { readonly type: 'whole' } | { readonly type: 'truncate' } | { readonly type: 'pause'; readonly ms: number }

/**
 * {@link Delivery} all at once, what every response gets unless a fault says otherwise.
 *
 * @example
 * await deliver(res, 200, headers, body, WHOLE, signal)
 */
export const WHOLE: Delivery = Object.freeze({ type: 'whole' })

/**
 * Writes the status and headers (with `Content-Length` of the whole body) and delivers the body as
 * `delivery` says. Resolves once the body is written, or the socket destroyed.
 *
 * @example
 * await deliver(res, 200, { 'content-type': 'application/json' }, body, { type: 'truncate' }, signal)
 */
export async function deliver(
  res: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders,
  body: string | Uint8Array,
  delivery: Delivery,
  closing: AbortSignal,
): Promise<void> {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) })
  if (delivery.type === 'whole') {
    res.end(body)
    return
  }
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  const half = Math.floor(bytes.length / 2)
  // Wait until the first half is handed to the socket, so the client really receives it.
  const written = await new Promise<boolean>((resolve) => {
    if (res.destroyed) return resolve(false)
    const onClose = (): void => resolve(false)
    res.once('close', onClose)
    res.write(bytes.subarray(0, half), () => {
      res.off('close', onClose)
      resolve(!res.destroyed)
    })
  })
  if (!written) return
  if (delivery.type === 'truncate') {
    res.destroy()
    return
  }
  if (await hold(delivery.ms, closing, res)) {
    res.destroy()
    return
  }
  res.end(bytes.subarray(half))
}

/**
 * Waits `ms` of real time (an injected clock plays no part). Resolves `true` when cut short because
 * `closing` aborted or the response's connection closed (nobody is left to answer), else `false`.
 *
 * @example
 * if (await hold(500, context.signal, res)) return // the server is closing or the client left
 */
export function hold(ms: number, closing: AbortSignal, res: ServerResponse): Promise<boolean> {
  if (closing.aborted || res.destroyed) return Promise.resolve(true)
  return new Promise((resolve) => {
    const done = (cutShort: boolean): void => {
      clearTimeout(timer)
      closing.removeEventListener('abort', onGone)
      res.off('close', onGone)
      resolve(cutShort)
    }
    const onGone = (): void => done(true)
    const timer = setTimeout(() => done(false), ms)
    closing.addEventListener('abort', onGone)
    res.on('close', onGone)
  })
}
