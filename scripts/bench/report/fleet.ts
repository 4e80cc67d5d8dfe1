// Section 6, the fleet on Redis: its tables (6a to 6e), the estimate at 1,000 and 10,000 processes
// worked out from what was measured (6f), its targets, and the values its prose in the template needs.
import type { StoreCounts } from '../../fleet/fleet.js'
import type { Outcome } from '../lib/child.js'
import { formatCount, formatNs, formatRatio, formatSpread, max, median, significant } from '../lib/stats.js'
import type { FleetColdResult, FleetResult, FleetSteadyResult, Results } from '../results.js'
import { firstLine, ok, pairedRatio, rangeText } from './figures.js'
import { markdownTable, type Table } from './table.js'
import type { Target } from './targets.js'

/** The processes the estimate is worked out for. */
const SCALES = [1_000, 10_000] as const
/** Timer slack allowed on top of the operation timeout before the breaker opens (a timer fires late by a millisecond or so). */
const TIMER_SLACK_MS = 10
/**
 * Section 6e's "within noise": the paired ratio of rounds within this of 1, or within the spread of the
 * rounds without a shared cache (half their range over their median) when that is larger: the noise of
 * the machine, measured on the baseline itself.
 */
const HIT_NOISE = 0.05
const hitNoise = (withoutNs: readonly number[]): number => {
  const middle = median(withoutNs)
  const spread = withoutNs.length < 2 || !(middle > 0) ? 0 : (max(withoutNs) - Math.min(...withoutNs)) / 2 / middle
  return Math.max(HIT_NOISE, spread)
}

export const fleetOutcome = (results: Results): Outcome<FleetResult> | undefined => results.fleet?.['token-client']

const driverLabel = (driver: string): string => (driver.startsWith('ioredis') ? driver : driver.replace(/^redis/, 'node-redis'))
const evalsOf = (counts: StoreCounts): number => counts.set + counts.takeLease + counts.renewLease + counts.releaseLease + counts.deleteIfEquals
const ms = (value: number): string => formatNs(value * 1e6)
const mean = (values: readonly number[]): number => (values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length)
const failedRow = (outcome: Outcome<unknown>, what: string, notes: string[], width: number): string[] => {
  notes.push(`${what}: ${outcome.ok ? 'no result' : firstLine(outcome.error)}`)
  return ['FAILED (below)', ...Array.from({ length: width - 1 }, () => '')]
}
const endpointLabel = (cold: FleetColdResult): string => (cold.tokenDelayMs === 0 ? 'loopback' : `${cold.tokenDelayMs} ms`)

/** What the estimate and the targets derive from the measurements. */
export interface FleetFigures {
  /** Cold fleet on loopback, and with the slow endpoint. */
  readonly fastCold: FleetColdResult | undefined
  readonly slowCold: FleetColdResult | undefined
  readonly steady: FleetSteadyResult | undefined
  /** Store operations (GET + EVAL) per process per token in the steady run, and their split. */
  readonly steadyOpsPerProcessPerToken: number
  readonly steadyGetsPerProcessPerToken: number
  /** Polls per waiting process in the steady run (leases found held, over the processes that did not fetch, per token). */
  readonly steadyPollsPerWaiter: number
  /** Per process per cold round, and polls per waiter, on loopback and with the slow endpoint. */
  readonly fastColdOpsPerProcess: number
  readonly slowColdOpsPerProcess: number
  readonly fastPolls: number
  readonly slowPolls: number
  /** Redis CPU per GET with I/O (6c), and how much longer an EVAL runs (commandstats of 6b), microseconds. */
  readonly getMicros: number
  readonly evalExtraMicros: number
}

