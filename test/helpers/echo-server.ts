import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'

/** What an echo server saw of one request. */
export interface SeenRequest {
  method: string
  path: string
  authorization: string | undefined
  headers: IncomingHttpHeaders
  body: string
}

/**
 * A loopback server that records each request and answers with a route's status and headers
 * (for redirects), or 200 JSON echoing the request.
 */
export async function startEchoServer(routes: Record<string, { status: number; headers?: Record<string, string> }> = {}) {
  const seen: SeenRequest[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      const path = req.url ?? '/'
      seen.push({ method: req.method ?? '', path, authorization: req.headers.authorization, headers: req.headers, body })
      const route = routes[path.split('?')[0] ?? '/']
      if (route) {
        res.writeHead(route.status, route.headers)
        res.end()
        return
      }
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ method: req.method, path, authorization: req.headers.authorization ?? null, bodyLength: body.length }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  return {
    origin,
    seen,
    routes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
