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
//   npm run bench -- --only jwt        section 3b alone (fresh tokens with private_key_jwt, ES256)
//   npm run bench -- --only discovery  section 3c alone (issuer instead of tokenUrl: requests per client lifetime, cost per token, first call)
//   npm run bench -- --only dpop       section 3d alone (DPoP: a request through createAuthFetch with a cached token vs its floor, cached getToken with and without DPoP)
//   npm run bench -- --only fleet      section 6 alone (a shared cache on a real redis-server; prints only)
//   npm run bench -- --only observability  section 7 alone (cached getToken: no SDK, the OTel metrics SDK, a cache-channel subscriber)
//
// What each section measures, and how: sections/. The clients and servers compared: subjects/. The
// processes that measure: children/. The tables, the chart, the targets and the prose: report/.
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { settings as settingsFor } from './config.js'
import { machineInfo } from './lib/machine.js'
import { killAll } from './lib/processes.js'
import { renderSvg } from './report/chart.js'
import { renderMarkdown } from './report/markdown.js'
import { renderText } from './report/text.js'
import { SECTION_IDS, type Results, type SectionId } from './results.js'
import { cached } from './sections/cached.js'
import { discovery } from './sections/discovery.js'
import { dpop } from './sections/dpop.js'
import { fleet } from './sections/fleet.js'
import { fresh } from './sections/fresh.js'
import { jwt } from './sections/jwt.js'
import { memory } from './sections/memory.js'
import { observability } from './sections/observability.js'
import type { Section, SectionContext } from './sections/section.js'
import { servers } from './sections/servers.js'
import { stampede } from './sections/stampede.js'
import { CLIENTS } from './subjects/clients.js'

const SECTIONS: { readonly [K in SectionId]: Section<K> } = { cached, stampede, fresh, jwt, discovery, dpop, memory, servers, fleet, observability }

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
      `  --only LIST         sections: ${SECTION_IDS.join(',')}`,
      '  --clients LIST      clients: ' + CLIENTS.map((client) => client.id).join(','),
      '  --json FILE         also write the raw results as JSON',
      '  --from-json FILE    measure nothing: print (and with --write, write the docs) from results saved by --json',
      '  --write / --no-write  write docs/benchmarks.md and docs/benchmarks.svg (default: on a full, unfiltered run)',
    ].join('\n'),
  )
  process.exit(0)
}

const settings = settingsFor(args.quick)
const sections = new Set<SectionId>(list(args.only, SECTION_IDS))
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

/** Runs the chosen sections, one after another, each measurement in processes of its own. */
async function measure(): Promise<Results> {
  const started = performance.now()
  const results: Results = {
    machine: machineInfo(),
    settings,
    cached: {},
    fresh: {},
    jwt: {},
    discovery: {},
    dpop: {},
    stampede: {},
    memory: {},
    servers: {},
    fleet: {},
    observability: {},
    durationMs: 0,
  }

  progress(`Benchmarks (${settings.quick ? 'quick' : 'full'} run) on ${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}`)
  const context: SectionContext = { settings, clients, progress }
  for (const id of SECTION_IDS) {
    if (!sections.has(id)) continue
    const section: Section = SECTIONS[id]
    progress(`\n${section.heading(settings)}`)
    Object.assign(results[id], await section.measure(context))
  }

  results.durationMs = performance.now() - started
  return results
}

const saved = (file: string): Results => {
  const read = JSON.parse(readFileSync(file, 'utf8')) as Results
  // Results saved before section 6 (or 3b, 3c, 3d) existed have no `fleet` (or `jwt`, `discovery`, `dpop`).
  return { ...read, jwt: read.jwt ?? {}, discovery: read.discovery ?? {}, dpop: read.dpop ?? {}, fleet: read.fleet ?? {}, observability: read.observability ?? {} }
}
const results: Results = args['from-json'] === undefined ? await measure() : saved(args['from-json'])
const text = renderText(results)
console.log(`\n${text}`)

if (args.json !== undefined) writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`)
if (write) {
  const docs = new URL('../../docs/', import.meta.url)
  writeFileSync(new URL('benchmarks.svg', docs), renderSvg(results))
  writeFileSync(new URL('benchmarks.md', docs), renderMarkdown(results))
  progress('wrote docs/benchmarks.md and docs/benchmarks.svg')
}
if (args['from-json'] === undefined) progress(`run time: ${(results.durationMs / 1000).toFixed(0)} s`)