export function fleetFigures(result: FleetResult): FleetFigures {
  const cold = ok(result.cold) ?? []
  const fastCold = cold.find((each) => each.tokenDelayMs === 0)
  const slowCold = cold.find((each) => each.tokenDelayMs > 0)
  const steady = ok(result.steady)
  const perRound = (each: FleetColdResult | undefined) =>
    each === undefined ? Number.NaN : mean(each.rounds.map((round) => (round.ops.get + evalsOf(round.ops)) / each.processes))
  const polls = (each: FleetColdResult | undefined) => (each === undefined ? Number.NaN : mean(each.rounds.flatMap((round) => round.pollsPerWaiter)))
  const fromRedis = ok(result.fromRedis) ?? []
  const stats = steady?.redisStats
  const usecPerCall = (command: string) => {
    const stat = stats?.[command]
    return stat === undefined || stat.calls === 0 ? Number.NaN : stat.usec / stat.calls
  }
  const tokens = steady === undefined ? Number.NaN : steady.processes * steady.fleetRequests
  const waiterTokens = steady === undefined ? Number.NaN : (steady.processes - 1) * steady.fleetRequests
  return {
    fastCold,
    slowCold,
    steady,
    steadyOpsPerProcessPerToken: steady === undefined ? Number.NaN : (steady.ops.get + evalsOf(steady.ops)) / tokens,
    steadyGetsPerProcessPerToken: steady === undefined ? Number.NaN : steady.ops.get / tokens,
    steadyPollsPerWaiter: steady === undefined ? Number.NaN : (steady.ops.takeLease - steady.ops.leasesWon) / waiterTokens,
    fastColdOpsPerProcess: perRound(fastCold),
    slowColdOpsPerProcess: perRound(slowCold),
    fastPolls: polls(fastCold),
    slowPolls: polls(slowCold),
    getMicros: median(fromRedis.map((each) => each.redisCpuMicrosPerGet)),
    evalExtraMicros: Math.max(0, usecPerCall('eval') - usecPerCall('get')),
  }
}

function coldTable(outcome: Outcome<readonly FleetColdResult[]>): Table {
  const notes: string[] = []
  const headers = ['token endpoint', 'round', 'token requests', 'distinct tokens', 'failed calls', 'fetched / waited / read at once', 'polls per waiter', 'Redis: GET + EVAL', 'time to last answer']
  const rows: string[][] = []
  const results = ok(outcome)
  if (results === undefined) rows.push(failedRow(outcome, '6a', notes, headers.length))
  for (const cold of results ?? []) {
    cold.rounds.forEach((round, index) => {
      const evals = evalsOf(round.ops)
      if ((round.redisCalls['eval'] ?? 0) !== evals) notes.push(`${endpointLabel(cold)}, round ${index + 1}: Redis counted ${round.redisCalls['eval'] ?? 0} EVAL, the workers sent ${evals}`)
      rows.push([
        endpointLabel(cold),
        String(index + 1),
        formatCount(round.requests),
        formatCount(round.tokens),
        formatCount(round.failed),
        `${round.fetched} / ${round.waited} / ${round.direct}`,
        round.pollsPerWaiter.length === 0 ? '-' : `${significant(mean(round.pollsPerWaiter))} (max ${max(round.pollsPerWaiter)})`,
        `${formatCount(round.ops.get)} + ${formatCount(evals)}`,
        ms(round.ms),
      ])
    })
  }
  const first = results?.[0]
  return {
    title: `6a. Cold fleet: ${first?.processes ?? '?'} processes x ${first?.callsPerProcess ?? '?'} concurrent getToken calls at once, every cache empty (a new client in each process, Redis flushed), after a warm-up round`,
    headers,
    align: 'lrrrrrrrr',
    rows,
    notes,
  }
}

function steadyTable(outcome: Outcome<FleetSteadyResult>, figures: FleetFigures): Table {
  const notes: string[] = []
  const headers = ['', 'processes', 'token requests', 'distinct tokens', 'getToken calls', 'failed calls', 'x alone']
  const steady = ok(outcome)
  const rows: string[][] = []
  if (steady === undefined) rows.push(failedRow(outcome, '6b', notes, headers.length))
  else {
    rows.push(
      ['fleet, shared cache', String(steady.processes), formatCount(steady.fleetRequests), formatCount(steady.fleetTokens), formatCount(steady.fleetCalls), formatCount(steady.fleetErrors), formatRatio(steady.fleetRequests / steady.aloneRequests)],
      ['one process alone, no shared cache', '1', formatCount(steady.aloneRequests), formatCount(steady.aloneTokens), formatCount(steady.aloneCalls), formatCount(steady.aloneErrors), '1.00x'],
    )
    const evals = evalsOf(steady.ops)
    const stat = (command: string) => steady.redisStats[command]
    notes.push(
      `the fleet sent Redis ${formatCount(steady.ops.get)} GET and ${formatCount(evals)} EVAL (${formatCount(steady.ops.takeLease)} lease attempts, ${formatCount(steady.ops.leasesWon)} won; ` +
        `${formatCount(steady.ops.set)} writes, ${formatCount(steady.ops.releaseLease)} releases, ${formatCount(steady.ops.renewLease)} renewals): ` +
        `${significant(figures.steadyOpsPerProcessPerToken)} operations per process per token, ${significant(figures.steadyPollsPerWaiter)} polls per waiting process per token; ` +
        `Redis counted ${formatCount(stat('eval')?.calls ?? 0)} EVAL at ${significant((stat('eval')?.usec ?? Number.NaN) / (stat('eval')?.calls ?? Number.NaN))} µs each and ` +
        `${formatCount(stat('get')?.calls ?? 0)} GET (the scripts' own included) at ${significant((stat('get')?.usec ?? Number.NaN) / (stat('get')?.calls ?? Number.NaN))} µs (execution only)`,
    )
  }
  return {
    title: steady === undefined ? '6b. Steady state' : `6b. Steady state: ${steady.processes} processes vs one process alone, side by side, ${steady.tokenLifetime} s tokens, ${steady.seconds} s of calls every ${steady.intervalMs} ms in each`,
    headers,
    align: 'lrrrrrr',
    rows,
    notes,
  }
}

