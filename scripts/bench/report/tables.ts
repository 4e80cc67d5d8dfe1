// The table of each section, from its measurements: the clients (or servers) in the order of the
// subjects tables, each beside the floor.
import { MEMORY_SCOPES } from '../config.js'
import { formatBytes, formatCount, formatNs, formatRatio, formatSpread, median, min } from '../lib/stats.js'
import { SECTION_IDS, type Results, type SectionId } from '../results.js'
import { JWT_SUBJECTS } from '../sections/jwt.js'
import { CLIENTS } from '../subjects/clients.js'
import { SERVERS } from '../subjects/servers.js'
import {
  callMedian,
  cpuNs,
  failure,
  firstLine,
  freshRatio,
  freshRoundsPerClient,
  jwtRatio,
  pairedFreshRow,
  latency,
  ok,
  rangeText,
  roundsMedian,
  serverRatio,
  stampedeRounds,
  wallNs,
} from './figures.js'
import { discoveryTables } from './discovery.js'
import { dpopTables } from './dpop.js'
import { observabilityTables } from './observability.js'
import { fleetTables } from './fleet.js'
import type { Table } from './table.js'

function cachedTable(results: Results): Table {
  const floor = callMedian(results.cached.floor)
  const notes: string[] = []
  const rows = CLIENTS.filter((client) => results.cached[client.id] !== undefined).map((client) => {
    const outcome = results.cached[client.id]
    const value = ok(outcome)
    if (value === undefined) return [client.label, client.caches ? 'yes' : 'no', failure(outcome, client.label, notes), '', '', '', '']
    const ns = median(value.nsPerCall)
    return [
      client.label,
      client.caches ? 'yes' : 'no',
      formatNs(ns),
      formatSpread(value.nsPerCall),
      formatRatio(ns / floor),
      value.requestsPerCall.toFixed(2),
      formatCount(value.callsPerRound),
    ]
  })
  return {
    title: `1. Repeated (cached) call: time per getToken, median of ${results.settings.cachedRounds} rounds`,
    headers: ['client', 'cache', 'per call', 'spread', 'x floor', 'requests/call', 'calls/round'],
    align: 'llrrrrr',
    rows,
    notes,
  }
}

function stampedeTable(results: Results): Table {
  const rows: string[][] = []
  const notes: string[] = []
  for (const size of results.settings.stampedeSizes) {
    const floorMs = median(stampedeRounds(results.stampede.floor, size).map((round) => round.ms))
    for (const client of CLIENTS) {
      const outcome = results.stampede[client.id]
      if (outcome === undefined) continue
      const rounds = stampedeRounds(outcome, size)
      if (rounds.length === 0) {
        rows.push([client.label, formatCount(size), failure(outcome, `${client.label}, ${formatCount(size)} calls`, notes) || 'no result', '', '', ''])
        continue
      }
      const ms = median(rounds.map((round) => round.ms))
      const failed = rounds.reduce((sum, round) => sum + round.failed, 0)
      rows.push([
        client.label,
        formatCount(size),
        rangeText(rounds.map((round) => round.requests)),
        formatNs(ms * 1e6),
        formatRatio(ms / floorMs),
        failed === 0 ? '0' : `${formatCount(failed)} of ${formatCount(size * rounds.length)}`,
      ])
    }
  }
  const rounds = results.settings.stampedeSizes.map((size) => `${results.settings.stampedeRounds[size] ?? 1} at ${formatCount(size)}`).join(', ')
  return {
    title: `2. Cold stampede: concurrent calls on an empty cache (a new client each round; rounds: ${rounds})`,
    headers: ['client', 'calls', 'token requests', 'time to last answer', 'x floor', 'failed calls'],
    align: 'lrrrrr',
    rows,
    notes: [
      ...notes,
      ...CLIENTS.flatMap((client) => {
        const firstError = ok(results.stampede[client.id])?.firstError
        return firstError === undefined ? [] : [`${client.label}, first failed call: ${firstLine(firstError)}`]
      }),
    ],
  }
}

function freshTable(results: Results): Table {
  const notes: string[] = []
  const rows = CLIENTS.filter((client) => results.fresh[client.id] !== undefined).map((client) => {
    const outcome = results.fresh[client.id]
    const value = ok(outcome)
    const name = client.id === 'floor' ? 'floor: raw undici.request' : client.label
    if (value === undefined) return [name, failure(outcome, name, notes), '', '', '', '', '']
    return [
      name,
      formatNs(median(value.nsPerCall)),
      formatSpread(value.nsPerCall),
      formatRatio(freshRatio(results, client.id, wallNs)),
      formatNs(median(value.cpuNsPerCall)),
      formatRatio(freshRatio(results, client.id, cpuNs)),
      value.requestsPerCall.toFixed(2),
    ]
  })
  return {
    title: `3. Fresh acquisition: a new token per call, one call at a time, median of ${freshRoundsPerClient(results.settings)} interleaved rounds of ${formatCount(results.settings.freshCalls)}`,
    headers: ['client', 'per call', 'spread', 'x floor', 'client CPU/call', 'CPU x floor', 'requests/call'],
    align: 'lrrrrrr',
    rows,
    notes,
  }
}

function jwtTable(results: Results): Table {
  const notes: string[] = []
  const rows = JWT_SUBJECTS.filter((subject) => results.jwt[subject.id] !== undefined).map((subject) =>
    pairedFreshRow(subject.label, results.jwt[subject.id], (pick) => jwtRatio(results, subject.id, pick), notes),
  )
  return {
    title:
      `3b. Fresh acquisition with private_key_jwt (ES256): a new token and a new client assertion per call, one call at a time, ` +
      `median of ${freshRoundsPerClient(results.settings)} interleaved rounds of ${formatCount(results.settings.freshCalls)}`,
    headers: ['client', 'per call', 'spread', 'x floor', 'client CPU/call', 'CPU x floor', 'requests/call'],
    align: 'lrrrrrr',
    rows,
    notes: [...notes, ...JWT_SUBJECTS.map((subject) => `${subject.label}: ${subject.how}`)],
  }
}

