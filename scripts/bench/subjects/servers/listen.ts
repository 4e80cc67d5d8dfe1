// A node:http server on a free loopback port, for the servers that do not listen by themselves.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { RunningServer } from './server.js'

/** Listens on 127.0.0.1, a free port, and describes the server with its token URL at /token. */
export async function listenOnLoopback(server: Server): Promise<RunningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const issuer = `http://127.0.0.1:${port}`
  return { tokenUrl: `${issuer}/token`, issuer, port, close: () => closeServer(server) }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()))
    server.closeAllConnections()
  })
}
