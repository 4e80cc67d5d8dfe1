// Section 3, fresh acquisition: a new token on every call, one call at a time. All clients run at
// once against one server process, each in a process of its own, and take turns (lib/turns.ts):
// one timed round each per rotation, so that a change in load falls on all alike. The
// `freshProcesses` batches of processes run one after another, since one process runs a few
// percent faster or slower than the next, whatever the code.
import type { ClientTask } from '../children/client.js'
import { SCOPE, type Settings } from '../config.js'
import type { Outcome } from '../lib/child.js'
import type { Channel } from '../lib/ipc.js'
import { startServerProcess, type ServerProcess } from '../lib/processes.js'
import { formatNs, median } from '../lib/stats.js'
import { timeCalls, timeRound, warmUp } from '../lib/timing.js'
import { conductTurns, takeTurns } from '../lib/turns.js'
import type { CallResult, Results } from '../results.js'
import type { ClientAdapter, ClientId } from '../subjects/clients.js'
import { checkedAdapter, COUNTING_REFERENCE, serverRequests, startClientProcess } from './client-process.js'
import { CLIENT_COLUMN, failedAll, progressOfAll, type Section, type SectionContext } from './section.js'

export const fresh: Section<'fresh'> = {
  id: 'fresh',
  heading: (settings) => `3. Fresh acquisition (${settings.freshProcesses} batches of processes x ${settings.freshRounds} rounds, interleaved)`,
  async measure(context) {
    const since = performance.now()
    const outcomes = await interleaved(context)
    progressOfAll(context, context.clients, CLIENT_COLUMN, outcomes, since, (value) => `${formatNs(median(value.nsPerCall))} per call`)
    return outcomes
  },
}

async function interleaved({ clients, settings }: SectionContext): Promise<Results['fresh']> {
  let server: ServerProcess | undefined
  try {
    server = await startServerProcess(COUNTING_REFERENCE)
    const shared = server
    // One batch of processes (one per client) after the other: with more processes taking turns at
    // once, each would wait longer between its rounds, long enough for V8 to shrink an idle heap.
    const batches: Array<Results['fresh']> = []
    for (let batch = 0; batch < settings.freshProcesses; batch++) {
      batches.push(
        await conductTurns(clients, (client) => startClientProcess<CallResult>(client, 'fresh', shared, settings, 600_000), {
          recorded: settings.freshRounds,
          unrecorded: settings.freshUnrecordedRotations,
        }),
      )
    }
    return Object.fromEntries(clients.map((client) => [client, mergeProcesses(batches.map((batch) => batch[client]))]))
  } catch (error) {
    return failedAll<ClientId, CallResult>(clients, error)
  } finally {
    await server?.stop()
  }
}

/** One client's rounds from all its processes, in process order (so that round i pairs with round i of another client). */
export function mergeProcesses(outcomes: ReadonlyArray<Outcome<CallResult> | undefined>): Outcome<CallResult> {
  const values: CallResult[] = []
  for (const outcome of outcomes) {
    if (outcome === undefined) return { ok: false, error: 'not run' }
    if (!outcome.ok) return outcome
    values.push(outcome.value)
  }
  const rounds = values.reduce((sum, value) => sum + value.nsPerCall.length, 0)
  return {
    ok: true,
    value: {
      nsPerCall: values.flatMap((value) => value.nsPerCall),
      cpuNsPerCall: values.flatMap((value) => value.cpuNsPerCall),
      callsPerRound: values[0]?.callsPerRound ?? 0,
      requestsPerCall: values.reduce((sum, value) => sum + value.requestsPerCall * value.nsPerCall.length, 0) / Math.max(1, rounds),
    },
  }
}

/**
 * In the client process, in turns with the other clients: checked and warmed up once, then each
 * round a short re-warm (the other clients ran meanwhile) and a timed round, kept unless it
 * belongs to the first, unrecorded rotations.
 */
export function measureFresh(task: ClientTask, channel: Channel): Promise<CallResult> {
  return measureFreshWith(() => checkedAdapter(task), task.settings, channel)
}

/** {@link measureFresh} of any adapter (section 3b's subjects are not clients of the other sections). */
export function measureFreshWith(create: () => Promise<ClientAdapter>, settings: Settings, channel: Channel): Promise<CallResult> {
  let adapter: ClientAdapter | undefined
  const call = () => (adapter as ClientAdapter).fresh(SCOPE)
  return timeFreshRounds(settings, channel, {
    call,
    async prepare() {
      adapter = await create()
      const token = adapter.tokenOf(await call())
      if (typeof token !== 'string' || token.length < 20) throw new Error('the forced acquisition returned no access token')
    },
    close: async () => adapter?.close(),
  })
}

/** What {@link timeFreshRounds} times: made and checked once (`prepare`), then `call` round by round. */
export interface FreshSubject {
  readonly call: () => Promise<unknown>
  prepare(): Promise<void>
  close(): Promise<unknown>
}

/**
 * Section 3's rounds of any call, in turns with the other subjects: prepared and warmed up once,
 * then each round a short re-warm (the others ran meanwhile) and a timed round of `freshCalls`,
 * kept unless it belongs to the first, unrecorded rotations; the token requests the server counted
 * during the kept rounds, per call.
 */
export function timeFreshRounds(settings: Settings, channel: Channel, subject: FreshSubject): Promise<CallResult> {
  const { call } = subject
  const nsPerCall: number[] = []
  const cpuNsPerCall: number[] = []
  let requests = 0
  return takeTurns(channel, {
    async prepare() {
      await subject.prepare()
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
      await subject.close()
      return { nsPerCall, cpuNsPerCall, callsPerRound: settings.freshCalls, requestsPerCall: requests / (settings.freshCalls * nsPerCall.length) }
    },
  })
}
