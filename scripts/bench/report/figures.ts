// The figures the tables, the chart and the targets derive from the measurements: medians, ratios
// to the floor, and how a failed or missing measurement shows.
import type { Settings } from '../config.js'
import type { Outcome } from '../lib/child.js'
import { formatCount, formatNs, formatRatio, formatSpread, max, median, min, significant } from '../lib/stats.js'
import type { CallResult, Results, StampedeResult } from '../results.js'
import type { JwtSubjectId } from '../sections/jwt.js'
import type { ClientId } from '../subjects/clients.js'
import type { ServerKind } from '../subjects/servers.js'

export const ok = <T>(outcome: Outcome<T> | undefined): T | undefined => (outcome?.ok === true ? outcome.value : undefined)

/** The cell of a failed measurement; the error itself goes to the notes under the table. */
export const failure = (outcome: Outcome<unknown> | undefined, what: string, notes: string[]): string => {
  if (outcome === undefined) return 'not run'
  if (outcome.ok) return ''
  notes.push(`${what}: ${firstLine(outcome.error)}`)
  return 'FAILED (below)'
}

export const firstLine = (text: string): string => (text.split('\n')[0] ?? '').slice(0, 160)

export const callMedian = (outcome: Outcome<CallResult> | undefined): number => {
  const value = ok(outcome)
  return value === undefined ? Number.NaN : median(value.nsPerCall)
}

/**
 * One measurement over another, round by round, median over rounds: for the interleaved sections
 * (3 and 5), where round i of each took its turn in the same rotation, within seconds of the other.
 */
export const pairedRatio = (values: readonly number[] | undefined, base: readonly number[] | undefined): number => {
  if (values === undefined || base === undefined) return Number.NaN
  const rounds = Math.min(values.length, base.length)
  return rounds === 0 ? Number.NaN : median(values.slice(0, rounds).map((value, round) => value / (base[round] ?? Number.NaN)))
}

/** Section 3: a client's wall or CPU time per call over the floor's. */
export const freshRatio = (results: Results, id: ClientId, pick: (value: CallResult) => readonly number[]): number => {
  const client = ok(results.fresh[id])
  const floor = ok(results.fresh.floor)
  return pairedRatio(client && pick(client), floor && pick(floor))
}
/** Section 3b: TokenClient's (private_key_jwt) wall or CPU time per call over its floor's (raw request + one SignJWT), round by round. */
export const jwtRatio = (results: Results, id: JwtSubjectId, pick: (value: CallResult) => readonly number[]): number => {
  const subject = ok(results.jwt?.[id])
  const floor = ok(results.jwt?.['jwt-floor'])
  return pairedRatio(subject && pick(subject), floor && pick(floor))
}
export const wallNs = (value: CallResult) => value.nsPerCall
export const cpuNs = (value: CallResult) => value.cpuNsPerCall

/** Section 5: a server's tokens per second over another's. */
export const serverRatio = (results: Results, kind: ServerKind, base: ServerKind): number =>
  pairedRatio(ok(results.servers[kind])?.map((round) => round.tokensPerSecond), ok(results.servers[base])?.map((round) => round.tokensPerSecond))

export const stampedeRounds = (outcome: Outcome<StampedeResult> | undefined, size: number) => ok(outcome)?.sizes[size] ?? []

/** The median of one figure over the rounds of a section 4 or 5 outcome; NaN when it failed. */
export const roundsMedian = <R>(outcome: Outcome<readonly R[]> | undefined, pick: (round: R) => number): number => {
  const rounds = ok(outcome)
  return rounds === undefined ? Number.NaN : median(rounds.map(pick))
}

/** `1` or `2,990-3,038`: the range of counts over rounds. */
export function rangeText(values: readonly number[]): string {
  if (values.length === 0) return 'n/a'
  const low = min(values)
  const high = max(values)
  return low === high ? formatCount(low) : `${formatCount(low)}-${formatCount(high)}`
}

/** autocannon records whole milliseconds: 0 means under one. */
export function latency(ms: number): string {
  return ms < 1 ? '< 1 ms' : `${significant(ms)} ms`
}

/** Section 3: processes per client (results saved before there could be several have none). */
export const freshProcesses = (settings: Settings): number => settings.freshProcesses ?? 1
export const freshRoundsPerClient = (settings: Settings): number => freshProcesses(settings) * settings.freshRounds
/** Section 3: rotations run before those recorded (results saved before they existed have none). */
export const freshUnrecordedRotations = (settings: Settings): number => settings.freshUnrecordedRotations ?? 0

/**
 * One row of a paired fresh-acquisition table (sections 3b and 3c): per call, spread, ratio to the
 * base, client CPU per call, CPU ratio, requests per call; or the failure, noted.
 */
export function pairedFreshRow(
  label: string,
  outcome: Outcome<CallResult> | undefined,
  ratio: (pick: (value: CallResult) => readonly number[]) => number,
  notes: string[],
): string[] {
  const value = ok(outcome)
  if (value === undefined) return [label, failure(outcome, label, notes), '', '', '', '', '']
  return [
    label,
    formatNs(median(value.nsPerCall)),
    formatSpread(value.nsPerCall),
    formatRatio(ratio(wallNs)),
    formatNs(median(value.cpuNsPerCall)),
    formatRatio(ratio(cpuNs)),
    value.requestsPerCall.toFixed(2),
  ]
}
