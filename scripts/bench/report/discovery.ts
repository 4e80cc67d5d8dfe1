// Section 3c, discovery with `issuer`: its three tables (a client's lifetime, fresh acquisition
// beside `tokenUrl`, the first call of new clients), its figures for the targets, and the values
// report/benchmarks.template.md speaks of.
import { DISCOVERY_CACHED_CALLS, DISCOVERY_SCOPES, DISCOVERY_TOKEN_LIFETIME } from '../config.js'
import { formatCount, formatNs, formatRatio, formatSpread, median, quantile } from '../lib/stats.js'
import type { CallResult, DiscoveryLifetimeResult, DiscoveryPhase, Results } from '../results.js'
import { DISCOVERY_SUBJECTS, signedMs, type DiscoveryPhaseId, type DiscoverySubjectId } from '../sections/discovery.js'
import { failure, ok, pairedFreshRow, pairedRatio } from './figures.js'
import { markdownTable, type Table } from './table.js'

/** Section 3c, part 2: `issuer`'s wall or CPU time per call over `tokenUrl`'s, round by round. */
export const discoveryRatio = (results: Results, id: DiscoverySubjectId, pick: (value: CallResult) => readonly number[]): number => {
  const subject = ok(results.discovery?.fresh?.[id])
  const base = ok(results.discovery?.fresh?.['discovery-token-url'])
  return pairedRatio(subject && pick(subject), base && pick(base))
}

/** Part 1 over the whole lifetime: metadata and token requests, summed over the phases. */
export function lifetimeTotals(value: DiscoveryLifetimeResult): { calls: number; tokenRequests: number; metadataRequests: number } {
  return value.phases.reduce(
    (sum, phase) => ({ calls: sum.calls + phase.calls, tokenRequests: sum.tokenRequests + phase.tokenRequests, metadataRequests: sum.metadataRequests + phase.metadataRequests }),
    { calls: 0, tokenRequests: 0, metadataRequests: 0 },
  )
}

/** `metadata requests: 1 for 206 tokens (target: 1 per client lifetime)`. */
export function lifetimeLine(value: DiscoveryLifetimeResult): string {
  const totals = lifetimeTotals(value)
  return `metadata requests: ${formatCount(totals.metadataRequests)} for ${formatCount(totals.tokenRequests)} tokens (target: 1 per client lifetime)`
}

function phaseLabel(phase: DiscoveryPhase, lifetime: number): string {
  const labels: Record<DiscoveryPhaseId, string> = {
    forced: `${formatCount(phase.calls)} fresh tokens, getToken(scope, { forceRefresh: true }) (the first discovers)`,
    cached: `${formatCount(phase.calls)} cached calls, getToken(scope)`,
    'refresh-ahead': `a call past the refresh point of its ${lifetime} s token (refreshed in the background)`,
    expired: 'a call after that token ran out (usable life over)',
    scopes: `${formatCount(phase.calls)} other scopes, one call each`,
  }
  return labels[phase.phase]
}

/** Token requests each phase should make: one per call, but none for the cached calls. */
const expectedTokens = (phase: DiscoveryPhase): number => (phase.phase === 'cached' ? 0 : phase.calls)

function lifetimeTable(results: Results): Table {
  const outcome = results.discovery?.lifetime
  const value = ok(outcome)
  const notes: string[] = []
  const tokens = results.settings.discoveryTokens ?? 200
  const title = `3c-1. Discovery (issuer instead of tokenUrl), one client's lifetime: ${formatCount(Math.max(200, tokens))} fresh tokens, then cached calls, a refresh ahead, an expiry and more scopes`
  const headers = ['phase', 'getToken calls', 'token requests', 'metadata requests', 'expected (token / metadata)']
  if (value === undefined) {
    return { title, headers, align: 'lrrrr', rows: [['lifetime', '', '', failure(outcome, 'lifetime', notes), '']], notes }
  }
  const totals = lifetimeTotals(value)
  const rows = value.phases.map((phase, index) => [
    phaseLabel(phase, value.tokenLifetime),
    formatCount(phase.calls),
    formatCount(phase.tokenRequests),
    formatCount(phase.metadataRequests),
    `${formatCount(expectedTokens(phase))} / ${index === 0 ? 1 : 0}`,
  ])
  rows.push([
    "the client's lifetime, construction to close()",
    formatCount(totals.calls),
    formatCount(totals.tokenRequests),
    formatCount(totals.metadataRequests),
    `${formatCount(value.phases.reduce((sum, phase) => sum + expectedTokens(phase), 0))} / 1`,
  ])
  return {
    title,
    headers,
    align: 'lrrrr',
    rows,
    notes: [
      lifetimeLine(value),
      `by location: ${value.rfc8414Requests} at /.well-known/oauth-authorization-server (RFC 8414, asked first), ${value.openidRequests} at /.well-known/openid-configuration (asked only when the first does not answer 200)`,
      `the server issues ${value.tokenLifetime} s tokens; the client ran ${formatNs(value.ms * 1e6)} from construction to close()`,
    ],
  }
}

