// `npm run bench`: the package's TokenClient beside the client libraries people use today, and the
// reference server beside the servers they use, each against its physical floor. Every measurement
// runs in child processes of its own (client, server, load generator); this script only conducts,
// then prints the table and writes docs/benchmarks.md with an SVG chart.
//
//   npm run bench                      full run (about 6 minutes on 2 cores), writes docs/benchmarks.md
//   npm run bench -- --quick           shorter rounds (about 2 minutes), prints only (add --write to write)
//   npm run bench -- --only fresh,servers --clients token-client,floor
//   npm run bench -- --json results.json
//   npm run bench -- --from-json results.json --write     re-render the docs from saved results
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { CallResult, ClientScenario, ClientTask, StampedeResult } from './client-bench.js'
import { CLIENTS, type ClientId } from './clients.js'
import { settings as settingsFor } from './config.js'
import type { Outcome } from './lib/child.js'
import { killAll, spawnTracked, startServerProcess, withServer, type ServerProcess } from './lib/processes.js'
import { formatBytes, formatNs, median } from './lib/stats.js'
import { conductTurns } from './lib/turns.js'
import type { LoadRound, LoadTask } from './load-bench.js'
import type { MemoryRound, MemoryTask } from './memory-bench.js'
import { machineInfo, renderMarkdown, renderSvg, renderText, type Results } from './report.js'
import type { ServerKind } from './servers.js'

const SECTIONS = ['cached', 'stampede', 'fresh', 'memory', 'servers'] as const
type Section = (typeof SECTIONS)[number]

const SERVER_KINDS: readonly ServerKind[] = ['bare-http', 'reference-opaque', 'reference-jwt', 'oidc-provider', 'oauth2-mock-server']
/** The clients that keep many scopes: the others cache nothing, or (badgateway) one token per helper. */
const MEMORY_CLIENTS: readonly ClientId[] = ['floor', 'token-client', 'msal-node', 'badgateway']

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    write: { type: 'boolean' },
    'no-write': { type: 'boolean', default: false },
    only: { type: 'string' },
    clients: { type: 'string' },
    json: { type: 'string' },
    'from-json': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})

if (args.help) {
  console.log(
    [
      'npm run bench [-- options]',
      '  --quick             shorter rounds; prints only, unless --write',
      '  --only LIST         sections: cached,stampede,fresh,memory,servers',
      '  --clients LIST      clients: ' + CLIENTS.map((client) => client.id).join(','),
      '  --json FILE         also write the raw results as JSON',
      '  --from-json FILE    measure nothing: print (and with --write, write the docs) from results saved by --json',
      '  --write / --no-write  write docs/benchmarks.md and docs/benchmarks.svg (default: on a full, unfiltered run)',
    ].join('\n'),
  )
  process.exit(0)
}

const settings = settingsFor(args.quick)
const sections = new Set<Section>(list(args.only, SECTIONS))
const clients = list(args.clients, CLIENTS.map((client) => client.id))
const complete = args.only === undefined && args.clients === undefined
const write = args['no-write'] ? false : (args.write ?? (complete && !args.quick && args['from-json'] === undefined))

function list<T extends string>(text: string | undefined, all: readonly T[]): T[] {
  if (text === undefined) return [...all]
  const chosen = text.split(',').map((item) => item.trim()).filter(Boolean)
  for (const item of chosen) {
    if (!all.includes(item as T)) {
      console.error(`unknown "${item}"; one of: ${all.join(', ')}`)
      process.exit(2)
    }
  }
  return chosen as T[]
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll()
    process.exit(130)
  })
}
process.on('exit', killAll)

const progress = (text: string) => process.stderr.write(`${text}\n`)

const REFERENCE = { kind: 'reference-opaque', count: true } as const

function clientScenario<T>(client: ClientId, scenario: ClientScenario, timeoutMs: number): Promise<Outcome<T>> {
  return withServer<T>(REFERENCE, (server) =>
    spawnTracked<T>('client-bench.ts', { client, scenario, server: server.info, settings } satisfies ClientTask, {
      timeoutMs,
      handlers: { tokenRequests: () => server.tokenRequests() },
    }),
  )
}

