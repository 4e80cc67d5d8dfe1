// Section 1, the repeated (cached) call: sequential awaited calls for the same scope, in a process
// per client against a reference server of its own. A client with a cache is timed over rounds
// calibrated to last `cachedRoundMs` each; one without makes a request per call, so it runs
// `networkCallsPerRound` calls a round after a warm-up as in section 3.
import type { ClientTask } from '../children/client.js'
import { SCOPE } from '../config.js'
import type { Channel } from '../lib/ipc.js'
import { formatNs, median } from '../lib/stats.js'
import { calibrateCount, roundCount, timeCalls, timeRounds, warmUp } from '../lib/timing.js'
import type { CallResult } from '../results.js'
import { clientOf } from '../subjects/clients.js'
import { checkedAdapter, eachClientAlone, serverRequests } from './client-process.js'
import type { Section } from './section.js'

export const cached: Section<'cached'> = {
  id: 'cached',
  heading: () => '1. Repeated (cached) call',
  measure: (context) => eachClientAlone<CallResult>(context, 'cached', 180_000, (value) => `${formatNs(median(value.nsPerCall))} per call`),
}

/** In the client process: rounds of cached calls. */
export async function measureCached(task: ClientTask, channel: Channel): Promise<CallResult> {
  const { settings } = task
  const adapter = await checkedAdapter(task)
  const call = () => adapter.get(SCOPE)
  let count: number
  if (clientOf(task.client).caches) {
    // Calibrate: enough calls for a round to last `cachedRoundMs`; a warm-up round, then the count
    // again from its (warm) time.
    count = await calibrateCount(call, settings.cachedRoundMs)
    count = roundCount(await timeCalls(call, count), settings.cachedRoundMs)
  } else {
    count = settings.networkCallsPerRound
    await warmUp(call, count, settings.freshWarmup)
  }
  const before = await serverRequests(channel)
  const measured = await timeRounds(call, count, settings.cachedRounds)
  const requests = (await serverRequests(channel)) - before
  await adapter.close()
  return { ...measured, callsPerRound: count, requestsPerCall: requests / (count * settings.cachedRounds) }
}
