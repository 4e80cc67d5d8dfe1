// Section 2, the cold stampede: all calls start at once on a client with an empty cache (a new
// client each round, after a warm-up stampede of 10), in a process per client against a reference
// server of its own that counts the token requests.
import type { ClientTask } from '../children/client.js'
import { SCOPE } from '../config.js'
import type { Channel } from '../lib/ipc.js'
import { formatNs, median } from '../lib/stats.js'
import type { StampedeResult, StampedeRound } from '../results.js'
import { createAdapter } from '../subjects/clients.js'
import { eachClientAlone, serverRequests } from './client-process.js'
import type { Section } from './section.js'

export const stampede: Section<'stampede'> = {
  id: 'stampede',
  heading: () => '2. Cold stampede',
  measure: (context) =>
    eachClientAlone<StampedeResult>(context, 'stampede', 300_000, (value) =>
      Object.entries(value.sizes)
        .map(([size, rounds]) => `n=${size}: ${median(rounds.map((round) => round.requests))} requests, ${formatNs(median(rounds.map((round) => round.ms)) * 1e6)}`)
        .join('; '),
    ),
}

/** In the client process: stampedes of each size, a new client each. */
export async function measureStampede(task: ClientTask, channel: Channel): Promise<StampedeResult> {
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

/** A failed call, for the notes under the table: its code, message and cause. */
function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : ''
    return `${typeof code === 'string' ? `${code}: ` : ''}${error.message}${cause}`.slice(0, 300)
  }
  return String(error).slice(0, 300)
}
