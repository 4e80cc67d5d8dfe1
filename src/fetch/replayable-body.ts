/**
 * True when a request body can be sent a second time as it is: none, a string, bytes,
 * `URLSearchParams`, `FormData` or a `Blob`. A stream or an async iterable is one-shot.
 *
 * @example
 * isReplayableBody(JSON.stringify({ a: 1 })) // true
 * isReplayableBody(fs.createReadStream('x')) // false
 */
export function isReplayableBody(body: unknown): boolean {
  if (body === undefined || body === null) return true
  if (typeof body === 'string') return true
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return true
  if (typeof SharedArrayBuffer !== 'undefined' && body instanceof SharedArrayBuffer) return true
  // Checked by tag so that instances from another copy of undici count too.
  const tag = Object.prototype.toString.call(body)
  return tag === '[object URLSearchParams]' || tag === '[object FormData]' || tag === '[object Blob]' || tag === '[object File]'
}