function fromRedisTable(result: FleetResult): Table {
  const notes: string[] = []
  const headers = ['driver', 'getToken: median', 'p99', 'raw GET + decrypt: median', 'p99', 'x raw (medians)', 'x raw (p99s)', 'a new client per sample: median, x raw', 'client construction (not included)', 'Redis CPU per GET']
  const values = ok(result.fromRedis)
  const rows =
    values === undefined
      ? [failedRow(result.fromRedis, '6c', notes, headers.length)]
      : values.map((each) => [
          driverLabel(each.driver),
          formatNs(each.clientNs.median),
          formatNs(each.clientNs.p99),
          formatNs(each.rawNs.median),
          formatNs(each.rawNs.p99),
          formatRatio(each.clientNs.median / each.rawNs.median),
          formatRatio(each.clientNs.p99 / each.rawNs.p99),
          each.justMade === undefined ? 'n/a' : `${formatNs(each.justMade.clientNs.median)}, ${formatRatio(each.justMade.clientNs.median / each.justMade.rawNs.median)}`,
          formatNs(each.constructNs.median),
          `${significant(each.redisCpuMicrosPerGet)} µs`,
        ])
  const first = values?.[0]
  if (first !== undefined) {
    notes.push(
      `${formatCount(first.clientNs.count)} samples per driver; the entry is ${formatCount(first.sealedChars)} characters; ` +
        `median of the paired ratios: ${values?.map((each) => `${driverLabel(each.driver)} ${formatRatio(each.pairedRatio.median)}`).join(', ')}`,
    )
  }
  return {
    title: '6c. Time to token of a running process whose token is in Redis and not in its own cache (a long-lived client, a scope it has not asked for, written by another client) beside a raw GET of the same entry on the same connection plus its AES-256-GCM decrypt',
    headers,
    align: 'lrrrrrrrrr',
    rows,
    notes,
  }
}

function redisDownTable(result: FleetResult): Table {
  const notes: string[] = []
  const headers = ['driver', 'miss, Redis up: with / without', 'Redis killed: first calls', 'reported', 'breaker open: added per call, median', 'p99', 'after the cooldown']
  const values = ok(result.redisDown)
  const calls = (list: readonly number[]) => list.map((ns) => formatNs(ns)).join(', ')
  const reported = (codes: readonly string[]) => {
    const timeouts = codes.filter((code) => code === 'SHARED_CACHE_TIMEOUT').length
    const unavailable = codes.filter((code) => code === 'SHARED_CACHE_UNAVAILABLE').length
    const skipped = codes.includes('SHARED_CACHE_SKIPPED')
    return [timeouts > 0 && `${timeouts} timeouts`, unavailable > 0 && `${unavailable} failures`, skipped && 'breaker open'].filter(Boolean).join(', ') || 'none'
  }
  const rows =
    values === undefined
      ? [failedRow(result.redisDown, '6d', notes, headers.length)]
      : values.map((each) => [
          driverLabel(each.driver),
          `${formatNs(each.upSharedNs.median)} / ${formatNs(each.upPlainNs.median)}`,
          calls(each.firstCallsNs),
          reported(each.firstReports),
          formatNs(each.openAddedNs.median),
          formatNs(each.openAddedNs.p99),
          `${calls(each.probeCallsNs)} (${reported(each.probeReports)})`,
        ])
  for (const each of values ?? []) {
    if (each.failedCalls > 0) notes.push(`${driverLabel(each.driver)}: ${each.failedCalls} getToken calls failed`)
    if (!(each.openSpanMs < each.breakerCooldownMs)) notes.push(`${driverLabel(each.driver)}: the breaker-open calls ran past its cooldown (${ms(each.openSpanMs)})`)
  }
  const first = values?.[0]
  if (first !== undefined) {
    notes.push(
      `shared cache with its defaults: operationTimeoutMs ${first.operationTimeoutMs}, breaker ${first.breakerFailures} failures, cooldown ${first.breakerCooldownMs / 1000} s; ` +
        `breaker open: ${formatCount(first.openSharedNs.count)} calls each with and without the shared cache, alternating (medians ${values?.map((each) => `${driverLabel(each.driver)} ${formatNs(each.openSharedNs.median)} / ${formatNs(each.openPlainNs.median)}`).join(', ')})`,
    )
  }
  return {
    title: '6d. Redis killed: getToken calls that miss in the process (each a new scope), with the token server on loopback',
    headers,
    align: 'lrrlrrr',
    rows,
    notes,
  }
}

