// The soak, bounded: many concurrent callers over many scopes with random faults and short token
// lifetimes, in a child process, then a report. Exits 1 when a check fails.
//
//   npx tsx scripts/soak/run.ts                 # 120 s, 200 callers, 60 scopes × lifetimes 2, 3, 5 s
//   npx tsx scripts/soak/run.ts --seconds 600 --callers 500 --scopes 100 --lifetimes 2,10 --faults-per-second 10
//   npx tsx scripts/soak/run.ts --json          # the whole report as JSON
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import { DEFAULT_SOAK, runSoak, type SoakConfig } from './soak.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    callers: { type: 'string' },
    scopes: { type: 'string' },
    lifetimes: { type: 'string' },
    'faults-per-second': { type: 'string' },
    'abort-share': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
})

const number = (name: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`--${name} must be a non-negative number`)
  return value
}

const config: Partial<SoakConfig> = {
  seconds: number('seconds', values.seconds, DEFAULT_SOAK.seconds),
  callers: number('callers', values.callers, DEFAULT_SOAK.callers),
  scopes: number('scopes', values.scopes, DEFAULT_SOAK.scopes),
  faultsPerSecond: number('faults-per-second', values['faults-per-second'], DEFAULT_SOAK.faultsPerSecond),
  abortShare: number('abort-share', values['abort-share'], DEFAULT_SOAK.abortShare),
  lifetimes: values.lifetimes?.split(',').map((text) => number('lifetimes', text, 0)) ?? [...DEFAULT_SOAK.lifetimes],
  sampleEveryMs: Math.max(500, Math.min(10_000, number('seconds', values.seconds, DEFAULT_SOAK.seconds) * 1000 / 40)),
}

const report = await runSoak(config)
if (values.json) {
  process.stdout.write(JSON.stringify(report, null, 2) + '\n')
} else {
  const s = report.summary
  const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`
  const lines = [
    `soak: ${report.config.seconds} s, ${report.config.callers} callers, ${report.config.scopes} scopes × lifetimes ${report.config.lifetimes.join('/')} s, ` +
      `${report.config.faultsPerSecond} faults/s`,
    `machine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} cores, Node ${process.version}`,
  ]
  if (s) {
    lines.push(
      `calls: ${s.calls} (${Math.round(s.calls / (s.durationMs / 1000))}/s), aborted by their signal ${s.aborted}, typed errors ${JSON.stringify(s.errors)} ` +
        `from ${s.failedFetches} failed token requests`,
      `getToken latency: p50 ${(s.latencyUs.p50 / 1000).toFixed(3)} ms, p99 ${(s.latencyUs.p99 / 1000).toFixed(3)} ms, p99.9 ${(s.latencyUs.p999 / 1000).toFixed(1)} ms, max ${(s.latencyUs.max / 1000).toFixed(0)} ms`,
      `faults injected: ${s.faultsAdded} (each for 1-3 requests); failed background refreshes ${JSON.stringify(s.refreshErrors)}`,
      `token requests: ${s.tokenRequests}; tokens issued: ${report.tokens.issued}, refresh policy expects ${report.tokens.expectedByPolicy} ` +
        `(×${report.tokens.ratioToPolicy.toFixed(2)}), one per lifetime would be ${report.tokens.floor} (×${report.tokens.ratioToFloor.toFixed(2)})`,
      `heap after GC: ${mib(report.heap.early)} → ${mib(report.heap.late)} (${report.heap.samples} samples); ` +
        `rss last ${mib(report.samples.at(-1)?.rss ?? 0)}; client churn ${s.churned} clients created and closed`,
      `exit: ${report.exitedByItself ? 'by itself' : 'NOT by itself'} ${report.exitAfterMs ?? '-'} ms after the summary; open resources at the end ${JSON.stringify(s.activeResources)}`,
    )
  }
  for (const check of report.checks) lines.push(`${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`)
  process.stdout.write(lines.join('\n') + '\n')
}
process.exitCode = report.ok ? 0 : 1
