// Section 4, memory: the heap a client holds with 10,000 distinct cached scopes, in a process per
// client started with --expose-gc (so that `gc()` can settle the heap before each reading), against
// a reference server of its own that also registers the memory client. Only the clients with a
// cache take part: the others hold nothing.
import type { MemoryTask } from '../children/memory.js'
import { MEMORY_CLIENT_ID, MEMORY_SCOPES, memoryScope } from '../config.js'
import type { Channel } from '../lib/ipc.js'
import { spawnTracked, withServer } from '../lib/processes.js'
import { formatBytes, formatCount, median } from '../lib/stats.js'
import type { MemoryRound } from '../results.js'
import { CLIENTS, createAdapter, type ClientAdapter } from '../subjects/clients.js'
import { COUNTING_REFERENCE, serverRequests } from './client-process.js'
import { eachClientInTurn, type Section } from './section.js'

export const memory: Section<'memory'> = {
  id: 'memory',
  heading: () => `4. Memory, ${formatCount(MEMORY_SCOPES)} cached scopes`,
  measure(context) {
    const { settings } = context
    const caching = CLIENTS.filter((client) => client.caches && context.clients.includes(client.id)).map((client) => client.id)
    return eachClientInTurn(
      context,
      caching,
      (client) =>
        withServer<MemoryRound[]>({ ...COUNTING_REFERENCE, memoryClient: true }, (server) =>
          spawnTracked<MemoryRound[]>('memory.ts', { client, server: server.info, rounds: settings.memoryRounds, fillBudgetMs: settings.memoryFillBudgetMs } satisfies MemoryTask, {
            nodeArgs: ['--expose-gc'],
            timeoutMs: 60_000 + settings.memoryRounds * (settings.memoryFillBudgetMs + 30_000),
            handlers: { tokenRequests: () => server.tokenRequests() },
          }),
        ),
      (rounds) => formatBytes(median(rounds.map((round) => round.heapBytes))),
    )
  },
}

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

async function round(task: MemoryTask, channel: Channel): Promise<MemoryRound> {
  const requests = () => serverRequests(channel)
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

/** In the memory process: a warm-up, then `task.rounds` rounds, a new client each. */
export async function measureMemory(task: MemoryTask, channel: Channel): Promise<MemoryRound[]> {
  // Warm-up: load the library's modules and compile its paths, so the rounds measure only data.
  const warm = await createAdapter(task.client, task.server, { clientId: MEMORY_CLIENT_ID, maxEntries: MEMORY_SCOPES })
  await warm.get(memoryScope(0))
  await warm.close()
  const rounds: MemoryRound[] = []
  for (let index = 0; index < task.rounds; index++) rounds.push(await round(task, channel))
  return rounds
}
