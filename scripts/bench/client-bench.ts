// One client, one scenario, in a process of its own (started by run.ts): the cost of a cached call,
// a fresh acquisition, or a cold stampede. The parent relays `tokenRequests` to the server process,
// so what the server saw is counted there, not trusted from the client.
import { SCOPE, type Settings } from './config.js'
import { createAdapter, clientInfo, type ClientAdapter, type ClientId } from './clients.js'
import { runTask, taskOf, type Channel } from './lib/ipc.js'
import { takeTurns } from './lib/turns.js'
import type { ServerInfo } from './servers.js'

export type ClientScenario = 'cached' | 'fresh' | 'stampede'

export interface ClientTask {
  readonly client: ClientId
  readonly scenario: ClientScenario
  readonly server: ServerInfo
  readonly settings: Settings
}

/** Cached calls and fresh acquisitions: nanoseconds per call in each round. */
export interface CallResult {
  readonly nsPerCall: readonly number[]
  /** CPU time of the client process per call, each round (the client's own cost, wherever the time went). */
  readonly cpuNsPerCall: readonly number[]
  readonly callsPerRound: number
  /** Token requests the server saw per measured call. */
  readonly requestsPerCall: number
}

export interface StampedeRound {
  readonly ms: number
  readonly requests: number
  readonly failed: number
}

export interface StampedeResult {
  /** By concurrency. */
  readonly sizes: Readonly<Record<number, readonly StampedeRound[]>>
  /** The first failure seen, if any call failed. */
  readonly firstError?: string
}

const task = taskOf<ClientTask>()

const serverRequests = (channel: Channel) => channel.request<number>('tokenRequests')

async function timeCalls(call: () => Promise<unknown>, count: number): Promise<number> {
  return (await timeRound(call, count)).ns
}

/** Wall and CPU nanoseconds per call over `count` sequential awaited calls. */
async function timeRound(call: () => Promise<unknown>, count: number): Promise<{ ns: number; cpuNs: number }> {
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  for (let index = 0; index < count; index++) await call()
  const ns = Number(process.hrtime.bigint() - start) / count
  const { user, system } = process.cpuUsage(cpu)
  return { ns, cpuNs: ((user + system) * 1000) / count }
}

/**
 * Warm-up: rounds of `count` calls until one is no more than 10% faster than the one before (JIT
 * tiers, connection and CPU state settle over the first thousands of calls), at least `min` calls.
 */
async function warmUp(call: () => Promise<unknown>, count: number, min: number): Promise<void> {
  await timeCalls(call, min)
  let previous = await timeCalls(call, count)
  for (let round = 0; round < 6; round++) {
    const ns = await timeCalls(call, count)
    if (ns > previous * 0.9) return
    previous = ns
  }
}

async function rounds(call: () => Promise<unknown>, count: number, times: number): Promise<{ nsPerCall: number[]; cpuNsPerCall: number[] }> {
  const nsPerCall: number[] = []
  const cpuNsPerCall: number[] = []
  for (let round = 0; round < times; round++) {
    const { ns, cpuNs } = await timeRound(call, count)
    nsPerCall.push(ns)
    cpuNsPerCall.push(cpuNs)
  }
  return { nsPerCall, cpuNsPerCall }
}

async function checkedAdapter(): Promise<ClientAdapter> {
  const adapter = await createAdapter(task.client, task.server)
  const token = adapter.tokenOf(await adapter.get(SCOPE))
  if (typeof token !== 'string' || token.length < 20) throw new Error('the client did not return an access token')
  return adapter
}

