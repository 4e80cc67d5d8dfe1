import type { Readable } from 'node:stream'

/**
 * Reads a response body in full; `undefined` (with the body destroyed) as soon as it passes
 * `maxBytes`. Listens for `data`, `end` and `error` directly rather than through an async iterator,
 * which costs an iterator, its end-of-stream tracking and a promise per chunk.
 *
 * @example
 * const bytes = await readBody(response.body, 1_048_576)
 * if (bytes === undefined) throw new Error('body too large')
 */
export function readBody(body: Readable, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    body.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        body.destroy()
        resolve(undefined)
        return
      }
      chunks.push(chunk)
    })
    body.on('end', () => resolve(Buffer.concat(chunks, size)))
    body.on('error', reject)
    // A body destroyed without an error ends with `close` alone.
    body.on('close', () => {
      if (!body.readableEnded) reject(prematureClose())
    })
  })
}

/** What Node's stream helpers report for a stream that closed before it ended. */
function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' })
}
