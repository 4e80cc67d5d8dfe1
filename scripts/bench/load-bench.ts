// The load generator, in a process of its own (started by run.ts) while the server under test runs
// in another: autocannon POSTs the same token request (Basic auth, form body) over keep-alive
// connections. Checks first that the server answers it with a token, then takes turns with the
// load generators of the other servers (lib/turns.ts): one round each per rotation.
// @ts-expect-error -- autocannon ships no type declarations (and @types/autocannon is not installed); narrowed below.
import untypedAutocannon from 'autocannon'
import { request } from 'undici'
import { BASIC_AUTHORIZATION, TOKEN_REQUEST_BODY, type Settings } from './config.js'
import { runTask, taskOf } from './lib/ipc.js'
import { takeTurns } from './lib/turns.js'
import type { ServerUsage } from './server-process.js'

export interface LoadTask {
  readonly tokenUrl: string
  readonly settings: Settings
}

export interface LoadRound {
  /** 2xx answers per second over the round. */
  readonly tokensPerSecond: number
  /** Latency percentiles of the 2xx answers, ms (autocannon's resolution is 1 ms). */
  readonly p50Ms: number
  readonly p99Ms: number
  readonly non2xx: number
  readonly errors: number
  /** CPU time the server process used, as a share of the round's wall time (1 = one core busy). */
  readonly serverCpu: number
  /** Server CPU time per 2xx answer, in microseconds: what a token costs the server, load or no load. */
  readonly serverCpuMicrosPerToken: number
  /** The server process's heap used at the end of the round (not collected first). */
  readonly serverHeapBytes: number
}

interface AutocannonResult {
  readonly '2xx': number
  readonly non2xx: number
  readonly errors: number
  readonly timeouts: number
  readonly duration: number
  readonly latency: { readonly p50: number; readonly p99: number }
}

type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>
const autocannon = untypedAutocannon as Autocannon

const task = taskOf<LoadTask>()

const HEADERS = {
  authorization: BASIC_AUTHORIZATION,
  'content-type': 'application/x-www-form-urlencoded',
  accept: 'application/json',
}

async function checkServer(): Promise<void> {
  const { statusCode, body } = await request(task.tokenUrl, { method: 'POST', headers: HEADERS, body: TOKEN_REQUEST_BODY })
  const json = (await body.json()) as { access_token?: unknown }
  if (statusCode !== 200 || typeof json.access_token !== 'string') {
    throw new Error(`the server answered the token request ${statusCode} ${JSON.stringify(json).slice(0, 200)}`)
  }
}

function load(seconds: number): Promise<AutocannonResult> {
  return autocannon({
    url: task.tokenUrl,
    method: 'POST',
    headers: HEADERS,
    body: TOKEN_REQUEST_BODY,
    connections: task.settings.loadConnections,
    pipelining: 1,
    duration: seconds,
  })
}

runTask((channel) => {
  const rounds: LoadRound[] = []
  return takeTurns(channel, {
    async prepare() {
      await checkServer()
      await load(task.settings.loadWarmupSeconds)
    },
    async round(record) {
      // The other servers were under load meanwhile: new connections, and this server back to warm.
      await load(task.settings.loadRewarmSeconds)
      const before = await channel.request<ServerUsage>('serverUsage')
      const started = performance.now()
      const result = await load(task.settings.loadSeconds)
      const wallMs = performance.now() - started
      const after = await channel.request<ServerUsage>('serverUsage')
      if (!record) return
      rounds.push({
        tokensPerSecond: result['2xx'] / (wallMs / 1000),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
        serverCpu: (after.cpuMicros - before.cpuMicros) / 1000 / wallMs,
        serverCpuMicrosPerToken: (after.cpuMicros - before.cpuMicros) / Math.max(1, result['2xx']),
        serverHeapBytes: after.heapUsed,
      })
    },
    async finish() {
      return rounds
    },
  })
})
