// Turns the results into the printed table, docs/benchmarks.md and the SVG chart. Every number
// shown is computed here from the measurements; nothing is typed in by hand.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os'
import type { CallResult, StampedeResult } from './client-bench.js'
import { CLIENTS, clientInfo, type ClientId } from './clients.js'
import { MEMORY_SCOPES, type Settings } from './config.js'
import type { Outcome } from './lib/child.js'
import { formatBytes, formatCount, formatNs, formatRatio, formatSpread, max, median, min, significant } from './lib/stats.js'
import type { LoadRound } from './load-bench.js'
import type { MemoryRound } from './memory-bench.js'
import { SERVER_LABELS, type ServerKind } from './servers.js'

export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly memory: string
  readonly node: string
  readonly os: string
  readonly date: string
  /** 1-minute load average when the run started: above ~0.5, other processes competed for the cores. */
  readonly loadAtStart: number
  /** The commit measured, and whether src/ had uncommitted changes. */
  readonly commit: string
}

export interface Results {
  readonly machine: Machine
  readonly settings: Settings
  readonly cached: Partial<Record<ClientId, Outcome<CallResult>>>
  readonly fresh: Partial<Record<ClientId, Outcome<CallResult>>>
  readonly stampede: Partial<Record<ClientId, Outcome<StampedeResult>>>
  readonly memory: Partial<Record<ClientId, Outcome<readonly MemoryRound[]>>>
  readonly servers: Partial<Record<ServerKind, Outcome<readonly LoadRound[]>>>
  durationMs: number
}

export function machineInfo(): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown CPU'
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((text) => text.startsWith('model name'))
    if (line !== undefined) cpu = line.slice(line.indexOf(':') + 1).trim()
  } catch {
    // Not Linux: os.cpus() it is.
  }
  return {
    cpu,
    cores: availableParallelism(),
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    os: `${type()} ${release()}`,
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    loadAtStart: loadavg()[0] ?? 0,
    commit: commitOf(),
  }
}

function commitOf(): string {
  const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  try {
    const commit = git('rev-parse', '--short', 'HEAD')
    return git('status', '--porcelain', '--', 'src') === '' ? commit : `${commit} + uncommitted changes in src/`
  } catch {
    return 'unknown (not a git checkout)'
  }
}

/** A warning when other processes were busy as the run started, else nothing. */
export function loadWarning(machine: Machine): string | undefined {
  if (machine.loadAtStart <= 0.5) return undefined
  return `The 1-minute load average was ${machine.loadAtStart.toFixed(2)} when the run started: other processes competed for the ${machine.cores} cores, so these figures are less reliable than on an idle machine.`
}

// ---- Derived figures ---------------------------------------------------------------------------------

const ok = <T>(outcome: Outcome<T> | undefined): T | undefined => (outcome?.ok === true ? outcome.value : undefined)
/** The cell of a failed measurement; the error itself goes to the notes under the table. */
const failure = (outcome: Outcome<unknown> | undefined, what: string, notes: string[]): string => {
  if (outcome === undefined) return 'not run'
  if (outcome.ok) return ''
  notes.push(`${what}: ${firstLine(outcome.error)}`)
  return 'FAILED (below)'
}
const firstLine = (text: string): string => (text.split('\n')[0] ?? '').slice(0, 160)

const callMedian = (outcome: Outcome<CallResult> | undefined): number => {
  const value = ok(outcome)
  return value === undefined ? Number.NaN : median(value.nsPerCall)
}
/**
 * One measurement over another, round by round, median over rounds: for the interleaved sections
 * (3 and 5), where round i of each took its turn in the same rotation, within seconds of the other.
 */
