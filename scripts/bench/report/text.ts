// What run.ts prints: the machine, then every table with its notes.
import { loadWarning } from '../lib/machine.js'
import type { Results } from '../results.js'
import { textTable } from './table.js'
import { sectionTables } from './tables.js'
import { targetsTable } from './targets.js'

export function renderText(results: Results): string {
  const { machine } = results
  const head = `${machine.cpu}, ${machine.cores} cores, ${machine.memory}, Node ${machine.node}, ${machine.os}, ${machine.date}, commit ${machine.commit}${results.settings.quick ? ' (quick run)' : ''}`
  const warning = loadWarning(machine)
  const tables = [...Object.values(sectionTables(results)).flat(), targetsTable(results)]
  return [head, ...(warning === undefined ? [] : [`WARNING: ${warning}`]), ...tables.map(textTable), `run time ${Math.round(results.durationMs / 1000)} s`].join('\n\n')
}