function hitTable(result: FleetResult): Table {
  const notes: string[] = []
  const headers = ['driver', 'with a shared cache', 'without', 'x without (paired rounds)', 'spread with', 'spread without', 'calls/round']
  const hit = ok(result.hit)
  const rows =
    hit === undefined
      ? [failedRow(result.hit, '6e', notes, headers.length)]
      : [
          [
            driverLabel(hit.driver),
            formatNs(median(hit.withNs)),
            formatNs(median(hit.withoutNs)),
            formatRatio(pairedRatio(hit.withNs, hit.withoutNs)),
            formatSpread(hit.withNs),
            formatSpread(hit.withoutNs),
            formatCount(hit.callsPerRound),
          ],
        ]
  return {
    title: `6e. In-process cache hit: getToken with a shared cache configured and without, in one process, ${hit?.withNs.length ?? '?'} alternating rounds each`,
    headers,
    align: 'lrrrrrr',
    rows,
    notes,
  }
}

/**
 * 6f: what 1,000 and 10,000 processes would cost Redis and the identity server, worked out from what
 * this run measured (never from constants): requests per token at the server, store operations per
 * process per token, polls per waiter, Redis's CPU per command.
 */
function scaleTable(result: FleetResult, figures: FleetFigures): Table {
  const notes: string[] = []
  const { steady, fastCold, slowCold } = figures
  const down = ok(result.redisDown)?.[0]
  const timeoutMs = down?.operationTimeoutMs ?? Number.NaN
  const coldRequests = fastCold === undefined ? Number.NaN : max(fastCold.rounds.map((round) => round.requests))
  const perToken = steady === undefined ? Number.NaN : steady.fleetRequests / steady.aloneRequests
  const evalMicros = figures.getMicros + figures.evalExtraMicros
  // Polling: per process per token, what the runs measured. Pub/sub (a standing subscription per
  // process, the writer publishing each new token): a waiter reads, finds the lease held, gets the
  // message, reads again (GET + EVAL + GET), and Redis pushes one message to every subscriber.
  const pubsubCommands = 3
  const pubsubMicros = 2 * figures.getMicros + evalMicros + figures.getMicros // the push costs about a reply
  const pollingMicros = (opsPerProcess: number, getsPerProcess: number) => getsPerProcess * figures.getMicros + (opsPerProcess - getsPerProcess) * evalMicros
  const slowGets = slowCold === undefined ? Number.NaN : mean(slowCold.rounds.map((round) => round.ops.get / slowCold.processes))
  const fastGets = fastCold === undefined ? Number.NaN : mean(fastCold.rounds.map((round) => round.ops.get / fastCold.processes))
  const count = (value: number) => (Number.isFinite(value) ? formatCount(value) : 'n/a')
  const time = (micros: number) => formatNs(micros * 1e3)
  const pollingFast = pollingMicros(figures.fastColdOpsPerProcess, fastGets)
  const pollingSlow = pollingMicros(figures.slowColdOpsPerProcess, slowGets)
  const versus = (polling: number) => formatRatio(polling / pubsubMicros)
  const rows: string[][] = [
    [
      'identity server: token requests at a cold start, without / with the shared cache',
      ...SCALES.map((n) => `${count(n)} / ${count(coldRequests)}`),
      `${fastCold?.processes ?? '?'} processes: ${fastCold?.processes ?? '?'} / ${count(coldRequests)} (6a)`,
    ],
    [
      'identity server: token requests per token lifetime, without / with',
      ...SCALES.map((n) => `${count(n)} / ${significant(perToken)}`),
      `${steady?.processes ?? '?'} processes: ${steady?.processes ?? '?'} / ${significant(perToken)} (6b)`,
    ],
    [
      'Redis commands per token lifetime, polling (loopback endpoint)',
      ...SCALES.map((n) => count(n * figures.steadyOpsPerProcessPerToken)),
      `${significant(figures.steadyOpsPerProcessPerToken)} per process (6b)`,
    ],
    [
      `Redis commands at a cold start, polling (loopback / ${slowCold?.tokenDelayMs ?? '?'} ms endpoint)`,
      ...SCALES.map((n) => `${count(n * figures.fastColdOpsPerProcess)} / ${count(n * figures.slowColdOpsPerProcess)}`),
      `${significant(figures.fastColdOpsPerProcess)} / ${significant(figures.slowColdOpsPerProcess)} per process (6a)`,
    ],
    ['Redis commands per token, pub/sub fan-out (+ messages pushed)', ...SCALES.map((n) => `${count(n * pubsubCommands + 1)} (+ ${count(n)})`), `${pubsubCommands} + 1 message per process`],
    [
      `Redis busy time per token, polling (6a's figures: loopback / ${slowCold?.tokenDelayMs ?? '?'} ms endpoint)`,
      ...SCALES.map((n) => `${time(n * pollingFast)} / ${time(n * pollingSlow)}`),
      `${significant(figures.getMicros)} µs per GET, ${significant(evalMicros)} µs per EVAL`,
    ],
    ['Redis busy time per token, pub/sub fan-out', ...SCALES.map((n) => time(n * pubsubMicros)), ''],
    ['Redis connections, polling / pub/sub', ...SCALES.map((n) => `${count(n)} / ${count(2 * n)}`), 'a subscriber connection each'],
  ]
  // The first wave of a refresh or a cold start: every process reads and tries the lease at once.
  const waveMicros = figures.getMicros + evalMicros
  const limit = (timeoutMs * 1e3) / waveMicros
  const attemptsPerToken = steady === undefined ? Number.NaN : steady.ops.takeLease / steady.fleetRequests
  notes.push(
    `From this run: ${count(coldRequests)} token request for ${fastCold?.processes ?? '?'} cold processes and ${significant(perToken)}x one process's requests for ${steady?.processes ?? '?'} steady ones: ` +
      `the lease holder asks, however many wait, so the identity server's figures hold at any size while Redis answers in time. ` +
      `Waiters polled ${significant(figures.fastPolls)} times on average with the loopback endpoint and ${significant(figures.slowPolls)} times with the ${slowCold?.tokenDelayMs ?? '?'} ms one (6a), ` +
      `${significant(figures.steadyPollsPerWaiter)} times per token in the steady state (6b); ` +
      `Redis spent ${significant(figures.getMicros)} µs of CPU per GET, I/O included (6c), and an EVAL runs ${significant(figures.evalExtraMicros)} µs longer (commandstats, 6b).`,
    `Polling costs a waiter a GET and an EVAL (the lease attempt) per poll. Pub/sub (a standing subscription per process, a PUBLISH with each token written) costs a waiter a GET, the lease attempt and a GET after the message, ` +
      `a second connection per process, and Redis one pushed message per process for every token, waiting or not. Per process per token that is ${time(pollingFast)} of Redis time polling with the loopback endpoint ` +
      `and ${time(pollingSlow)} with the ${slowCold?.tokenDelayMs ?? '?'} ms one, against about ${time(pubsubMicros)} with pub/sub (${versus(pollingFast)} and ${versus(pollingSlow)} of it): ` +
      `polling's cost follows how long the lease holder's request takes, pub/sub's does not, at the price of a connection per process. ` +
      `Both grow linearly with the processes; neither changes what the identity server sees.`,
    `Every process of the fleet reaches a token's refresh point at once (the shared entry carries it): in 6b there were ${significant(attemptsPerToken)} lease attempts per token for ${steady?.processes ?? '?'} processes. ` +
      `So a refresh, like a cold start, sends Redis a GET and an EVAL per process within milliseconds: ${time(waveMicros)} per process at the cost measured here, ` +
      `${time(SCALES[0] * waveMicros)} for 1,000 processes and ${time(SCALES[1] * waveMicros)} for 10,000, against an operation timeout of ${timeoutMs} ms; ` +
      `at that cost, past about ${count(limit)} processes on one Redis the end of the wave would time out, count as misses (and towards the breaker), and those processes would ask the identity server themselves. ` +
      `The cost per command was measured one command at a time on one connection, where Redis wakes up for each; a busy Redis serves many clients per wake-up for less, so this is an upper bound, ` +
      `to be measured on the real Redis before putting 10,000 processes on one instance (or spread the refresh points, or raise operationTimeoutMs).`,
  )
  return {
    title: '6f. At 1,000 and 10,000 processes, worked out from the figures measured above (one token; per token lifetime = per refresh of it)',
    headers: ['', ...SCALES.map((n) => `${formatCount(n)} processes`), 'measured'],
    align: 'lrrl',
    rows,
    notes,
  }
}

