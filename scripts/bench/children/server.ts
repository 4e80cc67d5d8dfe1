// A token server in a process of its own (started by lib/processes.ts). Emits `ready` with its URLs,
// then answers `tokenRequests` (POSTs to /token seen so far, when counting), `usage` (CPU and heap
// of this process) and `stop`.
import { subscribe } from 'node:diagnostics_channel'
import type { IncomingMessage } from 'node:http'
import { parentChannel, taskOf } from '../lib/ipc.js'
import { startServer, type ServerKind, type ServerSetup } from '../subjects/servers.js'

export interface ServerTask extends ServerSetup {
  readonly kind: ServerKind
  /** Count token requests (a diagnostics_channel subscriber; off under load, where it is not needed). */
  readonly count?: boolean
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
if (task.count === true) {
  subscribe('http.server.request.start', (message) => {
    const request = (message as { request: IncomingMessage }).request
    if (request.method === 'POST' && request.url?.startsWith('/token') === true) tokenRequests += 1
  })
}

const server = await startServer(task.kind, task)
channel
  .handle('tokenRequests', () => tokenRequests)
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