function memoryTable(results: Results): Table {
  const floor = roundsMedian(results.memory.floor, (round) => round.heapBytes)
  const notes: string[] = []
  const rows = CLIENTS.filter((client) => results.memory[client.id] !== undefined).map((client) => {
    const outcome = results.memory[client.id]
    const rounds = ok(outcome)
    if (rounds === undefined) return [client.label, '', failure(outcome, client.label, notes), '', '', '', '']
    const filled = min(rounds.map((round) => round.filled))
    const heap = median(rounds.map((round) => round.heapBytes))
    const fillMs = median(rounds.map((round) => round.fillMs))
    if (filled < MEMORY_SCOPES) {
      notes.push(
        `${client.label} cached only ${formatCount(filled)} scopes in the ${formatNs(results.settings.memoryFillBudgetMs * 1e6)} allowed ` +
          `(each lookup gets slower as its cache grows); heap and per token are for those ${formatCount(filled)}.`,
      )
    }
    return [
      client.label,
      formatCount(filled),
      formatBytes(heap),
      formatBytes(median(rounds.map((round) => round.bytesPerToken))),
      filled < MEMORY_SCOPES ? 'n/a' : formatRatio(heap / floor),
      `${rangeText(rounds.map((round) => round.fillRequests))} / ${rangeText(rounds.map((round) => round.repeatRequests))}`,
      formatNs(fillMs * 1e6),
    ]
  })
  return {
    title: `4. Memory: heap used with ${formatCount(MEMORY_SCOPES)} distinct cached scopes (after gc(), median of ${results.settings.memoryRounds} rounds)`,
    headers: ['client', 'scopes cached', 'heap', 'per token', 'x floor', 'requests: fill / repeats', 'time to fill'],
    align: 'lrrrrrr',
    rows,
    notes,
  }
}

function serversTable(results: Results): Table {
  const notes: string[] = []
  const rows = SERVERS.filter((server) => results.servers[server.kind] !== undefined).map(({ kind, label }) => {
    const outcome = results.servers[kind]
    const rounds = ok(outcome)
    if (rounds === undefined) return [label, failure(outcome, label, notes), '', '', '', '', '', '', '', '', '']
    const bad = rounds.reduce((sum, round) => sum + round.non2xx + round.errors, 0)
    const first = rounds[0]
    const last = rounds.at(-1)
    if (first !== undefined && last !== undefined && last.tokensPerSecond < 0.8 * first.tokensPerSecond) {
      notes.push(
        `${label} slowed down as the run went on: ${formatCount(first.tokensPerSecond)} tokens/s ` +
          `(${formatNs(first.serverCpuMicrosPerToken * 1e3)} CPU per token) in the first round, ` +
          `${formatCount(last.tokensPerSecond)} (${formatNs(last.serverCpuMicrosPerToken * 1e3)}) in the last; ` +
          `rounds: ${rounds.map((round) => formatCount(round.tokensPerSecond)).join(', ')}.`,
      )
    }
    return [
      label,
      formatCount(roundsMedian(outcome, (round) => round.tokensPerSecond)),
      formatSpread(rounds.map((round) => round.tokensPerSecond)),
      formatRatio(serverRatio(results, kind, 'bare-http')),
      formatRatio(serverRatio(results, kind, 'oidc-provider')),
      latency(median(rounds.map((round) => round.p50Ms))),
      latency(median(rounds.map((round) => round.p99Ms))),
      `${Math.round(median(rounds.map((round) => round.serverCpu)) * 100)}%`,
      formatNs(median(rounds.map((round) => round.serverCpuMicrosPerToken)) * 1e3),
      formatBytes(rounds.at(-1)?.serverHeapBytes ?? Number.NaN),
      formatCount(bad),
    ]
  })
  const { loadConnections, loadRounds, loadSeconds, loadWarmupSeconds } = results.settings
  return {
    title: `5. Token servers under autocannon: ${loadConnections} connections, ${loadWarmupSeconds} s warm-up, median of ${loadRounds} interleaved rounds of ${loadSeconds} s`,
    headers: ['server', 'tokens/s', 'spread', 'x floor', 'x oidc-provider', 'p50', 'p99', 'server CPU', 'CPU per token', 'server heap at end', 'non-2xx + errors'],
    align: 'lrrrrrrrrrr',
    rows,
    notes,
  }
}

const TABLES: Readonly<Record<SectionId, (results: Results) => readonly Table[]>> = {
  cached: (results) => [cachedTable(results)],
  stampede: (results) => [stampedeTable(results)],
  fresh: (results) => [freshTable(results)],
  jwt: (results) => [jwtTable(results)],
  discovery: discoveryTables,
  dpop: dpopTables,
  memory: (results) => [memoryTable(results)],
  servers: (results) => [serversTable(results)],
  fleet: fleetTables,
  observability: observabilityTables,
}

/** The tables of each section that was run (one, or for sections 3c, 3d and 6 one per part). */
export function sectionTables(results: Results): Partial<Record<SectionId, readonly Table[]>> {
  const tables: Partial<Record<SectionId, readonly Table[]>> = {}
  for (const id of SECTION_IDS) {
    // `?? {}`: results saved before a section existed have no entry for it.
    if (Object.keys(results[id] ?? {}).length > 0) tables[id] = TABLES[id](results)
  }
  return tables
}
