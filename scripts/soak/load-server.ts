// The reference server in its own process for scripts/soak/load.ts: prints `{"port":...}`, then once
// a second its memory and how many sockets it holds; closes and exits on SIGTERM.
import { startReferenceServer } from '../../src/server/index.js'

const server = await startReferenceServer({
  throttle: false,
  logLimit: 0,
  tokenLifetime: Number(process.argv[2] ?? 60),
  clients: [{ clientId: 'load', clientSecret: 'load:s3cret% +&=/', scopes: ['api:read', 'api:write'] }],
})
const report = (): void => {
  const memory = process.memoryUsage()
  const sockets = process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap').length
  process.stdout.write(JSON.stringify({ rss: memory.rss, heapUsed: memory.heapUsed, sockets, tokens: server.tokens.size }) + '\n')
}
process.stdout.write(JSON.stringify({ port: server.port }) + '\n')
const timer = setInterval(report, 1_000)
process.once('SIGTERM', () => {
  clearInterval(timer)
  report()
  void server.close()
})
