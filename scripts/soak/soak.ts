// The soak (issue 5, item 3): runs scripts/soak/worker.ts in a child process and judges what it
// reports. Used by scripts/soak/run.ts (minutes) and test/reliability/soak-short.test.ts (seconds).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { onJsonLines } from './json-lines.js'

/** What the worker is asked to do. */
export interface SoakConfig {
  /** How long callers run. */
  seconds: number
  /** Concurrent callers, each calling getToken in a loop. */
  callers: number
  /** Scopes per client; every (client, scope) pair is its own cached token. */
  scopes: number
  /** Token lifetimes in seconds, one client each (the server's `tokenLifetime` per client). */
  lifetimes: number[]
  /** Random faults added per second, each for one scope and 1-3 requests. */
  faultsPerSecond: number
  /** Share of calls made with an `AbortSignal.timeout()` of 0-29 ms. */
  abortShare: number
  /** Each caller pauses 0..pauseMs ms between calls. */
  pauseMs: number
  /** Heap sample interval. */
  sampleEveryMs: number
}

export const DEFAULT_SOAK: Readonly<SoakConfig> = Object.freeze({
  seconds: 120,
  callers: 200,
  scopes: 60,
  lifetimes: [2, 3, 5],
  faultsPerSecond: 5,
  abortShare: 0.01,
  pauseMs: 10,
  sampleEveryMs: 2_000,
})

export interface SoakSample {
  type: 'sample'
  atMs: number
  heapUsed: number
  rss: number
  activeResources: number
  calls: number
  issued: number
}

export interface SoakSummary {
  type: 'summary'
  durationMs: number
  calls: number
  aborted: number
  /** Typed errors callers got, by code. */
  errors: Record<string, number>
  /** Distinct errors among those: token requests (with their retries) that failed for the callers waiting on them. */
  failedFetches: number
  /** The first few of those errors' messages. */
  errorSamples: string[]
  /** Errors from a transient failure that reached a caller before retries ran out or the deadline passed. */
  premature: string[]
  /** Rejections that were not a TokenClientError. */
  untyped: string[]
  unhandled: string[]
  warnings: string[]
  refreshErrors: Record<string, number>
  /** Tokens handed out that the server already considered expired. */
  expiredHandedOut: number
  /** Tokens handed out for another client or scope. */
  wrongToken: number
  issued: number
  tokenRequests: number
  faultsAdded: number
  churned: number
  latencyUs: { p50: number; p99: number; p999: number; max: number }
  /** process.getActiveResourcesInfo() once everything was closed, without the stdio pipes. */
  activeResources: string[]
}

export interface SoakReport {
  config: SoakConfig
  summary: SoakSummary | undefined
  samples: SoakSample[]
  /** The child exited on its own within the grace period after its summary. */
  exitedByItself: boolean
  exitCode: number | null
  /** ms from the summary line to the child's exit. */
  exitAfterMs: number | undefined
  stderr: string
  /**
   * Heap after GC: median of the first and last third of the samples after warm-up, the growth, and
   * the least-squares slope over those samples, per second and per token request.
   */
  heap: { early: number; late: number; growth: number; growthShare: number; samples: number; bytesPerSecond: number; bytesPerTokenRequest: number }
  /** Tokens issued against what the refresh policy needs, and against one per lifetime. */
  tokens: { issued: number; expectedByPolicy: number; floor: number; ratioToPolicy: number; ratioToFloor: number; requests: number }
  /** Every check, with whether it held. */
  checks: Array<{ name: string; ok: boolean; detail: string }>
  ok: boolean
}

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url))

/**
 * Tokens the client's refresh policy should fetch for one (client, scope) pair over `seconds`: with
 * the default 60 s buffer, a lifetime L under 2 min is usable for L/2 and refreshed at 70-80 % of
 * that, so about every 0.375 L, plus the first one.
 */
export function expectedTokens(seconds: number, lifetime: number): number {
  const usable = lifetime - Math.min(60, lifetime / 2)
  return 1 + seconds / (usable * 0.75)
}

