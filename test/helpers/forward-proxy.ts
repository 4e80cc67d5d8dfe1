// A forward proxy on loopback, as a corporate proxy would be: plain http targets in absolute form
// (`POST http://host:port/path`), anything else through a CONNECT tunnel. It forwards for real and
// records what it proxied, so a test can tell which requests went through it and what it saw.
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'

/** One request the proxy handled. */
export interface ProxiedRequest {
  /** `forward` for an absolute-form request, `connect` for a tunnel. */
  kind: 'forward' | 'connect'
  /** The absolute URL of a forwarded request; `host:port` of a tunnel. */
  target: string
  /** The headers the proxy received: of the request itself, or of the CONNECT. */
  headers: IncomingHttpHeaders
}

/** A running proxy. */
export interface ForwardProxy {
  /** `http://127.0.0.1:<port>`, for `ProxyAgent` or `HTTP_PROXY`. */
  readonly url: string
  /** Every request proxied so far, in order. */
  readonly seen: readonly ProxiedRequest[]
  /** Answers the next CONNECTs with these statuses instead of opening the tunnel, one each. */
  refuseConnects(...statuses: number[]): void
  close(): Promise<void>
}

/** Headers that belong to one hop (RFC 9110 §7.6.1), and the proxy's own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'])

/** Only loopback targets: a test's proxy must never reach out of the machine. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** Starts a forward proxy on 127.0.0.1 and a free port. */
export async function startForwardProxy(): Promise<ForwardProxy> {
  const seen: ProxiedRequest[] = []
  const refusals: number[] = []
  const sockets = new Set<Socket>()
  const upstreamAgent = new Agent({ keepAlive: false })
  const track = (socket: Socket): void => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  }

  const server: Server = createServer((req, res) => {
    const target = URL.canParse(req.url ?? '') ? new URL(req.url ?? '') : undefined
    if (target === undefined || target.protocol !== 'http:' || !LOOPBACK.has(target.hostname)) {
      res.writeHead(400).end('absolute-form http URLs to loopback only')
      return
    }
    seen.push({ kind: 'forward', target: target.href, headers: req.headers })
    const headers: IncomingHttpHeaders = {}
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value
    const upstream = request(target, { method: req.method, headers, agent: upstreamAgent }, (answer) => {
      const answerHeaders: IncomingHttpHeaders = {}
      for (const [name, value] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(name)) answerHeaders[name] = value
      res.writeHead(answer.statusCode ?? 502, answerHeaders)
      answer.pipe(res)
    })
    upstream.on('error', () => res.headersSent ? res.destroy() : res.writeHead(502).end())
    req.pipe(upstream)
  })

  server.on('connect', (req, client: Socket, head: Buffer) => {
    track(client)
    const authority = req.url ?? ''
    seen.push({ kind: 'connect', target: authority, headers: req.headers })
    const refusal = refusals.shift()
    const { hostname, port } = URL.canParse(`http://${authority}`) ? new URL(`http://${authority}`) : { hostname: '', port: '' }
    if (refusal !== undefined || !LOOPBACK.has(hostname) || port === '') {
      client.end(`HTTP/1.1 ${refusal ?? 403} Refused\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`)
      return
    }
    const upstream = connect(Number(port), hostname.replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    track(upstream)
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    refuseConnects: (...statuses) => void refusals.push(...statuses),
    close: async () => {
      for (const socket of sockets) socket.destroy()
      server.closeAllConnections()
      upstreamAgent.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