const pairedRatio = (values: readonly number[] | undefined, base: readonly number[] | undefined): number => {
  if (values === undefined || base === undefined) return Number.NaN
  const rounds = Math.min(values.length, base.length)
  return rounds === 0 ? Number.NaN : median(values.slice(0, rounds).map((value, round) => value / (base[round] ?? Number.NaN)))
}
/** Section 3: a client's wall or CPU time per call over the floor's. */
const freshRatio = (results: Results, id: ClientId, pick: (value: CallResult) => readonly number[]): number => {
  const client = ok(results.fresh[id])
  const floor = ok(results.fresh.floor)
  return pairedRatio(client && pick(client), floor && pick(floor))
}
const wallNs = (value: CallResult) => value.nsPerCall
const cpuNs = (value: CallResult) => value.cpuNsPerCall
/** Section 5: a server's tokens per second over another's. */
const serverRatio = (results: Results, kind: ServerKind, base: ServerKind): number =>
  pairedRatio(ok(results.servers[kind])?.map((round) => round.tokensPerSecond), ok(results.servers[base])?.map((round) => round.tokensPerSecond))
const stampedeRounds = (outcome: Outcome<StampedeResult> | undefined, size: number) => ok(outcome)?.sizes[size] ?? []
const loadMedian = (outcome: Outcome<readonly LoadRound[]> | undefined, pick: (round: LoadRound) => number): number => {
  const rounds = ok(outcome)
  return rounds === undefined ? Number.NaN : median(rounds.map(pick))
}
const memoryMedian = (outcome: Outcome<readonly MemoryRound[]> | undefined, pick: (round: MemoryRound) => number): number => {
  const rounds = ok(outcome)
  return rounds === undefined ? Number.NaN : median(rounds.map(pick))
}

export interface Target {
  readonly what: string
  readonly target: string
  readonly measured: string
  /** `undefined` when it could not be measured. */
  readonly met: boolean | undefined
}

export function targets(results: Results): Target[] {
  const list: Target[] = []
  const cachedRatio = callMedian(results.cached['token-client']) / callMedian(results.cached.floor)
  if (results.cached['token-client'] !== undefined) {
    list.push({
      what: '1. Cached getToken vs awaited Map lookup',
      target: '≤ 2x',
      measured: formatRatio(cachedRatio),
      met: Number.isFinite(cachedRatio) ? cachedRatio <= 2 : undefined,
    })
  }
  if (results.stampede['token-client'] !== undefined) {
    for (const size of results.settings.stampedeSizes) {
      const rounds = stampedeRounds(results.stampede['token-client'], size)
      const requests = rounds.map((round) => round.requests)
      const failed = rounds.reduce((sum, round) => sum + round.failed, 0)
      list.push({
        what: `2. Cold stampede of ${formatCount(size)}: token requests`,
        target: '1',
        measured: rounds.length === 0 ? 'n/a' : `${rangeText(requests)} (in each of ${rounds.length} rounds)${failed > 0 ? `, ${failed} calls failed` : ''}`,
        met: rounds.length === 0 ? undefined : requests.every((count) => count === 1) && failed === 0,
      })
    }
  }
  const freshVsFloor = freshRatio(results, 'token-client', wallNs)
  if (results.fresh['token-client'] !== undefined) {
    list.push({
      what: '3. Fresh acquisition vs raw undici.request',
      target: '≤ 1.1x',
      measured: formatRatio(freshVsFloor),
      met: Number.isFinite(freshVsFloor) ? freshVsFloor <= 1.1 : undefined,
    })
  }
  if (results.servers['reference-opaque'] !== undefined) {
    const vsOidc = serverRatio(results, 'reference-opaque', 'oidc-provider')
    const vsFloor = serverRatio(results, 'reference-opaque', 'bare-http')
    list.push({
      what: '5. Reference server (opaque) tokens/s vs oidc-provider',
      target: '≥ 2.5x',
      measured: formatRatio(vsOidc),
      met: Number.isFinite(vsOidc) ? vsOidc >= 2.5 : undefined,
    })
    list.push({
      what: '5. Reference server (opaque) tokens/s vs bare node:http',
      target: '≥ 0.6x',
      measured: formatRatio(vsFloor),
      met: Number.isFinite(vsFloor) ? vsFloor >= 0.6 : undefined,
    })
  }
  return list
}

function rangeText(values: readonly number[]): string {
  if (values.length === 0) return 'n/a'
  const low = min(values)
  const high = max(values)
  return low === high ? formatCount(low) : `${formatCount(low)}-${formatCount(high)}`
}