function leastSquaresSlope(points: Array<[number, number]>): number {
  if (points.length < 2) return 0
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length
  let numerator = 0
  let denominator = 0
  for (const [x, y] of points) {
    numerator += (x - meanX) * (y - meanY)
    denominator += (x - meanX) ** 2
  }
  return denominator === 0 ? 0 : numerator / denominator
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** Runs the worker and judges its report. `exitGraceMs`: how long the child may take to exit after its summary. */
export async function runSoak(overrides: Partial<SoakConfig> = {}, exitGraceMs = 5_000): Promise<SoakReport> {
  const config: SoakConfig = { ...DEFAULT_SOAK, ...overrides }
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', WORKER, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const samples: SoakSample[] = []
  let summary: SoakSummary | undefined
  let summaryAt: number | undefined
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  onJsonLines(child.stdout, (line) => {
    const message = line as SoakSample | SoakSummary | { type: 'crash'; error: string }
    if (message.type === 'sample') samples.push(message)
    else if (message.type === 'summary') {
      summary = message
      summaryAt = performance.now()
    } else stderr += `worker crashed: ${message.error}\n`
  })
  const hardLimitMs = (config.seconds + 60) * 1_000
  const { exitCode, exitedAt } = await new Promise<{ exitCode: number | null; exitedAt: number }>((resolve) => {
    const watchdog = setInterval(() => {
      const overdue = summaryAt !== undefined ? performance.now() - summaryAt > exitGraceMs : false
      if (overdue || performance.now() - started > hardLimitMs) child.kill('SIGKILL')
    }, 100)
    const started = performance.now()
    child.on('exit', (code) => {
      clearInterval(watchdog)
      resolve({ exitCode: code, exitedAt: performance.now() })
    })
  })
  const exitAfterMs = summaryAt === undefined ? undefined : Math.round(exitedAt - summaryAt)
  const exitedByItself = exitCode === 0 && exitAfterMs !== undefined && exitAfterMs <= exitGraceMs

  // Heap: skip the first 20 % (warm-up: caches, pools and the JIT fill), compare first and last thirds.
  const steady = samples.slice(Math.floor(samples.length * 0.2))
  const third = Math.max(1, Math.floor(steady.length / 3))
  const early = steady.length > 0 ? median(steady.slice(0, third).map((sample) => sample.heapUsed)) : 0
  const late = steady.length > 0 ? median(steady.slice(-third).map((sample) => sample.heapUsed)) : 0
  const slope = leastSquaresSlope(steady.map((sample) => [sample.atMs / 1_000, sample.heapUsed]))
  const issuedPerSecond = steady.length > 1 ? ((steady.at(-1) as SoakSample).issued - (steady[0] as SoakSample).issued) / (((steady.at(-1) as SoakSample).atMs - (steady[0] as SoakSample).atMs) / 1_000) : 0
  const heap = {
    early,
    late,
    growth: late - early,
    growthShare: early > 0 ? (late - early) / early : 0,
    samples: samples.length,
    bytesPerSecond: Math.round(slope),
    bytesPerTokenRequest: issuedPerSecond > 0 ? Math.round(slope / issuedPerSecond) : 0,
  }

  const seconds = (summary?.durationMs ?? config.seconds * 1_000) / 1_000
  const expectedByPolicy = config.lifetimes.reduce((sum, lifetime) => sum + config.scopes * expectedTokens(seconds, lifetime), 0)
  const floor = config.lifetimes.reduce((sum, lifetime) => sum + config.scopes * Math.ceil(seconds / lifetime), 0)
  const issued = summary?.issued ?? 0
  const tokens = {
    issued,
    expectedByPolicy: Math.round(expectedByPolicy),
    floor,
    ratioToPolicy: issued / expectedByPolicy,
    ratioToFloor: issued / floor,
    requests: summary?.tokenRequests ?? 0,
  }

  const checks: SoakReport['checks'] = []
  const check = (name: string, ok: boolean, detail: string): void => void checks.push({ name, ok, detail })
  check('summary received', summary !== undefined, stderr.slice(0, 2_000))
  check('exited by itself', exitedByItself, `exit code ${exitCode}, ${exitAfterMs ?? '-'} ms after the summary`)
  check('no resource left open', (summary?.activeResources.length ?? 1) === 0, JSON.stringify(summary?.activeResources))
  check('no unhandled rejection or exception', (summary?.unhandled.length ?? 1) === 0, JSON.stringify(summary?.unhandled.slice(0, 5)))
  check('every failure typed', (summary?.untyped.length ?? 1) === 0, JSON.stringify(summary?.untyped.slice(0, 5)))
  check('no process warning', (summary?.warnings.length ?? 1) === 0, JSON.stringify(summary?.warnings.slice(0, 5)))
  check('transient failures surface only once retries or the deadline ran out', (summary?.premature.length ?? 1) === 0, JSON.stringify(summary?.premature.slice(0, 5)))
  check('no expired token handed out', summary?.expiredHandedOut === 0, String(summary?.expiredHandedOut))
  check('no token of another client or scope', summary?.wrongToken === 0, String(summary?.wrongToken))
  check(
    'memory flat',
    heap.growth < Math.max(4 * 1024 * 1024, early * 0.15),
    `heap after GC ${(early / 1048576).toFixed(1)} MiB → ${(late / 1048576).toFixed(1)} MiB, ` +
      `trend ${(heap.bytesPerSecond * 60 / 1048576).toFixed(2)} MiB/min ≈ ${heap.bytesPerTokenRequest} bytes per token issued`,
  )
  check(
    'token requests close to what the lifetimes allow',
    // Above: fetching more than the policy needs. Below the floor: tokens used past their lifetime.
    issued >= floor && tokens.ratioToPolicy < 1.3,
    `${issued} issued, ${tokens.expectedByPolicy} expected by the refresh policy (×${tokens.ratioToPolicy.toFixed(2)}), floor of one per lifetime ${floor}`,
  )
  return {
    config,
    summary,
    samples,
    exitedByItself,
    exitCode,
    exitAfterMs,
    stderr,
    heap,
    tokens,
    checks,
    ok: checks.every((entry) => entry.ok),
  }
}
