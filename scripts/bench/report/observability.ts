// Section 7, observability: its table (the cached getToken with no SDK and no subscriber, with the
// OTel metrics SDK, with a cache-channel subscriber) and its targets.
import { formatCount, formatNs, formatRatio, formatSpread, median } from '../lib/stats.js'
import type { Results } from '../results.js'
import { OBSERVABILITY_SUBJECTS, observabilityRotations, type ObservabilitySubjectId } from '../sections/observability.js'
import { callMedian, failure, ok, pairedRatio } from './figures.js'
import type { Table } from './table.js'
import type { Target } from './targets.js'

/** A subject's wall (or CPU) time per call over the `none` subject's, round by round. */
export function observabilityRatio(results: Results, id: ObservabilitySubjectId, cpu = false): number {
  const subject = ok(results.observability?.[id])
  const none = ok(results.observability?.none)
  return pairedRatio(cpu ? subject?.cpuNsPerCall : subject?.nsPerCall, cpu ? none?.cpuNsPerCall : none?.nsPerCall)
}

/** The `none` subject's median over section 1's TokenClient median, when both ran: separate processes and rounds, so noise is wider. */
export function observabilityVsCached(results: Results): number {
  const none = ok(results.observability?.none)
  const cached = results.cached?.['token-client']
  return none === undefined || cached === undefined ? Number.NaN : median(none.nsPerCall) / callMedian(cached)
}

export function observabilityTables(results: Results): Table[] {
  const notes: string[] = []
  const rows = OBSERVABILITY_SUBJECTS.filter((subject) => results.observability?.[subject.id] !== undefined).map((subject) => {
    const value = ok(results.observability[subject.id])
    if (value === undefined) return [subject.label, failure(results.observability[subject.id], subject.label, notes), '', '', '', '', '', '']
    const first = subject.id === 'none'
    return [
      subject.label,
      formatNs(median(value.nsPerCall)),
      formatSpread(value.nsPerCall),
      first ? '1.00x' : formatRatio(observabilityRatio(results, subject.id)),
      formatNs(median(value.cpuNsPerCall)),
      first ? '1.00x' : formatRatio(observabilityRatio(results, subject.id, true)),
      formatCount(value.callsPerRound),
      `${formatCount(value.tokenRequests)} / ${formatCount(value.hitsObserved)}`,
    ]
  })
  const vsCached = observabilityVsCached(results)
  if (Number.isFinite(vsCached)) notes.push(`no SDK, no subscriber over section 1's TokenClient (same run; section 1's rounds run back to back, these take turns with two other processes): ${formatRatio(vsCached)}`)
  return [
    {
      title:
        `7. Observability: cached getToken, a process per subject, ${formatCount(observabilityRotations(results.settings).recorded)} interleaved rounds ` +
        'each (ratios paired with the no-SDK round of the same rotation)',
      headers: ['subject', 'per call', 'spread', 'x no SDK', 'CPU/call', 'CPU x no SDK', 'calls/round', 'token requests / hits observed'],
      align: 'lrrrrrrr',
      rows,
      notes: [...notes, ...OBSERVABILITY_SUBJECTS.map((subject) => `${subject.label}: ${subject.how}`)],
    },
  ]
}

/**
 * The section's target: the metrics SDK at most 2x the no-SDK subject, paired. The other half of the
 * issue's target, no SDK "within noise of today's", compares this code with the code before the
 * observability layer: a before/after measurement, which one run of one tree cannot make (section
 * 1's figure is no stand-in: its rounds run back to back in one process, these take turns with two
 * other processes, which costs a cached call a few ns of cold caches). The ratio to section 1 is a
 * note of the table, not a target.
 */
export function observabilityTargets(results: Results, ratioTarget: (what: string, ratio: number, direction: '≤' | '≥', bound: number) => Target): Target[] {
  const list: Target[] = []
  if (results.observability?.['metrics-sdk'] !== undefined) {
    list.push(ratioTarget('7. Cached getToken with the OTel metrics SDK vs no SDK (paired)', observabilityRatio(results, 'metrics-sdk'), '≤', 2))
  }
  return list
}
