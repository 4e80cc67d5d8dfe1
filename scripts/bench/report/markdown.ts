// docs/benchmarks.md: the prose is report/benchmarks.template.md; this fills in the machine, the
// settings the prose speaks of, and the tables of the sections that were run.
import { readFileSync } from 'node:fs'
import { MEMORY_SCOPES } from '../config.js'
import { loadWarning } from '../lib/machine.js'
import { formatCount } from '../lib/stats.js'
import { SECTION_IDS, type Results } from '../results.js'
import { CLIENTS } from '../subjects/clients.js'
import { discoveryTemplateValues } from './discovery.js'
import { dpopTemplateValues } from './dpop.js'
import { freshProcesses, freshRoundsPerClient, freshUnrecordedRotations } from './figures.js'
import { fleetTemplateValues } from './fleet.js'
import { markdownTable } from './table.js'
import { sectionTables } from './tables.js'
import { targetsTable } from './targets.js'
import { fillTemplate } from './template.js'

const TEMPLATE = readFileSync(new URL('benchmarks.template.md', import.meta.url), 'utf8')

export function renderMarkdown(results: Results): string {
  const { machine, settings } = results
  const tables = sectionTables(results)
  const sections = Object.fromEntries(
    SECTION_IDS.flatMap((id) => {
      const list = tables[id]
      return list === undefined || list[0] === undefined
        ? [[id, false]]
        : [
            [id, true],
            [`${id}.title`, list[0].title],
            [`${id}.table`, list.map(markdownTable).join('\n\n')],
          ]
    }),
  )
  return fillTemplate(TEMPLATE, {
    'machine.cpu': machine.cpu,
    'machine.cores': String(machine.cores),
    'machine.memory': machine.memory,
    'machine.node': machine.node,
    'machine.os': machine.os,
    'machine.date': machine.date,
    'machine.loadAtStart': machine.loadAtStart.toFixed(2),
    'machine.commit': machine.commit,
    'run.command': settings.quick ? '`npm run bench -- --quick --write`' : '`npm run bench`',
    'run.seconds': String(Math.round(results.durationMs / 1000)),
    loadWarning: loadWarning(machine) ?? false,
    targets: markdownTable(targetsTable(results)),
    ...sections,
    'cached.roundMs': String(settings.cachedRoundMs),
    'cached.networkCallsPerRound': formatCount(settings.networkCallsPerRound),
    'fresh.warmup': formatCount(settings.freshWarmup),
    'fresh.rotations': String(settings.freshRounds),
    'fresh.calls': formatCount(settings.freshCalls),
    'fresh.rewarm': formatCount(settings.freshRewarm),
    'fresh.batches': freshProcesses(settings) > 1,
    'fresh.processes': String(freshProcesses(settings)),
    'fresh.settling': freshUnrecordedRotations(settings) > 0,
    'fresh.unrecordedRotations': String(freshUnrecordedRotations(settings)),
    'fresh.roundsPerClient': String(freshRoundsPerClient(settings)),
    'memory.scopes': formatCount(MEMORY_SCOPES),
    'servers.warmupSeconds': String(settings.loadWarmupSeconds),
    'servers.rotations': String(settings.loadRounds),
    'servers.rewarmSeconds': String(settings.loadRewarmSeconds),
    'servers.roundSeconds': String(settings.loadSeconds),
    'servers.connections': String(settings.loadConnections),
    clients: CLIENTS.map((client) => `- **${client.label}**: ${client.how}`).join('\n'),
    ...discoveryTemplateValues(results),
    ...dpopTemplateValues(results),
    ...fleetTemplateValues(results),
  })
}
