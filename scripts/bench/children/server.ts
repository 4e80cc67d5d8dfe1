// A token server (or section 3d's resource) in a process of its own (started by lib/processes.ts). Emits `ready` with its URLs,
// then answers `tokenRequests` (POSTs to /token seen so far, when counting), `metadataRequests`
// (GETs of the two well-known metadata locations, when counting), `usage` (CPU and heap of this
// process) and `stop`.
import { subscribe } from 'node:diagnostics_channel'
import type { IncomingMessage } from 'node:http'
import { parentChannel, taskOf } from '../lib/ipc.js'
import { startServer, type ProcessServerKind, type ServerSetup } from '../subjects/servers.js'

export interface ServerTask extends ServerSetup {
  /** A token server of section 5's list, or a resource (subjects/servers.ts). */
  readonly kind: ProcessServerKind
  /** Count token and metadata requests (a diagnostics_channel subscriber; off under load, where it is not needed). */
  readonly count?: boolean
}

/** GETs of the server's metadata seen so far, by location (section 3c). */
export interface MetadataRequests {
  /** `/.well-known/oauth-authorization-server` (RFC 8414 §3). */
  readonly rfc8414: number
  /** `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4). */
  readonly openid: number
}

export interface ServerUsage {
  /** CPU time of this process so far, user + system, in microseconds. */
  readonly cpuMicros: number
  readonly heapUsed: number
  readonly rss: number
}

const task = taskOf<ServerTask>()
const channel = parentChannel()

let tokenRequests = 0
const metadataRequests = { rfc8414: 0, openid: 0 }
if (task.count === true) {
  subscribe('http.server.request.start', (message) => {
    const request = (message as { request: IncomingMessage }).request
    if (request.method === 'POST') {
      if (request.url?.startsWith('/token') === true) tokenRequests += 1
    } else if (request.method === 'GET' && request.url?.startsWith('/.well-known/') === true) {
      if (request.url.startsWith('/.well-known/oauth-authorization-server')) metadataRequests.rfc8414 += 1
      else if (request.url.startsWith('/.well-known/openid-configuration')) metadataRequests.openid += 1
    }
  })
}

const server = await startServer(task.kind, task)
channel
  .handle('tokenRequests', () => tokenRequests)
  .handle('metadataRequests', (): MetadataRequests => ({ ...metadataRequests }))
  .handle('usage', (): ServerUsage => {
    const { user, system } = process.cpuUsage()
    const { heapUsed, rss } = process.memoryUsage()
    return { cpuMicros: user + system, heapUsed, rss }
  })
  .handle('stop', async () => {
    await server.close()
    setImmediate(() => process.exit(0))
    return true
  })
process.on('disconnect', () => process.exit(0))
await channel.emit('ready', { tokenUrl: server.tokenUrl, issuer: server.issuer, port: server.port })
