// The machine a run measured on, recorded with the results, and what its load meant for them.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os'

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
