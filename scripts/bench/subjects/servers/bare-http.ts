// The floor of the servers section: node:http answering a fixed token response, whatever was asked.
import { createServer } from 'node:http'
import { SCOPE, TOKEN_LIFETIME } from '../../config.js'
import { listenOnLoopback } from './listen.js'
import type { Server } from './server.js'

/** A token response of the same shape and size as the reference server's. */
const FIXED_TOKEN_RESPONSE = JSON.stringify({
  access_token: 'q2Yd8vJ3mXkP0aR7tN5wLc1ZbE9sHfUoGiQyT4nVx6M',
  token_type: 'Bearer',
  expires_in: TOKEN_LIFETIME,
  scope: SCOPE,
})

export const bareHttp = {
  kind: 'bare-http',
  label: 'bare node:http, fixed JSON (floor)',
  start() {
    const length = Buffer.byteLength(FIXED_TOKEN_RESPONSE)
    const http = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': length,
          'cache-control': 'no-store',
          pragma: 'no-cache',
        })
        res.end(FIXED_TOKEN_RESPONSE)
      })
    })
    return listenOnLoopback(http)
  },
} as const satisfies Server