/**
 * Fresh acquisition of every client against one server process, in batches of one process per
 * client taking turns (lib/turns.ts): one timed round each per rotation, so that a change in load
 * falls on all alike. `settings.freshProcesses` batches run one after another, since one process
 * runs a few percent faster or slower than the next, whatever the code.
 */
async function interleavedFresh(ids: readonly ClientId[]): Promise<Results['fresh']> {
  let server: ServerProcess | undefined
  try {
    server = await startServerProcess(REFERENCE)
    const counter = server
    // One batch of processes (one per client) after the other: with more processes taking turns at
    // once, each would wait longer between its rounds, long enough for V8 to shrink an idle heap.
    const batches: Array<Results['fresh']> = []
    for (let batch = 0; batch < settings.freshProcesses; batch++) {
      batches.push(
        await conductTurns(
          ids,
          (client) =>
            spawnTracked<CallResult>('client-bench.ts', { client, scenario: 'fresh', server: counter.info, settings } satisfies ClientTask, {
              timeoutMs: 600_000,
              handlers: { tokenRequests: () => counter.tokenRequests() },
            }),
          { recorded: settings.freshRounds, unrecorded: settings.freshUnrecordedRotations },
        ),
      )
    }
    return Object.fromEntries(ids.map((client) => [client, mergeProcesses(batches.map((batch) => batch[client]))]))
  } catch (error) {
    return failedAll(ids, error)
  } finally {
    await server?.stop()
  }
}

