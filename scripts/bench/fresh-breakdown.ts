// Where TokenClient's time goes on a fresh acquisition, beside a raw undici.request: the same POST,
// then the same POST with the abort signals and timers TokenClient sets up per acquisition, then
// inside p-retry, then TokenClient itself. Interleaved rounds in one process, against a bare
// node:http server in another; client CPU per call is the figure to watch (it moves less than wall
// time when other processes share the machine).
//
//   npm run build && npx tsx scripts/bench/fresh-breakdown.ts [--server reference-opaque|bare-http] [--rounds 7] [--calls 2000]
import { parseArgs } from 'node:util'
import pRetry from 'p-retry'
import { Pool, request } from 'undici'
import { TokenClient } from 'oauth2-client-credentials'
import { BASIC_AUTHORIZATION, CLIENT_ID, CLIENT_SECRET, SCOPE, TOKEN_REQUEST_BODY } from './config.js'
import { killAll, startServerProcess } from './lib/processes.js'
import { median } from './lib/stats.js'
import type { ServerKind } from './servers.js'

const { values: args } = parseArgs({
  options: {
    server: { type: 'string', default: 'bare-http' },
    rounds: { type: 'string', default: '7' },
    calls: { type: 'string', default: '2000' },
  },
})
const rounds = Number(args.rounds)
const calls = Number(args.calls)

const server = await startServerProcess({ kind: args.server as ServerKind })
process.on('exit', killAll)
const tokenUrl = server.info.tokenUrl
const url = new URL(tokenUrl)
const pool = new Pool(url.origin, { keepAliveTimeout: 30_000 })
const headers = {
  accept: 'application/json',
  'content-type': 'application/x-www-form-urlencoded',
  'user-agent': 'bench/1',
  authorization: BASIC_AUTHORIZATION,
}
const closer = new AbortController()

async function readJson(body: AsyncIterable<Buffer>): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(chunk)
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

const client = new TokenClient({ tokenUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })

async function post(signal: AbortSignal): Promise<unknown> {
  const { body } = await request(url, { dispatcher: pool, method: 'POST', headers, body: TOKEN_REQUEST_BODY, signal })
  return readJson(body)
}

/**
 * The abort signals and timers of one acquisition as of d1e756c: a controller per request on the
 * wire (token-cache.ts), one linked to it for the deadline (with-retries.ts) and one linked to that
 * for the attempt timeout (post-form.ts), each with its timer.
 */
async function withSignals<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const flight = new AbortController()
  const deadline = link(flight.signal)
  const deadlineTimer = setTimeout(() => deadline.controller.abort(), 30_000)
  const attempt = link(deadline.controller.signal)
  const attemptTimer = setTimeout(() => attempt.controller.abort(), 10_000)
  try {
    return await work(attempt.controller.signal)
  } finally {
    clearTimeout(attemptTimer)
    attempt.unlink()
    clearTimeout(deadlineTimer)
    deadline.unlink()
  }
}

const variants: Record<string, () => Promise<unknown>> = {
  'raw undici.request (floor of npm run bench)': async () => {
    const { body } = await request(tokenUrl, { method: 'POST', headers, body: TOKEN_REQUEST_BODY })
    return body.json()
  },
  'raw, on a Pool, body read as TokenClient does': async () => {
    const { body } = await request(url, { dispatcher: pool, method: 'POST', headers, body: TOKEN_REQUEST_BODY })
    return readJson(body)
  },
  '+ signals and timers as TokenClient sets them up': () => withSignals((signal) => post(signal)),
  '+ inside p-retry, as with-retries.ts': () =>
    withSignals((signal) =>
      pRetry(() => post(signal), {
        retries: 3,
        minTimeout: 250,
        maxTimeout: 5_000,
        factor: 2,
        randomize: true,
        maxRetryTime: 30_000,
        signal,
        shouldRetry: async () => true,
      }),
    ),
  'TokenClient getToken(scope, { forceRefresh: true })': () => client.getToken(SCOPE, { forceRefresh: true }),
}

/** An AbortController that aborts with `parent`, linked by a listener (no AbortSignal.any). */
function link(parent: AbortSignal): { controller: AbortController; unlink: () => void } {
  const controller = new AbortController()
  const onAbort = () => controller.abort(parent.reason)
  parent.addEventListener('abort', onAbort, { once: true })
  return { controller, unlink: () => parent.removeEventListener('abort', onAbort) }
}

async function measure(call: () => Promise<unknown>, count: number): Promise<{ wall: number; cpu: number }> {
  const cpuBefore = process.cpuUsage()
  const start = process.hrtime.bigint()
  for (let index = 0; index < count; index++) await call()
  const wall = Number(process.hrtime.bigint() - start) / count / 1000
  const cpu = process.cpuUsage(cpuBefore)
  return { wall, cpu: (cpu.user + cpu.system) / count }
}

for (const call of Object.values(variants)) await measure(call, Math.ceil(calls / 2))
const seen: Record<string, { wall: number[]; cpu: number[] }> = {}
for (let round = 0; round < rounds; round++) {
  for (const [name, call] of Object.entries(variants)) {
    const { wall, cpu } = await measure(call, calls)
    const entry = (seen[name] ??= { wall: [], cpu: [] })
    entry.wall.push(wall)
    entry.cpu.push(cpu)
  }
}

console.log(`Fresh acquisition against ${args.server}, Node ${process.version}: medians of ${rounds} interleaved rounds of ${calls} calls`)
console.log(`${'variant'.padEnd(54)}${'wall µs/call'.padStart(14)}${'client CPU µs/call'.padStart(20)}`)
for (const [name, { wall, cpu }] of Object.entries(seen)) {
  console.log(`${name.padEnd(54)}${median(wall).toFixed(1).padStart(14)}${median(cpu).toFixed(1).padStart(20)}`)
}
await client.close()
await pool.close()
await server.stop()
