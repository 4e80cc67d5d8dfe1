// A loopback HTTP proxy in front of the reference server that damages answers on the wire in ways
// the server's fault script cannot: headers then a reset, a chunked body cut short, a body delimited
// by the connection closing that ends early, a body sent slowly. Requests are forwarded for real, so
// the upstream server still issues (and logs) genuine tokens. Used by the fault matrix (fault-cells.ts).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Agent, request } from 'undici'

/** What the proxy does with the next answer. */
export type Mangle =
  | { type: 'pass' }
  /** Status line and headers (with the full Content-Length), then the socket is destroyed: no body byte. */
  | { type: 'headers-then-reset' }
  /** Headers with the full Content-Length, the first half of the body, then the socket is destroyed. */
  | { type: 'truncate' }
  /** `Transfer-Encoding: chunked`, the first half of the body as one chunk, then the socket is destroyed. */
  | { type: 'chunked-truncate' }
  /** No Content-Length and `Connection: close`: half the body, then a clean FIN (undetectable by HTTP). */
  | { type: 'close-delimited-short' }
  /** Headers with the full Content-Length and half the body, a wait of `ms`, then the rest. */
  | { type: 'slow-body'; ms: number }

/** A running proxy. */
export interface ManglingProxy {
  /** The token URL to give the client. */
  readonly tokenUrl: string
  /** Requests the proxy received (all of them, mangled or not). */
  readonly requests: number
  /** Mangles the next `times` answers (default 1), after any already scheduled. */
  add(mangle: Mangle, times?: number): void
  close(): Promise<void>
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade'])

/** Starts a proxy that forwards every request to `upstreamOrigin` and mangles answers as scheduled. */
export async function startManglingProxy(upstreamOrigin: string): Promise<ManglingProxy> {
  const queue: Mangle[] = []
  const timers = new Set<NodeJS.Timeout>()
  let requests = 0
  const upstreamAgent = new Agent()
  const server: Server = createServer((req, res) => {
    requests++
    const mangle = queue.shift() ?? { type: 'pass' }
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'host') headers[name] = String(value)
      }
      request(upstreamOrigin + (req.url ?? '/'), { method: 'POST', headers, body: Buffer.concat(chunks), dispatcher: upstreamAgent })
        .then(async (upstream) => {
          const body = Buffer.from(await upstream.body.arrayBuffer())
          answer(req.socket, res, mangle, upstream.statusCode, upstream.headers, body, timers)
        })
        .catch(() => req.socket.destroy())
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    tokenUrl: `http://127.0.0.1:${port}/token`,
    get requests() {
      return requests
    },
    add(mangle, times = 1) {
      for (let i = 0; i < times; i++) queue.push(mangle)
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer)
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await upstreamAgent.close()
    },
  }
}

function answer(
  socket: Socket,
  res: import('node:http').ServerResponse,
  mangle: Mangle,
  status: number,
  upstreamHeaders: IncomingHttpHeaders,
  body: Buffer,
  timers: Set<NodeJS.Timeout>,
): void {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(upstreamHeaders)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  const half = body.subarray(0, Math.floor(body.length / 2))
  const head = (extra: Record<string, string>): string =>
    `HTTP/1.1 ${status} X\r\n` +
    Object.entries({ ...headers, ...extra })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('') +
    '\r\n'
  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      fn()
    }, ms)
    timers.add(timer)
  }
  switch (mangle.type) {
    case 'pass':
      res.writeHead(status, { ...headers, 'content-length': String(body.length) })
      res.end(body)
      return
    case 'headers-then-reset':
      socket.write(head({ 'content-length': String(body.length) }))
      later(5, () => socket.destroy())
      return
    case 'truncate':
      socket.write(Buffer.concat([Buffer.from(head({ 'content-length': String(body.length) })), half]))
      later(5, () => socket.destroy())
      return
    case 'chunked-truncate':
      socket.write(
        Buffer.concat([Buffer.from(head({ 'transfer-encoding': 'chunked' }) + `${half.length.toString(16)}\r\n`), half, Buffer.from('\r\n')]),
      )
      later(5, () => socket.destroy())
      return
    case 'close-delimited-short':
      socket.end(Buffer.concat([Buffer.from(head({ connection: 'close' })), half]))
      return
    case 'slow-body':
      // Connection: close, so the client never sends its next request on a socket whose response
      // node's server still counts as unfinished.
      socket.write(Buffer.concat([Buffer.from(head({ 'content-length': String(body.length), connection: 'close' })), half]))
      later(mangle.ms, () => {
        if (!socket.destroyed) socket.end(body.subarray(half.length))
      })
      return
  }
}