/** One client's rounds from all its processes, in process order (so that round i pairs with round i of another client). */
function mergeProcesses(outcomes: ReadonlyArray<Outcome<CallResult> | undefined>): Outcome<CallResult> {
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
 * Every server in a process of its own, all at once, each with a load generator in another; the
 * load generators take turns (lib/turns.ts), so only one server is under load at a time.
 */
async function interleavedServers(kinds: readonly ServerKind[]): Promise<Results['servers']> {
  const processes = new Map<ServerKind, ServerProcess>()
  const outcomes: Results['servers'] = {}
  try {
    for (const kind of kinds) {
      try {
        processes.set(kind, await startServerProcess({ kind }))
      } catch (error) {
        outcomes[kind] = { ok: false, error: error instanceof Error ? error.message : String(error) }
      }
    }
    const timeoutMs = 120_000 + (settings.loadWarmupSeconds + settings.loadRounds * (settings.loadSeconds + settings.loadRewarmSeconds + 2) * kinds.length) * 1000
    Object.assign(
      outcomes,
      await conductTurns(
        [...processes.keys()],
        (kind) => {
          const server = processes.get(kind) as ServerProcess
          return spawnTracked<LoadRound[]>('load-bench.ts', { tokenUrl: server.info.tokenUrl, settings } satisfies LoadTask, {
            timeoutMs,
            handlers: { serverUsage: () => server.usage() },
          })
        },
        { recorded: settings.loadRounds, unrecorded: 0 },
      ),
    )
    return outcomes
  } catch (error) {
    return { ...failedAll(kinds, error), ...outcomes }
  } finally {
    await Promise.all([...processes.values()].map((server) => server.stop()))
  }
}

function failedAll<K extends string, T>(ids: readonly K[], error: unknown): Partial<Record<K, Outcome<T>>> {
  const message = error instanceof Error ? error.message : String(error)
  return Object.fromEntries(ids.map((id) => [id, { ok: false, error: message }])) as Partial<Record<K, Outcome<T>>>
}

function describe<T>(outcome: Outcome<T>, since: number, summary: (value: T) => string): string {
  const seconds = ((performance.now() - since) / 1000).toFixed(1)
  return `${outcome.ok ? summary(outcome.value) : `FAILED: ${outcome.error.split('\n')[0]}`}  (${seconds} s)`
}

/** Runs the chosen sections, each measurement in processes of its own. */
async function measure(): Promise<Results> {
  const started = performance.now()
  const results: Results = {
    machine: machineInfo(),
    settings,
    cached: {},
    fresh: {},
    stampede: {},
    memory: {},
    servers: {},
    durationMs: 0,
  }

  progress(`Benchmarks (${settings.quick ? 'quick' : 'full'} run) on ${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}`)

  if (sections.has('cached')) {
    progress('\n1. Repeated (cached) call')
    for (const client of clients) {
      const since = performance.now()
      const outcome = await clientScenario<CallResult>(client, 'cached', 180_000)
      results.cached[client] = outcome
      progress(`   ${client.padEnd(14)} ${describe(outcome, since, (value) => `${formatNs(median(value.nsPerCall))} per call`)}`)
    }
  }

  if (sections.has('stampede')) {
    progress('\n2. Cold stampede')
    for (const client of clients) {
      const since = performance.now()
      const outcome = await clientScenario<StampedeResult>(client, 'stampede', 300_000)
      results.stampede[client] = outcome
      progress(
        `   ${client.padEnd(14)} ${describe(outcome, since, (value) =>
          Object.entries(value.sizes)
            .map(([size, rounds]) => `n=${size}: ${median(rounds.map((round) => round.requests))} requests, ${formatNs(median(rounds.map((round) => round.ms)) * 1e6)}`)
            .join('; '),
        )}`,
      )
    }
  }

  if (sections.has('fresh')) {
    progress(`\n3. Fresh acquisition (${settings.freshProcesses} batches of processes x ${settings.freshRounds} rounds, interleaved)`)
    const since = performance.now()
    Object.assign(results.fresh, await interleavedFresh(clients))
    for (const client of clients) {
      const outcome = results.fresh[client]
      if (outcome !== undefined) progress(`   ${client.padEnd(14)} ${describe(outcome, since, (value) => `${formatNs(median(value.nsPerCall))} per call`)}`)
    }
  }

  if (sections.has('memory')) {
    progress('\n4. Memory, 10,000 cached scopes')
    for (const client of MEMORY_CLIENTS.filter((id) => clients.includes(id))) {
      const since = performance.now()
      const outcome = await withServer<MemoryRound[]>({ kind: 'reference-opaque', count: true, memoryClient: true }, (server) =>
        spawnTracked<MemoryRound[]>('memory-bench.ts', { client, server: server.info, rounds: settings.memoryRounds, fillBudgetMs: settings.memoryFillBudgetMs } satisfies MemoryTask, {
          nodeArgs: ['--expose-gc'],
          timeoutMs: 60_000 + settings.memoryRounds * (settings.memoryFillBudgetMs + 30_000),
          handlers: { tokenRequests: () => server.tokenRequests() },
        }),
      )
      results.memory[client] = outcome
      progress(`   ${client.padEnd(14)} ${describe(outcome, since, (rounds) => `${formatBytes(median(rounds.map((round) => round.heapBytes)))}`)}`)
    }
  }

  if (sections.has('servers')) {
    progress(`\n5. Servers under autocannon (${settings.loadConnections} connections, ${settings.loadRounds} x ${settings.loadSeconds} s, interleaved)`)
    const since = performance.now()
    Object.assign(results.servers, await interleavedServers(SERVER_KINDS))
    for (const kind of SERVER_KINDS) {
      const outcome = results.servers[kind]
      if (outcome === undefined) continue
      progress(
        `   ${kind.padEnd(20)} ${describe(outcome, since, (rounds) => `${Math.round(median(rounds.map((round) => round.tokensPerSecond)))} tokens/s, p99 ${median(rounds.map((round) => round.p99Ms))} ms`)}`,
      )
    }
  }

  results.durationMs = performance.now() - started
  return results
}

const results: Results =
  args['from-json'] === undefined ? await measure() : (JSON.parse(readFileSync(args['from-json'], 'utf8')) as Results)
const text = renderText(results)
console.log(`\n${text}`)

if (args.json !== undefined) writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`)
if (write) {
  const docs = new URL('../../docs/', import.meta.url)
  writeFileSync(new URL('benchmarks.svg', docs), renderSvg(results))
  writeFileSync(new URL('benchmarks.md', docs), renderMarkdown(results, results.settings))
  progress('wrote docs/benchmarks.md and docs/benchmarks.svg')
}
if (args['from-json'] === undefined) progress(`run time: ${(results.durationMs / 1000).toFixed(0)} s`)
