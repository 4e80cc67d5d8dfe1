// Section 7, observability: what the telemetry costs the cached getToken (docs/observability.md).
// Three subjects, each in a process of its own (an OpenTelemetry SDK registers globally, so no two
// can share one), taking turns round by round (lib/turns.ts) against one counting reference server:
//   - none: a TokenClient with no SDK registered and no subscriber;
//   - metrics-sdk: the same, with @opentelemetry/sdk-metrics' MeterProvider (with a reader)
//     registered as the global meter provider before the client is made;
//   - cache-subscriber: the same, with a subscriber on the cache channel
//     (`oauth2-client-credentials:cache`, which hears every lookup, hits included).
// Each round is `getToken(scope)` on a warm cache, as many calls as last about `cachedRoundMs`
// (calibrated in each process, as section 1), after a short re-warm. Ratios are paired: each
// subject's round over the `none` round of the same rotation. Each process checks before it starts
// that what it measures is on (the SDK's counter, the subscriber's messages count the hits).
import { subscribe } from 'node:diagnostics_channel'
import { CLIENT_ID, CLIENT_SECRET, SCOPE, type Settings } from '../config.js'
import type { Channel } from '../lib/ipc.js'
import { spawnTracked, startServerProcess, type ServerProcess } from '../lib/processes.js'
import { formatNs, formatRatio, median } from '../lib/stats.js'
import { calibrateCount, roundCount, timeCalls, timeRound, warmUp } from '../lib/timing.js'
import { conductTurns, takeTurns } from '../lib/turns.js'
import type { Outcome } from '../lib/child.js'
import type { ServerInfo } from '../subjects/servers.js'
import { serverRequests } from './client-process.js'
import { failedAll, progressOfAll, type Section, type SectionContext } from './section.js'

export const OBSERVABILITY_SUBJECTS = [
  { id: 'none', label: 'no SDK, no subscriber', how: 'a TokenClient in a process with no OpenTelemetry SDK registered and no diagnostics_channel subscriber.' },
  {
    id: 'metrics-sdk',
    label: 'OTel metrics SDK registered',
    how:
      '`metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))` (@opentelemetry/sdk-metrics 2.x, a reader collected only ' +
      "at the end, to check that the hits were counted) before the client is made: every hit counts into the `oauth2.client.cache.lookups` asynchronous counter's integers.",
  },
  {
    id: 'cache-subscriber',
    label: 'subscriber on the cache channel',
    how: "`subscribe('oauth2-client-credentials:cache', listener)`, a listener that counts: every hit builds and publishes a `CacheLookupMessage`.",
  },
] as const

export type ObservabilitySubjectId = (typeof OBSERVABILITY_SUBJECTS)[number]['id']
const SUBJECT_IDS: readonly ObservabilitySubjectId[] = OBSERVABILITY_SUBJECTS.map((subject) => subject.id)
const SUBJECT_COLUMN = 18

/** One subject's process: wall and CPU nanoseconds per cached call, each recorded round. */
export interface ObservabilityResult {
  readonly nsPerCall: readonly number[]
  readonly cpuNsPerCall: readonly number[]
  readonly callsPerRound: number
  /** Token requests the server saw during the recorded rounds (0: every call a hit). */
  readonly tokenRequests: number
  /** Hits the SDK's counter or the subscriber saw over the whole process (0 for `none`, which has neither). */
  readonly hitsObserved: number
}

/** Section 7's outcomes, by subject. */
export type ObservabilityResults = Partial<Record<ObservabilitySubjectId, Outcome<ObservabilityResult>>>

/** What a process of section 7 is given (children/observability-client.ts). */
export interface ObservabilityTask {
  readonly subject: ObservabilitySubjectId
  readonly server: ServerInfo
  readonly settings: Settings
}

/** Rotations of the three subjects, recorded and not. */
export const observabilityRotations = (settings: Settings): { recorded: number; unrecorded: number } =>
  settings.quick ? { recorded: 8, unrecorded: 1 } : { recorded: 16, unrecorded: 2 }

const COUNTING = { kind: 'reference-opaque', count: true } as const

export const observability: Section<'observability'> = {
  id: 'observability',
  heading: (settings) =>
    `7. Observability: cached getToken with no SDK and no subscriber, with the OTel metrics SDK, with a cache-channel subscriber ` +
    `(a process each, ${observabilityRotations(settings).recorded} interleaved rounds)`,
  async measure(context) {
    const since = performance.now()
    const outcomes = await interleaved(context)
    progressOfAll(context, SUBJECT_IDS, SUBJECT_COLUMN, outcomes, since, (value) => summary(value, ok(outcomes.none)))
    return outcomes
  },
}

