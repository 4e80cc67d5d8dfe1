/**
 * Reading a request body on the server, up to a cap. Unlike the client's `readBody`
 * (src/http/read-body.ts), which destroys a response body that runs over its cap, this one leaves
 * the socket alone so the server can still answer 413, and refuses a `Content-Length` over the cap
 * before reading a byte.
 */
import type { IncomingMessage } from 'node:http'

/**
 * Reads the request body, or returns `undefined` without reading further once it is over `maxBytes`
 * (a `Content-Length` over the cap is refused before any byte is read). Rejects when the client aborts.
 *
 * @example
 * const body = await readRequestBody(req, 16 * 1024)
 * if (body === undefined) // answer 413
 */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > maxBytes) {
        cleanup()
        resolve(undefined)
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => {
      cleanup()
      resolve(Buffer.concat(chunks, size))
    }
    const onError = (error: Error): void => {
      cleanup()
      reject(error)
    }
    const onClose = (): void => {
      if (!req.complete) onError(new Error('request aborted'))
    }
    const cleanup = (): void => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}
