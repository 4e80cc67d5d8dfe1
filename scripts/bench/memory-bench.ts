// Heap used by a client holding 10,000 distinct cached scopes, in a process of its own started
// with --expose-gc (by run.ts), so that `gc()` can settle the heap before each reading.
import { MEMORY_CLIENT_ID, MEMORY_SCOPES, memoryScope } from './config.js'
import { createAdapter, type ClientAdapter, type ClientId } from './clients.js'
import { runTask, taskOf, type Channel } from './lib/ipc.js'
import type { ServerInfo } from './servers.js'

export interface MemoryTask {
  readonly client: ClientId
  readonly server: ServerInfo
  readonly rounds: number
  /** Filling stops after this long, and the round reports how many scopes it got to. */
  readonly fillBudgetMs: number
}

export interface MemoryRound {
  /** Scopes cached: 10,000, unless filling ran out of time. */
  readonly filled: number
  /** Heap used by the client and its cached tokens: with them, less before the client existed. */
  readonly heapBytes: number
  /** Each token after the first: (heap with all - heap with one) / (filled - 1). */
  readonly bytesPerToken: number
  /** Token requests while filling (10,000 when every scope was asked for once). */
  readonly fillRequests: number
  /** Token requests while asking again for 100 of the scopes: 0 when they all came from the cache. */
  readonly repeatRequests: number
  readonly fillMs: number
}

const task = taskOf<MemoryTask>()
const FILL_CONCURRENCY = 32

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect === undefined) throw new Error('run node with --expose-gc')
  collect()
  collect()
  collect()
}

async function heapUsed(): Promise<number> {
  // Let finished requests release their sockets' buffers and timers before collecting.
  await new Promise((resolve) => setTimeout(resolve, 50))
  gc()
  return process.memoryUsage().heapUsed
}

/** Asks for scopes `from` to `to` - 1, until `deadline`; resolves with the number of scopes done. */
async function fill(adapter: ClientAdapter, from: number, to: number, deadline = Infinity): Promise<number> {
  let next = from
  let done = 0
  const worker = async () => {
    while (next < to && performance.now() < deadline) {
      const scope = memoryScope(next++)
      const token = adapter.tokenOf(await adapter.get(scope))
      if (typeof token !== 'string') throw new Error(`no token for ${scope}`)
      done += 1
    }
  }
  await Promise.all(Array.from({ length: FILL_CONCURRENCY }, worker))
  return done
}

async function round(channel: Channel): Promise<MemoryRound> {
  const requests = () => channel.request<number>('tokenRequests')
  const empty = await heapUsed()
  let adapter: ClientAdapter | undefined = await createAdapter(task.client, task.server, {
    clientId: MEMORY_CLIENT_ID,
    maxEntries: MEMORY_SCOPES,
  })
  const beforeFill = await requests()
  const start = performance.now()
  await fill(adapter, 0, 1)
  const one = await heapUsed()
  const filled = 1 + (await fill(adapter, 1, MEMORY_SCOPES, start + task.fillBudgetMs))
  const fillMs = performance.now() - start
  const fillRequests = (await requests()) - beforeFill
  const all = await heapUsed()

  const beforeRepeat = await requests()
  for (let index = 0; index < filled; index += Math.ceil(filled / 100)) await adapter.get(memoryScope(index))
  const repeatRequests = (await requests()) - beforeRepeat

  await adapter.close()
  adapter = undefined
  return {
    filled,
    heapBytes: all - empty,
    bytesPerToken: filled > 1 ? (all - one) / (filled - 1) : Number.NaN,
    fillRequests,
    repeatRequests,
    fillMs,
  }
}

runTask(async (channel) => {
  // Warm-up: load the library's modules and compile its paths, so the rounds measure only data.
  const warm = await createAdapter(task.client, task.server, { clientId: MEMORY_CLIENT_ID, maxEntries: MEMORY_SCOPES })
  await warm.get(memoryScope(0))
  await warm.close()
  const rounds: MemoryRound[] = []
  for (let index = 0; index < task.rounds; index++) rounds.push(await round(channel))
  return rounds
})