const metText = (met: boolean | undefined): string => (met === undefined ? 'not measured' : met ? 'met' : 'NOT met')

// ---- Tables ------------------------------------------------------------------------------------------

interface Table {
  readonly title: string
  /** Failures and remarks, printed under the table. */
  readonly notes: readonly string[]
  readonly headers: readonly string[]
  /** `r` for right-aligned columns. */
  readonly align: string
  readonly rows: readonly (readonly string[])[]
}

function label(id: ClientId): string {
  return clientInfo(id).label
}

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

function memoryTable(results: Results): Table {
  const floor = memoryMedian(results.memory.floor, (round) => round.heapBytes)
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
  const tps = (kind: ServerKind) => loadMedian(results.servers[kind], (round) => round.tokensPerSecond)
  const notes: string[] = []
  const rows = (Object.keys(SERVER_LABELS) as ServerKind[])
    .filter((kind) => results.servers[kind] !== undefined)
    .map((kind) => {
      const outcome = results.servers[kind]
      const rounds = ok(outcome)
      if (rounds === undefined) return [SERVER_LABELS[kind], failure(outcome, SERVER_LABELS[kind], notes), '', '', '', '', '', '', '', '', '']
      const value = tps(kind)
      const bad = rounds.reduce((sum, round) => sum + round.non2xx + round.errors, 0)
      const first = rounds[0]
      const last = rounds.at(-1)
      if (first !== undefined && last !== undefined && last.tokensPerSecond < 0.8 * first.tokensPerSecond) {
        notes.push(
          `${SERVER_LABELS[kind]} slowed down as the run went on: ${formatCount(first.tokensPerSecond)} tokens/s ` +
            `(${formatNs(first.serverCpuMicrosPerToken * 1e3)} CPU per token) in the first round, ` +
            `${formatCount(last.tokensPerSecond)} (${formatNs(last.serverCpuMicrosPerToken * 1e3)}) in the last; ` +
            `rounds: ${rounds.map((round) => formatCount(round.tokensPerSecond)).join(', ')}.`,
        )
      }
      return [
        SERVER_LABELS[kind],
        formatCount(value),
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

/** Section 3: processes per client (results saved before there could be several have none). */
const freshProcesses = (settings: Settings): number => settings.freshProcesses ?? 1
const freshRoundsPerClient = (settings: Settings): number => freshProcesses(settings) * settings.freshRounds
const freshBatchesText = (settings: Settings): string =>
  freshProcesses(settings) === 1
    ? ''
    : `This runs ${freshProcesses(settings)} times over, with new processes each time (a batch), one batch after the other, since one process runs a
few percent faster or slower than the next whatever the code.`

/** Section 3's rotations run before those recorded, in words (results saved before they existed have none). */
function unrecordedRotations(settings: Settings): string {
  const count = settings.freshUnrecordedRotations ?? 0
  if (count === 0) return ''
  return `${count} rotations of the same kind run first and are not recorded: in them every process, and the server they share, was still
settling (in a full run the fastest clients took up to 80% longer per call in the first rotation than later).`
}

/** autocannon records whole milliseconds: 0 means under one. */
function latency(ms: number): string {
  return ms < 1 ? '< 1 ms' : `${significant(ms)} ms`
}

function targetsTable(results: Results): Table {
  return {
    title: 'Targets',
    headers: ['what', 'target', 'measured', ''],
    align: 'lrrl',
    rows: targets(results).map((target) => [target.what, target.target, target.measured, metText(target.met)]),
    notes: results.settings.quick
      ? ['quick run: rounds this short leave the JIT cold and the machine unsettled; judge the targets on a full run']
      : [],
  }
}

function tables(results: Results): Table[] {
  const list: Table[] = []
  if (Object.keys(results.cached).length > 0) list.push(cachedTable(results))
  if (Object.keys(results.stampede).length > 0) list.push(stampedeTable(results))
  if (Object.keys(results.fresh).length > 0) list.push(freshTable(results))
  if (Object.keys(results.memory).length > 0) list.push(memoryTable(results))
  if (Object.keys(results.servers).length > 0) list.push(serversTable(results))
  list.push(targetsTable(results))
  return list
}

// ---- Text --------------------------------------------------------------------------------------------

function textTable(table: Table): string {
  const widths = table.headers.map((header, column) =>
    Math.max(header.length, ...table.rows.map((row) => (row[column] ?? '').length)),
  )
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (table.align[column] === 'r' ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd()
  return [
    table.title,
    line(table.headers),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...table.rows.map(line),
    ...table.notes.map((note) => `  * ${note}`),
  ].join('\n')
}

export function renderText(results: Results): string {
  const { machine } = results
  const head = `${machine.cpu}, ${machine.cores} cores, ${machine.memory}, Node ${machine.node}, ${machine.os}, ${machine.date}, commit ${machine.commit}${results.settings.quick ? ' (quick run)' : ''}`
  const warning = loadWarning(machine)
  return [head, ...(warning === undefined ? [] : [`WARNING: ${warning}`]), ...tables(results).map(textTable), `run time ${Math.round(results.durationMs / 1000)} s`].join('\n\n')
}

// ---- Markdown ----------------------------------------------------------------------------------------

function markdownTable(table: Table): string {
  const escape = (cell: string) => cell.replaceAll('|', '\\|')
  const row = (cells: readonly string[]) => `| ${cells.map(escape).join(' | ')} |`
  const rule = `| ${table.headers.map((_, column) => (table.align[column] === 'r' ? '---:' : '---')).join(' | ')} |`
  const notes = table.notes.length === 0 ? '' : `\n\n${table.notes.map((note) => `- ${note}`).join('\n')}`
  return [row(table.headers), rule, ...table.rows.map(row)].join('\n') + notes
}

export function renderMarkdown(results: Results, settings: Settings): string {
  const { machine } = results
  const byTitle = new Map(tables(results).map((table) => [table.title.split(':')[0] ?? table.title, table]))
  const section = (key: string, text: string) => {
    const table = byTitle.get(key)
    return table === undefined ? '' : `## ${table.title}\n\n${text}\n\n${markdownTable(table)}\n`
  }
  const clientList = CLIENTS.map((client) => `- **${client.label}**: ${client.how}`).join('\n')
  return `# Benchmarks

What a token costs with this package's \`TokenClient\` beside the client libraries people use today,
and how fast the bundled reference server issues tokens beside the servers people test against. Each
figure sits next to its physical floor (a plain \`Map\`, a raw \`undici.request\`, a bare \`node:http\`
handler), because absolute numbers move between machines and ratios move much less.

This file and [benchmarks.svg](benchmarks.svg) are written by \`npm run bench\`; do not edit them by hand.

![Benchmark chart](benchmarks.svg)

## Machine and run

| | |
| --- | --- |
| CPU | ${machine.cpu} |
| cores | ${machine.cores} |
| memory | ${machine.memory} |
| Node.js | ${machine.node} |
| OS | ${machine.os} |
| date | ${machine.date} |
| load average at start | ${machine.loadAtStart.toFixed(2)} |
| commit | ${machine.commit} |
| run | ${settings.quick ? '`npm run bench -- --quick --write`' : '`npm run bench`'}, ${Math.round(results.durationMs / 1000)} s |

${loadWarning(machine) === undefined ? '' : `> **Note.** ${loadWarning(machine)}\n\n`}## Targets

${markdownTable(targetsTable(results))}

${section('1. Repeated (cached) call', `Sequential awaited calls for the same scope, timed over a round of many calls after a warm-up round; the
number of calls per round is calibrated so that a round of a cached client lasts about ${settings.cachedRoundMs} ms. Clients without a
cache make a token request on every call, so they run ${formatCount(settings.networkCallsPerRound)} calls per round, after a warm-up as in section 3. *requests/call* is
what the server counted during the rounds. The floor is an \`async\` function returning a value from a \`Map\`, awaited: what any
promise-returning token getter must at least do.`)}
${section('2. Cold stampede', `All calls start at once on a client with an empty cache (a new client each round, after a warm-up
stampede of 10 on another). *token requests* is what the server counted (the range over rounds when they differ); *time to
last answer* runs from the first call to the last settled promise. The floor is one raw \`undici.request\` whose promise all callers
await (a hand-written single flight). Clients that make a request per call open one connection per concurrent request.`)}
${section('3. Fresh acquisition', `A new token on every call (\`forceRefresh\` or the library's equivalent), one call at a time over a
keep-alive connection. The floor is \`undici.request\` doing the same POST (Basic auth, form body) and reading the JSON body.
All clients run at once against one server process, each in a process of its own, and take turns: each process warms
up alone (at least ${formatCount(settings.freshWarmup)} calls, then warm-up rounds until a round is no more than 10% faster than the one before);
then, in each of ${settings.freshRounds} rotations, every process in turn makes ${formatCount(settings.freshCalls)} timed calls after ${formatCount(settings.freshRewarm)} untimed ones while the
others wait (the order shifts by one each rotation). A change in the machine's load during the run so falls on every client
alike. ${freshBatchesText(settings)}
${unrecordedRotations(settings)}
*per call* is the median over a client's ${freshRoundsPerClient(settings)} rounds; *x floor* is the median over them of the client's round divided by the
floor's round of the same rotation and batch. Client and server run in separate processes, so on ${machine.cores} cores each has a core.
*client CPU/call* is the client process's CPU time per call: what the library itself costs, which moves less than the
wall time when something else shares the machine. \`npm run build && npx tsx scripts/bench/fresh-breakdown.ts\` splits TokenClient's share.`)}
${section('4. Memory', `Heap used (\`process.memoryUsage().heapUsed\` after forced \`gc()\`, in a process started with \`--expose-gc\`) by a
client that has fetched ${formatCount(MEMORY_SCOPES)} distinct scopes, less the heap before it was created (library modules already
loaded); *per token* is the growth from one cached scope to all of them, divided by the rest. TokenClient is given
\`cache.maxEntries: ${formatCount(MEMORY_SCOPES)}\` (its default, 1,000, would keep only the latest 1,000). The floor is the \`Map\` of scope to
token string of section 1. *requests* counts what the server saw while filling, then while asking again for 100 of the scopes
(0 when they came from the cache). Clients without a cache hold nothing and are not listed; @badgateway/oauth2-client holds one
token per \`OAuth2Fetch\`, so it gets one per scope.`)}
${section('5. Token servers under autocannon', `Each server runs in its own process, and autocannon in another (its API, in a child
process), on ${machine.cores} cores: one for the server, one for the load. All servers are started at once and take turns, as the
clients of section 3 do: each is warmed up with ${settings.loadWarmupSeconds} s of load, then, in each of ${settings.loadRounds} rotations, each server in turn gets
${settings.loadRewarmSeconds} s of untimed load and a timed round of ${settings.loadSeconds} s while the others stand idle. *x floor* and *x oidc-provider* are medians
over rotations of the server's tokens/s divided by the other's in the same rotation. Every request is the same token request (\`client_secret_basic\`,
\`grant_type=client_credentials&scope=api:read\`) on keep-alive connections, ${settings.loadConnections} at a time, without pipelining. *tokens/s*
counts 2xx answers; latencies are autocannon's (1 ms resolution); *server CPU* is the server process's CPU time over the
round's wall time (100% = one core busy: the server, not the load generator, was the limit), and *CPU per token* that CPU
time divided by the 2xx answers, which moves less than tokens/s when something else shares the machine; *server heap at end*
is the server's heap used after the last round, not collected. The reference server runs
with \`logLimit: 0, throttle: false\` and otherwise its defaults: it keeps issued tokens for introspection up to its default
\`maxTokens\`, forgetting the one that expires first beyond that; oidc-provider with
the configuration of \`test/interop/oidc-provider.test.ts\` (client credentials enabled, opaque tokens) and an in-memory
adapter; oauth2-mock-server with an ES256 key (it signs a JWT per request and checks no credentials). The floor is a
\`node:http\` handler that reads the body and answers a fixed token response of the same size.`)}
## The clients

${clientList}

Each client runs in a fresh Node process per scenario, against a fresh reference server process (opaque tokens,
\`logLimit: 0\`, \`throttle: false\`) that counts the token requests it sees; in section 3 the clients' processes share one
such server and take turns, as described there. A client or server that fails is reported as
failed and the run goes on. Figures are medians over rounds; *spread* is half the range of the rounds relative to the median.
This package is measured as it ships: \`npm run bench\` builds it first (\`npm run build\`) and the scripts import
\`oauth2-client-credentials\` and \`oauth2-client-credentials/server\` by name, so \`TokenClient\` and the reference server
run from \`dist/\`, not through tsx (which cost the reference server 6-17% more CPU per token in side-by-side runs).

## Reproduce

\`\`\`sh
npm ci
npm run bench                 # builds the package, then the full run; writes this file and benchmarks.svg
npm run bench -- --quick      # shorter rounds, prints only (add --write to write the docs)
npm run bench -- --only fresh,servers --clients token-client,floor
\`\`\`

The scripts are in \`scripts/bench/\` of the repository (not in the published package).
`
}

// ---- SVG ---------------------------------------------------------------------------------------------

interface Bar {
  readonly label: string
  /** NaN when failed or not run. */
  readonly value: number
  readonly text: string
  readonly kind: 'floor' | 'ours' | 'other'
}

interface Panel {
  readonly title: string
  readonly scale: 'log' | 'linear'
  readonly bars: readonly Bar[]
}

const COLORS = { floor: '#9aa5b1', ours: '#2b6cb0', other: '#dd8a3c' } as const

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}

function kindOf(id: ClientId): Bar['kind'] {
  return id === 'floor' ? 'floor' : id === 'token-client' ? 'ours' : 'other'
}

function panels(results: Results): Panel[] {
  const list: Panel[] = []
  const clientBars = (
    outcomes: Partial<Record<ClientId, Outcome<unknown>>>,
    value: (id: ClientId) => number,
    text: (id: ClientId, value: number) => string,
    floorLabel?: string,
  ): Bar[] =>
    CLIENTS.filter((client) => outcomes[client.id] !== undefined).map((client) => {
      const amount = value(client.id)
      return {
        label: client.id === 'floor' && floorLabel !== undefined ? floorLabel : client.label,
        value: amount,
        text: Number.isFinite(amount) ? text(client.id, amount) : 'failed',
        kind: kindOf(client.id),
      }
    })
  if (Object.keys(results.cached).length > 0) {
    const floor = callMedian(results.cached.floor)
    list.push({
      title: 'Repeated (cached) call: time per call, log scale (shorter is better)',
      scale: 'log',
      bars: clientBars(
        results.cached,
        (id) => callMedian(results.cached[id]),
        (_, ns) => `${formatNs(ns)} (${formatRatio(ns / floor)})`,
        'floor: awaited Map lookup',
      ),
    })
  }
  const biggest = max(results.settings.stampedeSizes as number[])
  if (Object.keys(results.stampede).length > 0) {
    list.push({
      title: `Cold stampede of ${formatCount(biggest)} calls: token requests the server saw, log scale (fewer is better)`,
      scale: 'log',
      bars: clientBars(
        results.stampede,
        (id) => {
          const rounds = stampedeRounds(results.stampede[id], biggest)
          return rounds.length === 0 ? Number.NaN : median(rounds.map((round) => round.requests))
        },
        (id, requests) => {
          const rounds = stampedeRounds(results.stampede[id], biggest)
          return `${formatCount(requests)} in ${formatNs(median(rounds.map((round) => round.ms)) * 1e6)}`
        },
        'floor: one shared raw request',
      ),
    })
  }
  if (Object.keys(results.fresh).length > 0) {
    list.push({
      title: 'Fresh acquisition: time per new token, one at a time (shorter is better)',
      scale: 'linear',
      bars: clientBars(
        results.fresh,
        (id) => callMedian(results.fresh[id]),
        (id, ns) => `${formatNs(ns)} (${formatRatio(freshRatio(results, id, wallNs))})`,
        'floor: raw undici.request',
      ),
    })
  }
  if (Object.keys(results.memory).length > 0) {
    const floor = memoryMedian(results.memory.floor, (round) => round.heapBytes)
    list.push({
      title: `Memory: heap with ${formatCount(MEMORY_SCOPES)} cached scopes (smaller is better)`,
      scale: 'linear',
      bars: clientBars(
        results.memory,
        (id) => memoryMedian(results.memory[id], (round) => round.heapBytes),
        (id, bytes) => {
          const filled = min((ok(results.memory[id]) ?? []).map((round) => round.filled))
          return filled < MEMORY_SCOPES
            ? `${formatBytes(bytes)} for only ${formatCount(filled)} scopes (filling slowed down)`
            : `${formatBytes(bytes)} (${formatRatio(bytes / floor)})`
        },
        'floor: Map of scope to token',
      ),
    })
  }
  if (Object.keys(results.servers).length > 0) {
    const tps = (kind: ServerKind) => loadMedian(results.servers[kind], (round) => round.tokensPerSecond)
    list.push({
      title: 'Token servers: tokens per second under the same load (longer is better)',
      scale: 'linear',
      bars: (Object.keys(SERVER_LABELS) as ServerKind[])
        .filter((kind) => results.servers[kind] !== undefined)
        .map((kind) => ({
          label: SERVER_LABELS[kind],
          value: tps(kind),
          text: Number.isFinite(tps(kind))
            ? `${formatCount(tps(kind))}/s (${formatRatio(serverRatio(results, kind, 'bare-http'))}), p99 ${latency(loadMedian(results.servers[kind], (round) => round.p99Ms))}`
            : 'failed',
          kind: kind === 'bare-http' ? 'floor' : kind.startsWith('reference') ? 'ours' : 'other',
        })),
    })
  }
  return list
}

export function renderSvg(results: Results): string {
  const width = 960
  const labelWidth = 290
  const barArea = 430
  const rowHeight = 22
  const parts: string[] = []
  let y = 0
  const { machine } = results
  parts.push(
    `<text x="16" y="${(y += 28)}" font-size="16" font-weight="bold">oauth2-client-credentials benchmarks</text>`,
    `<text x="16" y="${(y += 20)}" font-size="12" fill="#555">${escapeXml(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}${results.settings.quick ? ', quick run' : ''}; ratios are to the floor (grey)`)}</text>`,
  )
  for (const panel of panels(results)) {
    y += 30
    parts.push(`<text x="16" y="${y}" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`)
    y += 8
    const values = panel.bars.map((bar) => bar.value).filter((value) => Number.isFinite(value) && value > 0)
    const top = values.length === 0 ? 1 : Math.max(...values)
    const bottom = values.length === 0 ? 1 : Math.min(...values)
    const length = (value: number): number => {
      if (!Number.isFinite(value) || value <= 0) return 0
      if (panel.scale === 'linear') return (value / top) * barArea
      // Log scale from a decade below the smallest value, so that the smallest bar still shows.
      const low = Math.log10(bottom) - 1
      const high = Math.log10(top)
      return ((Math.log10(value) - low) / Math.max(high - low, 1e-9)) * barArea
    }
    for (const bar of panel.bars) {
      const barLength = Math.max(length(bar.value), Number.isFinite(bar.value) ? 2 : 0)
      const middle = y + rowHeight / 2 + 4
      parts.push(
        `<text x="${labelWidth - 8}" y="${middle}" font-size="12" text-anchor="end">${escapeXml(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y + 3}" width="${barLength.toFixed(1)}" height="${rowHeight - 6}" fill="${COLORS[bar.kind]}"/>`,
        `<text x="${(labelWidth + barLength + 6).toFixed(1)}" y="${middle}" font-size="12" fill="#222">${escapeXml(bar.text)}</text>`,
      )
      y += rowHeight
    }
  }
  y += 16
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
${parts.join('\n')}
</svg>
`
}