/** The tables of section 6, in order. */
export function fleetTables(results: Results): Table[] {
  const outcome = fleetOutcome(results)
  if (outcome === undefined) return []
  if (!outcome.ok) {
    const more = outcome.error.split('\n').slice(1, 4).join(' ').trim()
    return [{ title: '6. Fleet: a shared cache on Redis', headers: ['outcome', 'why'], align: 'll', rows: [['FAILED', firstLine(outcome.error)]], notes: more === '' ? [] : [more] }]
  }
  const result = outcome.value
  const figures = fleetFigures(result)
  return [coldTable(result.cold), steadyTable(result.steady, figures), fromRedisTable(result), redisDownTable(result), hitTable(result), scaleTable(result, figures)]
}

/** The targets of section 6 (none when it was not run). */
export function fleetTargets(results: Results): Target[] {
  const outcome = fleetOutcome(results)
  if (outcome === undefined) return []
  const result = ok(outcome)
  const list: Target[] = []
  const unmeasured = (what: string, target: string): Target => ({ what, target, measured: 'n/a', met: undefined })
  const cold = ok(result?.cold) ?? []
  for (const each of cold.length > 0 ? cold : [undefined]) {
    const what = `6a. Cold fleet of ${each?.processes ?? 8} x ${each?.callsPerProcess ?? 50}${each === undefined || each.tokenDelayMs === 0 ? '' : `, ${each.tokenDelayMs} ms endpoint`}: token requests`
    if (each === undefined || each.rounds.length === 0) {
      list.push(unmeasured(what, '1'))
      continue
    }
    const failed = each.rounds.reduce((sum, round) => sum + round.failed, 0)
    list.push({
      what,
      target: '1',
      measured: `${rangeText(each.rounds.map((round) => round.requests))} (in each of ${each.rounds.length} rounds)${failed > 0 ? `, ${failed} calls failed` : ''}`,
      met: each.rounds.every((round) => round.requests === 1 && round.tokens === 1) && failed === 0,
    })
  }
  const steady = ok(result?.steady)
  const steadyWhat = `6b. Steady state, ${steady?.processes ?? 6} processes: token requests vs one process alone`
  if (steady === undefined) list.push(unmeasured(steadyWhat, '≤ 1.1x'))
  else {
    const ratio = steady.fleetRequests / steady.aloneRequests
    list.push({
      what: steadyWhat,
      target: '≤ 1.1x',
      measured: `${formatRatio(ratio)} (${steady.fleetRequests} vs ${steady.aloneRequests})`,
      met: Number.isFinite(ratio) ? ratio <= 1.1 && steady.fleetErrors === 0 : undefined,
    })
  }
  const fromRedis = ok(result?.fromRedis)
  if (fromRedis === undefined) list.push(unmeasured('6c. Time to token from Redis vs raw GET + decrypt', '≤ 1.5x'))
  for (const each of fromRedis ?? []) {
    const ratio = each.clientNs.median / each.rawNs.median
    list.push({
      what: `6c. Time to token from Redis vs raw GET + decrypt (${driverLabel(each.driver)}), medians`,
      target: '≤ 1.5x',
      measured: `${formatRatio(ratio)} (${formatNs(each.clientNs.median)} vs ${formatNs(each.rawNs.median)}; p99 ${formatRatio(each.clientNs.p99 / each.rawNs.p99)})`,
      met: Number.isFinite(ratio) ? ratio <= 1.5 : undefined,
    })
  }
  const down = ok(result?.redisDown)
  if (down === undefined) {
    list.push(unmeasured('6d. Redis down, before the breaker opens: added latency per call', '≤ operation timeout'), unmeasured('6d. Redis down, breaker open: added latency per call', '< 1 ms'))
  } else {
    const first = down[0]
    const bound = (first?.operationTimeoutMs ?? Number.NaN) + TIMER_SLACK_MS
    const added = max(down.flatMap((each) => each.firstCallsNs.map((ns) => ns - each.openPlainNs.median)))
    list.push({
      what: '6d. Redis down, before the breaker opens: added latency per call (worst of the first calls)',
      target: `≤ ${first?.operationTimeoutMs ?? '?'} ms (+ ${TIMER_SLACK_MS} ms timer slack)`,
      measured: formatNs(added),
      met: Number.isFinite(added) ? added <= bound * 1e6 : undefined,
    })
    const open = max(down.map((each) => each.openAddedNs.median))
    list.push({
      what: '6d. Redis down, breaker open: added latency per call (median, worst driver)',
      target: '< 1 ms',
      measured: `${formatNs(open)} (p99 ${formatNs(max(down.map((each) => each.openAddedNs.p99)))})`,
      met: Number.isFinite(open) ? open < 1e6 : undefined,
    })
  }
  const hit = ok(result?.hit)
  const ratio = hit === undefined ? Number.NaN : pairedRatio(hit.withNs, hit.withoutNs)
  const noise = hit === undefined ? HIT_NOISE : hitNoise(hit.withoutNs)
  list.push({
    what: '6e. In-process hit with a shared cache vs without (paired rounds)',
    target: `within noise (±${Math.round(noise * 100)}%)`,
    measured: hit === undefined ? 'n/a' : `${formatRatio(ratio)} (${formatNs(median(hit.withNs))} vs ${formatNs(median(hit.withoutNs))})`,
    met: Number.isFinite(ratio) ? Math.abs(ratio - 1) <= noise : undefined,
  })
  return list
}

