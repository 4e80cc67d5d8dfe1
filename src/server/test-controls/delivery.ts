/**
 * Answers that misbehave on the way out: a body cut off halfway (`truncate` fault) or paused halfway
 * (`delay` fault with `when: 'body'`), and the real-time wait that delay faults share. The headers
 * always announce the full `Content-Length`, so a client sees a short body, not a short message.
 */
import type { ServerResponse } from 'node:http'
import { logExchange, type Exchange } from '../exchange/exchange.js'
import { answerHeaders } from '../exchange/respond.js'

/**
 * How a success body is delivered when a fault says otherwise than all at once:
 * - `truncate`: the first half (rounded down), then the socket is destroyed.
 * - `pause`: the first half, a wait of `ms` real milliseconds, then the rest. The wait is cut short,
 *   and the socket destroyed, when the client disconnects or the server closes.
 *
 * @example
 * const delivery: Delivery = { type: 'pause', ms: 2_000 }
 */
export type Delivery = { readonly type: 'truncate' } | { readonly type: 'pause'; readonly ms: number }

/**
 * Answers `status` with the full `Content-Length` and delivers the body as `delivery` says.
 * A request paused mid-body is logged when the pause starts, as one held before its headers is.
 * Resolves once the body is written, or the socket destroyed.
 *
 * @example
 * await deliverInParts(exchange, 200, body, 'application/json', { type: 'truncate' })
 */
export async function deliverInParts(
  exchange: Exchange,
  status: number,
  body: string,
  contentType: string,
  delivery: Delivery,
): Promise<void> {
  const { res } = exchange
  exchange.status = status
  exchange.done = true
  if (delivery.type === 'pause') logExchange(exchange)
  const bytes = Buffer.from(body)
  res.writeHead(status, answerHeaders(bytes.length, contentType))
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
  if (delivery.type === 'truncate' || (await hold(delivery.ms, exchange.server.signal, res))) {
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