async function cached(channel: Channel): Promise<CallResult> {
  const { settings } = task
  const adapter = await checkedAdapter()
  const call = () => adapter.get(SCOPE)
  let count: number
  if (clientInfo(task.client).caches) {
    // Calibrate: enough calls for a round to last `cachedRoundMs`.
    count = 1_000
    let ns = await timeCalls(call, count)
    while (ns * count < 20e6) {
      count *= 2
      ns = await timeCalls(call, count)
    }
    count = Math.max(1_000, Math.ceil((settings.cachedRoundMs * 1e6) / ns))
    // A warm-up round, then the count again from its (warm) time.
    ns = await timeCalls(call, count)
    count = Math.max(1_000, Math.ceil((settings.cachedRoundMs * 1e6) / ns))
  } else {
    count = settings.networkCallsPerRound
    await warmUp(call, count, settings.freshWarmup)
  }
  const before = await serverRequests(channel)
  const measured = await rounds(call, count, settings.cachedRounds)
  const requests = (await serverRequests(channel)) - before
  await adapter.close()
  return { ...measured, callsPerRound: count, requestsPerCall: requests / (count * settings.cachedRounds) }
}

/**
 * Fresh acquisition, in turns with the other clients (lib/turns.ts): checked and warmed up once,
 * then each round a short re-warm (the other clients ran meanwhile) and a timed round, kept unless
 * it belongs to the first, unrecorded rotations.
 */
function fresh(channel: Channel): Promise<CallResult> {
  const { settings } = task
  let adapter: ClientAdapter | undefined
  const call = () => (adapter as ClientAdapter).fresh(SCOPE)
  const nsPerCall: number[] = []
  const cpuNsPerCall: number[] = []
  let requests = 0
  return takeTurns(channel, {
    async prepare() {
      adapter = await checkedAdapter()
      const token = adapter.tokenOf(await call())
      if (typeof token !== 'string' || token.length < 20) throw new Error('the forced acquisition returned no access token')
      await warmUp(call, settings.freshCalls, settings.freshWarmup)
    },
    async round(record) {
      await timeCalls(call, settings.freshRewarm)
      const before = await serverRequests(channel)
      const { ns, cpuNs } = await timeRound(call, settings.freshCalls)
      if (!record) return
      requests += (await serverRequests(channel)) - before
      nsPerCall.push(ns)
      cpuNsPerCall.push(cpuNs)
    },
    async finish() {
      await adapter?.close()
      return { nsPerCall, cpuNsPerCall, callsPerRound: settings.freshCalls, requestsPerCall: requests / (settings.freshCalls * nsPerCall.length) }
    },
  })
}

async function stampede(channel: Channel): Promise<StampedeResult> {
  const { settings } = task
  let firstError: string | undefined
  const once = async (size: number): Promise<StampedeRound> => {
    const adapter = await createAdapter(task.client, task.server)
    const before = await serverRequests(channel)
    const start = process.hrtime.bigint()
    const calls: Promise<unknown>[] = []
    for (let index = 0; index < size; index++) calls.push(adapter.get(SCOPE))
    const results = await Promise.allSettled(calls)
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    const requests = (await serverRequests(channel)) - before
    let failed = 0
    for (const result of results) {
      if (result.status === 'fulfilled') continue
      failed += 1
      firstError ??= describe(result.reason)
    }
    await adapter.close()
    return { ms, requests, failed }
  }
  await once(10) // warm-up: modules loaded, code paths compiled
  const sizes: Record<number, StampedeRound[]> = {}
  for (const size of settings.stampedeSizes) {
    const rounds: StampedeRound[] = []
    for (let round = 0; round < (settings.stampedeRounds[size] ?? 1); round++) {
      rounds.push(await once(size))
      await new Promise((resolve) => setTimeout(resolve, 100)) // let closed sockets drain
    }
    sizes[size] = rounds
  }
  return firstError === undefined ? { sizes } : { sizes, firstError }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : ''
    return `${typeof code === 'string' ? `${code}: ` : ''}${error.message}${cause}`.slice(0, 300)
  }
  return String(error).slice(0, 300)
}

runTask(async (channel) => {
  switch (task.scenario) {
    case 'cached':
      return cached(channel)
    case 'fresh':
      return fresh(channel)
    case 'stampede':
      return stampede(channel)
  }
})
