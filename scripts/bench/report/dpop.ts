// Section 3d, DPoP: its two tables (requests through createAuthFetch with a cached token beside
// their floor, cached getToken with and without DPoP), its figures for the targets, and the values
// report/benchmarks.template.md speaks of.
import { formatCount, formatNs, formatRatio, formatSpread, median } from '../lib/stats.js'
import type { CallResult, DpopHitResult, Results } from '../results.js'
import { DPOP_SUBJECTS, type DpopSubjectId } from '../sections/dpop.js'
import { RESOURCE_BODY } from '../subjects/servers/plain-resource.js'
import { failure, freshProcesses, freshRoundsPerClient, ok, pairedFreshRow, pairedRatio, rangeText } from './figures.js'
import { markdownTable, type Table } from './table.js'

/** Part 1: a subject's wall or CPU time per request over the floor's (fetch + one SignJWT), round by round. */
export const dpopRequestRatio = (results: Results, id: DpopSubjectId, pick: (value: CallResult) => readonly number[]): number => {
  const subject = ok(results.dpop?.request?.[id])
  const floor = ok(results.dpop?.request?.['dpop-floor'])
  return pairedRatio(subject && pick(subject), floor && pick(floor))
}

/** Part 2: the DPoP client's wall (or CPU) time per cached call over the Bearer client's, round by round (ABBA pairs). */
export const dpopHitRatio = (value: DpopHitResult | undefined, cpu = false): number =>
  value === undefined ? Number.NaN : cpu ? pairedRatio(value.dpopCpuNs, value.bearerCpuNs) : pairedRatio(value.dpopNs, value.bearerNs)

function requestTable(results: Results): Table {
  const notes: string[] = []
  const rows = DPOP_SUBJECTS.filter((subject) => results.dpop?.request?.[subject.id] !== undefined).map((subject) =>
    pairedFreshRow(subject.label, results.dpop.request?.[subject.id], (pick) => dpopRequestRatio(results, subject.id, pick), notes),
  )
  const { settings } = results
  return {
    title:
      `3d-1. DPoP request with a cached token: one GET to a resource per call, a new proof each, one call at a time, ` +
      `median of ${freshRoundsPerClient(settings)} interleaved rounds of ${formatCount(settings.freshCalls)}`,
    headers: ['client', 'per request', 'spread', 'x floor', 'client CPU/request', 'CPU x floor', 'token requests/request'],
    align: 'lrrrrrr',
    rows,
    notes: [
      ...notes,
      `the resource: node:http in a process of its own, answering 200 with ${Buffer.byteLength(RESOURCE_BODY)} bytes of fixed JSON, verifying nothing (the same cost for both); ` +
        "each subject's token, proof signature and claims were checked once against its echo path before the rounds",
      ...DPOP_SUBJECTS.map((subject) => `${subject.label}: ${subject.how}`),
    ],
  }
}

function hitTable(results: Results): Table {
  const outcome = results.dpop?.hit
  const value = ok(outcome)
  const notes: string[] = []
  const processes = value?.callsPerRound.length ?? freshProcesses(results.settings)
  const rounds = value?.dpopNs.length ?? processes * (results.settings.dpopHitRounds ?? Number.NaN)
  const title =
    `3d-2. Cached getToken with dpop: true beside a client without, both in one process, ` +
    `${formatCount(rounds)} alternating rounds each over ${formatCount(processes)} process${processes === 1 ? '' : 'es'}`
  const headers = ['client', 'token type', 'per call', 'spread', 'x without DPoP (paired rounds)', 'CPU/call', 'CPU x without', 'calls/round']
  if (value === undefined) return { title, headers, align: 'llrrrrrr', rows: [['cached getToken', '', failure(outcome, 'cached getToken', notes), '', '', '', '', '']], notes }
  return {
    title,
    headers,
    align: 'llrrrrrr',
    rows: [
      [
        'TokenClient, no DPoP',
        value.bearerTokenType,
        formatNs(median(value.bearerNs)),
        formatSpread(value.bearerNs),
        '',
        formatNs(median(value.bearerCpuNs)),
        '',
        rangeText(value.callsPerRound),
      ],
      [
        'TokenClient, dpop: true',
        value.dpopTokenType,
        formatNs(median(value.dpopNs)),
        formatSpread(value.dpopNs),
        formatRatio(dpopHitRatio(value)),
        formatNs(median(value.dpopCpuNs)),
        formatRatio(dpopHitRatio(value, true)),
        rangeText(value.callsPerRound),
      ],
    ],
    notes: [
      `token requests the server saw during the rounds: ${formatCount(value.tokenRequests)} (0: every call a hit)`,
      '`client.getToken(scope)` on each client, its token fetched before; in each process the rounds are calibrated on the client without DPoP to last as long as section 1\'s, ' +
        'both clients warmed up, then timed in pairs whose order alternates (ABBA); the ratio is the median over all pairs',
      `processes one after another: ${formatCount(value.dpopFirstProcesses)} of ${formatCount(processes)} made the DPoP client first` +
        (processes > value.dpopFirstProcesses ? `, ${formatCount(processes - value.dpopFirstProcesses)} the one without DPoP first` : ''),
    ],
  }
}

/** The tables of section 3d, when it ran. */
export function dpopTables(results: Results): Table[] {
  return [requestTable(results), hitTable(results)]
}

/** The values report/benchmarks.template.md names in the block of section 3d. */
export function dpopTemplateValues(results: Results): Record<string, string | boolean> {
  const ran = Object.keys(results.dpop ?? {}).length > 0
  const [request, hit] = ran ? dpopTables(results) : []
  const values: Record<string, string | boolean> = {
    'dpop.hitRounds': formatCount(results.settings.dpopHitRounds ?? Number.NaN),
    'dpop.hitProcesses': formatCount(ok(results.dpop?.hit)?.callsPerRound.length ?? freshProcesses(results.settings)),
    'dpop.resourceBytes': String(Buffer.byteLength(RESOURCE_BODY)),
  }
  for (const [name, table] of [['request', request], ['hit', hit]] as const) {
    values[`dpop.${name}.title`] = table?.title ?? ''
    values[`dpop.${name}.table`] = table === undefined ? '' : markdownTable(table)
  }
  return values
}