const ok = <T>(outcome: Outcome<T> | undefined): T | undefined => (outcome?.ok === true ? outcome.value : undefined)

function summary(value: ObservabilityResult, none: ObservabilityResult | undefined): string {
  const paired = none === undefined ? Number.NaN : median(value.nsPerCall.map((ns, round) => ns / (none.nsPerCall[round] ?? Number.NaN)))
  return `${formatNs(median(value.nsPerCall))} per call (${formatRatio(paired)} of no SDK, paired)`
}

async function interleaved({ settings }: SectionContext): Promise<ObservabilityResults> {
  let server: ServerProcess | undefined
  try {
    server = await startServerProcess(COUNTING)
    const shared = server
    return await conductTurns(
      SUBJECT_IDS,
      (subject) =>
        spawnTracked<ObservabilityResult>('observability-client.ts', { subject, server: shared.info, settings } satisfies ObservabilityTask, {
          timeoutMs: 600_000,
          handlers: { tokenRequests: () => shared.tokenRequests() },
        }),
      observabilityRotations(settings),
    )
  } catch (error) {
    return failedAll<ObservabilitySubjectId, ObservabilityResult>(SUBJECT_IDS, error)
  } finally {
    await server?.stop()
  }
}

// In the child process (children/observability-client.ts) from here on.

/** Sets the subject up before the client exists (an SDK is seen when a client is made); returns how many hits it has observed so far. */
async function setUpSubject(subject: ObservabilitySubjectId): Promise<() => Promise<number>> {
  if (subject === 'none') return async () => 0
  if (subject === 'cache-subscriber') {
    let hits = 0
    subscribe('oauth2-client-credentials:cache', (message) => {
      if ((message as { result?: string }).result === 'hit') hits++
    })
    return async () => hits
  }
  const { metrics } = await import('@opentelemetry/api')
  const { MeterProvider, MetricReader } = await import('@opentelemetry/sdk-metrics')
  class Reader extends MetricReader {
    protected override async onShutdown(): Promise<void> {}
    protected override async onForceFlush(): Promise<void> {}
  }
  const reader = new Reader()
  if (!metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))) throw new Error('a meter provider was registered already')
  return async () => {
    const { resourceMetrics } = await reader.collect()
    let hits = 0
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        if (metric.descriptor.name !== 'oauth2.client.cache.lookups') continue
        for (const point of metric.dataPoints) if (point.attributes['oauth2.cache.result'] === 'hit') hits += point.value as number
      }
    }
    return hits
  }
}

/** One subject, in turns with the others: set up, calibrated and warmed up once, then a re-warm and a timed round per turn. */
export async function measureObservability(task: ObservabilityTask, channel: Channel): Promise<ObservabilityResult> {
  const { settings, subject } = task
  const observed = await setUpSubject(subject)
  const { TokenClient } = await import('oauth2-client-credentials')
  const client = new TokenClient({ tokenUrl: task.server.tokenUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
  const call = () => client.getToken(SCOPE)
  const nsPerCall: number[] = []
  const cpuNsPerCall: number[] = []
  let count = 1_000
  let tokenRequests = 0
  return takeTurns(channel, {
    async prepare() {
      const token = await client.getToken(SCOPE)
      if (token.accessToken.length < 20) throw new Error('the client did not return an access token')
      count = await calibrateCount(call, settings.cachedRoundMs)
      await warmUp(call, count, count)
      count = roundCount(await timeCalls(call, count), settings.cachedRoundMs)
      if (subject !== 'none' && (await observed()) === 0) throw new Error(`${subject}: no hit was observed; the subject is not what it says`)
    },
    async round(record) {
      await timeCalls(call, Math.ceil(count / 10))
      const before = await serverRequests(channel)
      const { ns, cpuNs } = await timeRound(call, count)
      if (!record) return
      tokenRequests += (await serverRequests(channel)) - before
      nsPerCall.push(ns)
      cpuNsPerCall.push(cpuNs)
    },
    async finish() {
      const hitsObserved = await observed()
      await client.close()
      return { nsPerCall, cpuNsPerCall, callsPerRound: count, tokenRequests, hitsObserved }
    },
  })
}
