// Load: N keep-alive connections (default 1,000) held open against the reference server at once,
// each sending token requests back to back for a while; reports throughput and latency percentiles.
// The server runs in its own process (scripts/soak/load-server.ts) so the two do not share a core.
//
//   npx tsx scripts/soak/load.ts                      # 1000 connections, 20 s
//   npx tsx scripts/soak/load.ts --connections 2000 --seconds 60
import { spawn } from 'node:child_process'
import { cpus } from 'node:os'
import { createHistogram } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { formEncode } from '../../src/auth/form-encoding.js'
import { onJsonLines } from './json-lines.js'

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '2' },
    'token-lifetime': { type: 'string', default: '60' },
    json: { type: 'boolean', default: false },
  },
})
const connections = Number(values.connections)
const seconds = Number(values.seconds)
const warmupSeconds = Number(values.warmup)

const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./load-server.ts', import.meta.url)), values['token-lifetime']], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
const serverStats: Array<{ rss: number; heapUsed: number; sockets: number; tokens: number }> = []
const port = await new Promise<number>((resolve, reject) => {
  onJsonLines(child.stdout, (line) => {
    const message = line as { port?: number; rss: number; heapUsed: number; sockets: number; tokens: number }
    if (message.port !== undefined) resolve(message.port)
    else serverStats.push(message)
  })
  child.once('exit', () => reject(new Error('the server process exited')))
})

const authorization = 'Basic ' + Buffer.from(`${formEncode('load')}:${formEncode('load:s3cret% +&=/')}`).toString('base64')
const pool = new Pool(`http://127.0.0.1:${port}`, { connections, pipelining: 1, keepAliveTimeout: 60_000, connectTimeout: 30_000 })
const latency = createHistogram()
const statuses: Record<string, number> = {}
const errors: Record<string, number> = {}
let measuring = false
let running = true
let completed = 0
let peakSockets = 0

const started = performance.now()
const loop = async (): Promise<void> => {
  while (running) {
    const t0 = performance.now()
    try {
      const response = await pool.request({
        path: '/token',
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&scope=api%3Aread',
      })
      await response.body.dump()
      if (measuring) {
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1
        latency.record(Math.max(1, Math.round((performance.now() - t0) * 1_000)))
        completed++
      }
    } catch (error) {
      const code = (error as { code?: string }).code ?? String(error)
      if (measuring) errors[code] = (errors[code] ?? 0) + 1
    }
  }
}
const loops = Array.from({ length: connections }, loop)
// Warm up, and wait (up to 30 s more) until the server holds every connection.
await new Promise((resolve) => setTimeout(resolve, warmupSeconds * 1_000))
for (let waited = 0; (serverStats.at(-1)?.sockets ?? 0) < connections && waited < 30_000; waited += 250) {
  await new Promise((resolve) => setTimeout(resolve, 250))
}
const connectedAfterWarmup = serverStats.at(-1)?.sockets ?? 0
measuring = true
const measureStart = performance.now()
const sampler = setInterval(() => (peakSockets = Math.max(peakSockets, serverStats.at(-1)?.sockets ?? 0)), 250)
await new Promise((resolve) => setTimeout(resolve, seconds * 1_000))
measuring = false
const measuredMs = performance.now() - measureStart
clearInterval(sampler)
running = false
await Promise.all(loops)
await pool.close()
child.kill('SIGTERM')
await new Promise((resolve) => child.once('exit', resolve))

const ms = (us: number): string => (us / 1_000).toFixed(1)
const report = {
  machine: `${cpus()[0]?.model ?? '?'}, ${cpus().length} cores, Node ${process.version}`,
  connections,
  serverSocketsAfterWarmup: connectedAfterWarmup,
  serverSocketsPeak: peakSockets,
  seconds: Math.round(measuredMs / 100) / 10,
  requests: completed,
  perSecond: Math.round(completed / (measuredMs / 1_000)),
  statuses,
  errors,
  latencyMs: { p50: ms(latency.percentile(50)), p90: ms(latency.percentile(90)), p99: ms(latency.percentile(99)), p999: ms(latency.percentile(99.9)), max: ms(latency.max) },
  serverRssPeakMiB: Math.round(Math.max(...serverStats.map((s) => s.rss)) / 1048576),
  serverHeapPeakMiB: Math.round(Math.max(...serverStats.map((s) => s.heapUsed)) / 1048576),
  serverTokensHeldPeak: Math.max(...serverStats.map((s) => s.tokens)),
  totalSeconds: Math.round((performance.now() - started) / 1_000),
}
if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n')
else {
  process.stdout.write(
    [
      `load: ${connections} keep-alive connections held, ${report.seconds} s measured after ${warmupSeconds} s warm-up (${report.machine})`,
      `server sockets: ${report.serverSocketsAfterWarmup} after warm-up, peak ${report.serverSocketsPeak}`,
      `requests: ${report.requests} (${report.perSecond}/s), statuses ${JSON.stringify(statuses)}, errors ${JSON.stringify(errors)}`,
      `latency: p50 ${report.latencyMs.p50} ms, p90 ${report.latencyMs.p90} ms, p99 ${report.latencyMs.p99} ms, p99.9 ${report.latencyMs.p999} ms, max ${report.latencyMs.max} ms`,
      `server: rss peak ${report.serverRssPeakMiB} MiB, heap peak ${report.serverHeapPeakMiB} MiB, tokens on record peak ${report.serverTokensHeldPeak} (token lifetime ${values['token-lifetime']} s)`,
    ].join('\n') + '\n',
  )
}
const ok = Object.keys(errors).length === 0 && Object.keys(statuses).every((status) => status === '200') && report.serverSocketsPeak >= connections * 0.95
process.exitCode = ok ? 0 : 1
