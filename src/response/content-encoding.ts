import { printableText } from '../errors/printable-text.js'
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync, type ZlibOptions } from 'node:zlib'

/** A body decoded from its `Content-Encoding`, or why it could not be. */
export type DecodedBody = { ok: true; body: Buffer } | { ok: false; reason: string }

/**
 * Undoes a response's `Content-Encoding` (RFC 9110 §8.4): `gzip` (`x-gzip`), `deflate` (zlib, or
 * raw deflate as some servers send it), `br` and `identity`, several in the order they were
 * applied. The client never asks for an encoding, but a server or proxy may send one anyway. The
 * decoded body is held to `maxBytes` like the body itself, so a small compressed body cannot
 * expand without bound. An unknown coding or a body that does not decode is a reason, not a throw.
 *
 * @example
 * decodeContentEncoding(gzipSync('{"access_token":"a"}'), 'gzip', 1_048_576) // { ok: true, body: <Buffer 7b ...> }
 */
export function decodeContentEncoding(body: Buffer, contentEncoding: string | undefined, maxBytes: number): DecodedBody {
  if (contentEncoding === undefined) return { ok: true, body }
  const codings = contentEncoding
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity')
  let decoded = body
  const options: ZlibOptions = { maxOutputLength: Math.max(1, maxBytes) }
  for (const coding of codings.reverse()) {
    const decode = DECODERS[coding]
    if (decode === undefined) {
      return { ok: false, reason: `body has content encoding "${printableText(coding, 40)}", which the client cannot decode` }
    }
    try {
      decoded = decode(decoded, options)
    } catch (error) {
      const tooLarge = (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE'
      return { ok: false, reason: tooLarge ? `${coding}-decoded body is larger than ${maxBytes} bytes` : `${coding} body does not decode` }
    }
  }
  return { ok: true, body: decoded }
}

const DECODERS: Readonly<Record<string, (body: Buffer, options: ZlibOptions) => Buffer>> = {
  gzip: gunzipSync,
  'x-gzip': gunzipSync,
  br: brotliDecompressSync,
  deflate: (body, options) => {
    // RFC 9110 means zlib-wrapped deflate; some servers send the raw stream. A zlib stream starts
    // with a header whose first 16 bits are a multiple of 31.
    const zlibWrapped = body.length >= 2 && (body.readUInt16BE(0) % 31 === 0) && (body[0]! & 0x0f) === 8
    return zlibWrapped ? inflateSync(body, options) : inflateRawSync(body, options)
  },
}