/** The values the template's section 6 prose names. */
export function fleetTemplateValues(results: Results): Record<string, string | boolean> {
  const outcome = fleetOutcome(results)
  const tables = fleetTables(results)
  const result = ok(outcome)
  const { settings } = results
  const down = ok(result?.redisDown)?.[0]
  const values: Record<string, string | boolean> = {
    'fleet.ok': result !== undefined,
    'fleet.failed': outcome !== undefined && !outcome.ok ? firstLine(outcome.error) : false,
    'fleet.redisVersion': result?.redisVersion ?? 'n/a',
    'fleet.seconds': result === undefined ? 'n/a' : String(Math.round(result.seconds)),
    'fleet.coldProcesses': String(settings.fleetColdProcesses ?? 8),
    'fleet.coldCalls': String(settings.fleetColdCalls ?? 50),
    'fleet.slowMs': String(settings.fleetSlowTokenMs ?? 200),
    'fleet.steadyProcesses': String(settings.fleetSteadyProcesses ?? 6),
    'fleet.steadySeconds': String(settings.fleetSteadySeconds ?? 16),
    'fleet.tokenLifetime': String(settings.fleetTokenLifetime ?? 4),
    'fleet.samples': formatCount(settings.fleetSamples ?? Number.NaN),
    'fleet.warmupSamples': formatCount(settings.fleetWarmupSamples ?? Number.NaN),
    'fleet.hitRounds': String(settings.fleetHitRounds ?? 'n/a'),
    'fleet.misses': formatCount(settings.fleetMisses ?? Number.NaN),
    'fleet.operationTimeoutMs': String(down?.operationTimeoutMs ?? 250),
    'fleet.breakerFailures': String(down?.breakerFailures ?? 3),
    'fleet.cooldownSeconds': String((down?.breakerCooldownMs ?? 5_000) / 1000),
  }
  const names = ['cold', 'steady', 'fromRedis', 'redisDown', 'hit', 'scale'] as const
  names.forEach((name, index) => {
    const table = result === undefined ? undefined : tables[index]
    values[`fleet.${name}.title`] = table?.title ?? ''
    values[`fleet.${name}.table`] = table === undefined ? '' : markdownTable(table)
  })
  return values
}