function freshTable(results: Results): Table {
  const notes: string[] = []
  const rows = DISCOVERY_SUBJECTS.filter((subject) => results.discovery?.fresh?.[subject.id] !== undefined).map((subject) =>
    pairedFreshRow(subject.label, results.discovery.fresh?.[subject.id], (pick) => discoveryRatio(results, subject.id, pick), notes),
  )
  const metadata = results.discovery?.freshMetadata
  const { settings } = results
  const rounds = (settings.freshProcesses ?? 1) * settings.freshRounds
  return {
    title:
      `3c-2. Fresh acquisition with issuer beside tokenUrl: a new token per call, one call at a time, ` +
      `median of ${rounds} interleaved rounds of ${formatCount(settings.freshCalls)}`,
    headers: ['client', 'per call', 'spread', 'x tokenUrl', 'client CPU/call', 'CPU x tokenUrl', 'requests/call'],
    align: 'lrrrrrr',
    rows,
    notes: [
      ...notes,
      ...(metadata === undefined
        ? []
        : [
            `metadata requests the server saw in this part: ${formatCount(metadata.requests)}, for ${formatCount(metadata.issuerClients)} ` +
              `client${metadata.issuerClients === 1 ? '' : 's'} with issuer (one per process, discovering on its first call, before the rounds)`,
          ]),
      ...DISCOVERY_SUBJECTS.map((subject) => `${subject.label}: ${subject.how}`),
    ],
  }
}

function firstTable(results: Results): Table {
  const outcome = results.discovery?.first
  const value = ok(outcome)
  const notes: string[] = []
  const clients = results.settings.discoveryFirstClients ?? Number.NaN
  const title = `3c-3. First getToken of a new client, issuer beside tokenUrl: ${formatCount(clients)} new clients of each, alternating, median`
  const headers = ['client', 'first getToken', 'p90', 'vs tokenUrl', 'metadata + token requests per client']
  if (value === undefined) return { title, headers, align: 'lrrrr', rows: [['first call', failure(outcome, 'first call', notes), '', '', '']], notes }
  const issuer = median(value.issuerNs)
  const tokenUrl = median(value.tokenUrlNs)
  const paired = median(value.issuerNs.map((ns, index) => ns - (value.tokenUrlNs[index] ?? Number.NaN)))
  const perClient = (count: number) => (value.clients > 0 ? (count / value.clients).toFixed(2) : 'n/a')
  return {
    title,
    headers,
    align: 'lrrrr',
    rows: [
      ['TokenClient, tokenUrl', formatNs(tokenUrl), formatNs(quantile(value.tokenUrlNs, 0.9)), '', `0 + ${perClient(value.tokenRequests / 2)}`],
      ['TokenClient, issuer (discovered)', formatNs(issuer), formatNs(quantile(value.issuerNs, 0.9)), signedMs(issuer - tokenUrl), `${perClient(value.metadataRequests)} + ${perClient(value.tokenRequests / 2)}`],
    ],
    notes: [
      `the one discovery costs the first call ${signedMs(issuer - tokenUrl)} (difference of the medians); median of the differences pair by pair: ${signedMs(paired)}`,
      'each client is constructed (not timed), its first getToken timed, then it is closed (not timed); a new client opens a new connection, with either option',
      `after ${formatCount(results.settings.discoveryFirstWarmup ?? Number.NaN)} unrecorded pairs; during the recorded ones the server saw ` +
        `${formatCount(value.metadataRequests)} metadata and ${formatCount(value.tokenRequests)} token requests (the tokenUrl clients make no metadata requests)`,
    ],
  }
}

/** The tables of section 3c, when it ran. */
export function discoveryTables(results: Results): Table[] {
  return [lifetimeTable(results), freshTable(results), firstTable(results)]
}

/** The values report/benchmarks.template.md names in the block of section 3c. */
export function discoveryTemplateValues(results: Results): Record<string, string | boolean> {
  const { settings } = results
  const ran = Object.keys(results.discovery ?? {}).length > 0
  const [lifetime, fresh, first] = ran ? discoveryTables(results) : []
  const values: Record<string, string | boolean> = {
    'discovery.tokens': formatCount(Math.max(200, settings.discoveryTokens ?? 200)),
    'discovery.cachedCalls': formatCount(DISCOVERY_CACHED_CALLS),
    'discovery.scopes': String(DISCOVERY_SCOPES.length),
    'discovery.tokenLifetime': String(ok(results.discovery?.lifetime)?.tokenLifetime ?? DISCOVERY_TOKEN_LIFETIME),
    'discovery.firstClients': formatCount(settings.discoveryFirstClients ?? Number.NaN),
    'discovery.firstWarmup': formatCount(settings.discoveryFirstWarmup ?? Number.NaN),
  }
  for (const [name, table] of [['lifetime', lifetime], ['fresh', fresh], ['first', first]] as const) {
    values[`discovery.${name}.title`] = table?.title ?? ''
    values[`discovery.${name}.table`] = table === undefined ? '' : markdownTable(table)
  }
  return values
}
