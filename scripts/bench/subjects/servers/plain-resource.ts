// The resource of section 3d: node:http answering 200 with a small fixed JSON body whatever was
// asked, verifying nothing (no token, no DPoP proof), so that what the server costs is the same for
// every client that calls it. It is no token server: it is not in SERVERS (section 5), only started
// in a process of its own by lib/processes.ts. One path is different, used once by each subject
// before its rounds, never timed: DPOP_ECHO_PATH answers with the `Authorization` and `DPoP`
// headers it got, so that the client can check what it sent.
import { createServer } from 'node:http'
import { listenOnLoopback } from './listen.js'
import type { Server } from './server.js'

/** The path every timed request asks for. */
export const DPOP_RESOURCE_PATH = '/resource'
/** The path that echoes the request's `Authorization` and `DPoP` headers (checks only). */
export const DPOP_ECHO_PATH = '/headers'

/** What the resource answers: small, fixed, the same bytes every time. */
export const RESOURCE_BODY = JSON.stringify({ id: 'order-1042', status: 'shipped', items: 3, total: '129.90' })

/** What {@link DPOP_ECHO_PATH} answers. */
export interface EchoedHeaders {
  readonly authorization: string | null
  readonly dpop: string | null
}

export const plainResource = {
  kind: 'plain-resource',
  label: 'node:http resource, fixed JSON, verifying nothing',
  start() {
    const length = Buffer.byteLength(RESOURCE_BODY)
    const http = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        if (req.url === DPOP_ECHO_PATH) {
          const echoed: EchoedHeaders = { authorization: req.headers.authorization ?? null, dpop: typeof req.headers.dpop === 'string' ? req.headers.dpop : null }
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          res.end(JSON.stringify(echoed))
          return
        }
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': length, 'cache-control': 'no-store' })
        res.end(RESOURCE_BODY)
      })
    })
    return listenOnLoopback(http)
  },
} as const satisfies Server
