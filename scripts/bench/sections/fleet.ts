// Section 6, the fleet: processes sharing tokens through a shared cache on a real redis-server,
// started here on a free loopback port and stopped at the end, against reference server processes
// that count the token requests. Each process is a fleet worker (scripts/fleet/fleet-worker.ts)
// with its own TokenClient from dist/ and its own Redis connection (node-redis and ioredis in turn),
// driven over IPC. In order, all in one run:
//
//   a. cold fleet: every process with an empty cache, Redis flushed, all asking at once, on loopback
//      and with a token endpoint that takes `fleetSlowTokenMs`;
//   b. steady state: a fleet and one process alone (no shared cache), side by side on servers of
//      their own with short tokens, calling continuously for the same time;
//   e. the in-process hit with a shared cache and without, in one process;
//   c. time to token from Redis (a new client per sample) beside a raw GET + decrypt;
//   d. Redis killed: misses before the breaker opens, after, and its probe after the cooldown.
//
// The numbers of the scale estimate (report/fleet.ts) come from these: store operations counted by
// the workers, Redis's own INFO commandstats and CPU time, the token requests at the servers.
import { setTimeout as sleep } from 'node:timers/promises'
import { startFleet, type FleetDriver, type FleetWorker, type FleetWorkerConfig, type MissesResult, type ProbeClient, type StoreCounts } from '../../fleet/fleet.js'
import { commandStats, redisCpuSeconds, redisServerInstalled, REDIS_INSTALL_HINT, startRedisProcess, type RedisProcess } from '../../fleet/redis-process.js'
import { CLIENT_ID, CLIENT_SECRET, MEMORY_CLIENT_ID, memoryScope, SCOPE, type Settings } from '../config.js'
import { messageOf, type Outcome } from '../lib/child.js'
import { onKillAll, startServerProcess, type ServerProcess } from '../lib/processes.js'
import { formatNs, formatRatio, median, quantiles } from '../lib/stats.js'
import type {
  FleetColdResult,
  FleetColdRound,
  FleetFromRedisResult,
  FleetHitResult,
  FleetRedisDownResult,
  FleetResult,
  FleetSteadyResult,
} from '../results.js'
import { CLIENT_COLUMN, progressLine, type Section, type SectionContext } from './section.js'

/** The drivers, in turn: process i uses DRIVERS[i % 2]. */
const DRIVERS: readonly FleetDriver[] = ['redis', 'ioredis']
/** The shared cache's defaults, given explicitly so that the report can name them. */
const SHARED_CACHE = { operationTimeoutMs: 250, breaker: { failures: 3, cooldownMs: 5_000 } } as const
/** The steady callers' pause between calls: as good as continuous. */
const STEADY_INTERVAL_MS = 1
/** Calls with the shared cache right after Redis is killed, and after the breaker's cooldown. */
const FIRST_CALLS = 5
const PROBE_CALLS = 3
/** 6c: clients made ahead of their samples, this many at a time. */
const FROM_REDIS_BATCH = 20
/** The shared entry is written, and the lease given back, just after the callers have their token. */
const SETTLE_MS = 100

export const fleet: Section<'fleet'> = {
  id: 'fleet',
  heading: (settings) =>
    `6. Fleet: a shared cache on a real redis-server (${settings.fleetColdProcesses} x ${settings.fleetColdCalls} cold, ${settings.fleetSteadyProcesses} processes for ${settings.fleetSteadySeconds} s steady)`,
  async measure(context) {
    const since = performance.now()
    const outcome = await measureFleet(context)
    context.progress(progressLine('token-client', CLIENT_COLUMN, outcome, since, (value) => `section 6 done in ${value.seconds.toFixed(0)} s`))
    return { 'token-client': outcome }
  },
}

/** What every part uses: Redis, the main server (hour-long tokens), the live workers. */
interface Fleet {
  readonly context: SectionContext
  readonly settings: Settings
  readonly redis: RedisProcess
  readonly server: ServerProcess
  readonly workers: Set<FleetWorker>
}

async function measureFleet(context: SectionContext): Promise<Outcome<FleetResult>> {
  if (!redisServerInstalled()) return { ok: false, error: `redis-server is not on PATH, so section 6 cannot run; to install it: ${REDIS_INSTALL_HINT}` }
  const started = performance.now()
  const workers = new Set<FleetWorker>()
  const unregister = onKillAll(() => {
    for (const worker of workers) worker.kill()
  })
  let redis: RedisProcess | undefined
  let server: ServerProcess | undefined
  try {
    redis = await startRedisProcess()
    server = await startServerProcess({ kind: 'reference-opaque', count: true, memoryClient: true })
    context.progress(`   redis-server ${redis.version} on ${redis.url}, reference server on ${server.info.tokenUrl}`)
    const env: Fleet = { context, settings: context.settings, redis, server, workers }
    const cold = await part(env, 'a. cold fleet', 120_000, () => coldFleets(env), (results) =>
      results.map((result) => `${result.tokenDelayMs} ms endpoint: ${result.rounds.map((round) => round.requests).join(', ')} requests`).join('; '),
    )
    const steady = await part(env, 'b. steady state', 60_000 + env.settings.fleetSteadySeconds * 1000, () => steadyState(env), (result) =>
      `fleet ${result.fleetRequests} requests, alone ${result.aloneRequests} (${formatRatio(result.fleetRequests / result.aloneRequests)})`,
    )
    // The processes of parts c, d and e, started once for the three (a failure to start fails each).
    let probing: Promise<Probes> | undefined
    const probes = (): Promise<Probes> => (probing ??= probeWorkers(env))
    const hit = await part(env, 'e. in-process hit', 120_000, async () => hits(env, await probes()), (result) =>
      `${formatNs(median(result.withNs))} with, ${formatNs(median(result.withoutNs))} without`,
    )
    const fromRedis = await part(env, 'c. time to token from Redis', 180_000, async () => timesFromRedis(env, await probes()), (results) =>
      results.map((result) => `${result.driver} ${formatNs(result.clientNs.median)} vs ${formatNs(result.rawNs.median)} raw`).join('; '),
    )
    const redisDown = await part(env, 'd. Redis down', 120_000, async () => redisDownCalls(env, await probes()), (results) =>
      results
        .map((result) => `${result.driver}: first ${result.firstCallsNs.map((ns) => formatNs(ns)).join(', ')}; open +${formatNs(result.openAddedNs.median)}`)
        .join('; '),
    )
    if (probing !== undefined) await closeAll(env, (await probing.catch(() => undefined))?.workers ?? [])
    return {
      ok: true,
      value: { redisVersion: redis.version, cold, steady, hit, fromRedis, redisDown, seconds: (performance.now() - started) / 1000 },
    }
  } catch (error) {
    return { ok: false, error: messageOf(error) }
  } finally {
    await closeAll({ workers }, [...workers])
    await server?.stop()
    await redis?.stop()
    unregister()
  }
}

/** One part, bounded in time, its failure an outcome; a progress line when it is done. */
async function part<T>(env: Fleet, name: string, timeoutMs: number, run: () => Promise<T>, summary: (value: T) => string): Promise<Outcome<T>> {
  const since = performance.now()
  let timer: NodeJS.Timeout | undefined
  const outcome: Outcome<T> = await Promise.race([
    // Both handlers here: a part that fails after it timed out must not be an unhandled rejection.
    Promise.resolve()
      .then(run)
      .then(
        (value): Outcome<T> => ({ ok: true, value }),
        (error: unknown): Outcome<T> => ({ ok: false, error: messageOf(error) }),
      ),
    new Promise<Outcome<T>>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, error: `timed out after ${timeoutMs / 1000} s` }), timeoutMs)
    }),
  ])
  clearTimeout(timer)
  env.context.progress(progressLine(name, 28, outcome, since, summary))
  if (!outcome.ok) await closeAll(env, [...env.workers]) // a part that failed leaves no worker behind
  return outcome
}

function workerConfig(env: Fleet, server: ServerProcess, index: number, extra: Partial<FleetWorkerConfig> = {}): FleetWorkerConfig {
  return {
    tokenUrl: server.info.tokenUrl,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    driver: DRIVERS[index % DRIVERS.length] as FleetDriver,
    redis: { nodes: [{ host: env.redis.host, port: env.redis.port }] },
    build: 'dist',
    ...extra,
  }
}

async function fleetOf(env: Fleet, count: number, config: (index: number) => FleetWorkerConfig): Promise<FleetWorker[]> {
  const workers = await startFleet(count, config)
  for (const worker of workers) env.workers.add(worker)
  return workers
}

async function closeAll(env: Pick<Fleet, 'workers'>, workers: readonly FleetWorker[]): Promise<void> {
  await Promise.all(workers.map((worker) => worker.close()))
  for (const worker of workers) env.workers.delete(worker)
}

const addCounts = (counts: readonly StoreCounts[]): StoreCounts => {
  const sum: StoreCounts = { get: 0, hits: 0, set: 0, takeLease: 0, leasesWon: 0, renewLease: 0, releaseLease: 0, deleteIfEquals: 0, failed: 0 }
  for (const each of counts) for (const key of Object.keys(sum) as (keyof StoreCounts)[]) sum[key] += each[key]
  return sum
}

/** GET and EVAL (every store operation but a read is one EVAL). */
export const operationsOf = (counts: StoreCounts): number =>
  counts.get + counts.set + counts.takeLease + counts.renewLease + counts.releaseLease + counts.deleteIfEquals

/** commandstats after less before, for the commands the store sends. */
async function statsSince(redis: RedisProcess, before: Awaited<ReturnType<typeof commandStats>>): Promise<Record<string, { calls: number; usec: number }>> {
  const after = await commandStats(redis)
  const diff: Record<string, { calls: number; usec: number }> = {}
  for (const command of ['get', 'eval', 'evalsha']) {
    const calls = (after[command]?.calls ?? 0) - (before[command]?.calls ?? 0)
    if (calls > 0) diff[command] = { calls, usec: (after[command]?.usec ?? 0) - (before[command]?.usec ?? 0) }
  }
  return diff
}

// a. -------------------------------------------------------------------------------------------

async function coldFleets(env: Fleet): Promise<FleetColdResult[]> {
  const results = [await coldFleet(env, env.server, 0, env.settings.fleetColdRounds)]
  const slow = await startServerProcess({ kind: 'reference-opaque', count: true, tokenDelayMs: env.settings.fleetSlowTokenMs })
  try {
    results.push(await coldFleet(env, slow, env.settings.fleetSlowTokenMs, env.settings.fleetSlowRounds))
  } finally {
    await slow.stop()
  }
  return results
}

async function coldFleet(env: Fleet, server: ServerProcess, tokenDelayMs: number, rounds: number): Promise<FleetColdResult> {
  const { fleetColdProcesses: processes, fleetColdCalls: calls } = env.settings
  const workers = await fleetOf(env, processes, (index) => workerConfig(env, server, index, { observe: true }))
  try {
    const once = async (): Promise<FleetColdRound> => {
      await Promise.all(workers.map((worker) => worker.ask({ op: 'renew' })))
      await env.redis.command(['FLUSHALL'])
      await Promise.all(workers.map((worker) => worker.stats()))
      const redisBefore = await commandStats(env.redis)
      const before = await server.tokenRequests()
      const start = performance.now()
      const answers = await Promise.all(workers.map((worker) => worker.get(SCOPE, calls)))
      const ms = performance.now() - start
      await sleep(SETTLE_MS)
      const requests = (await server.tokenRequests()) - before
      const counts = await Promise.all(workers.map((worker) => worker.stats()))
      const redisCalls = Object.fromEntries(Object.entries(await statsSince(env.redis, redisBefore)).map(([command, stat]) => [command, stat.calls]))
      const fetched = counts.filter((count) => count.set > 0).length
      const waiters = counts.filter((count) => count.set === 0 && count.takeLease > count.leasesWon)
      return {
        requests,
        tokens: new Set(answers.flatMap((answer) => answer.tokens)).size,
        calls: processes * calls,
        failed: answers.reduce((sum, answer) => sum + answer.errors.length, 0),
        ms,
        fetched,
        waited: waiters.length,
        direct: processes - fetched - waiters.length,
        pollsPerWaiter: waiters.map((count) => count.takeLease - count.leasesWon),
        ops: addCounts(counts),
        redisCalls,
      }
    }
    await once() // warm-up: modules loaded, code paths compiled, connections open
    const recorded: FleetColdRound[] = []
    for (let round = 0; round < rounds; round++) recorded.push(await once())
    return { processes, callsPerProcess: calls, tokenDelayMs, drivers: workers.map((worker) => worker.config.driver), rounds: recorded }
  } finally {
    await closeAll(env, workers)
  }
}

// b. -------------------------------------------------------------------------------------------

async function steadyState(env: Fleet): Promise<FleetSteadyResult> {
  const { fleetSteadyProcesses: processes, fleetSteadySeconds: seconds, fleetTokenLifetime: tokenLifetime } = env.settings
  const fleetServer = await startServerProcess({ kind: 'reference-opaque', count: true, tokenLifetime })
  const aloneServer = await startServerProcess({ kind: 'reference-opaque', count: true, tokenLifetime })
  try {
    const members = await fleetOf(env, processes, (index) => workerConfig(env, fleetServer, index, { observe: true }))
    const [alone] = await fleetOf(env, 1, () => workerConfig(env, aloneServer, 0, { plain: true }))
    if (alone === undefined) throw new Error('the lone process did not start')
    await env.redis.command(['FLUSHALL'])
    await Promise.all(members.map((worker) => worker.stats()))
    const redisBefore = await commandStats(env.redis)
    const fleetBefore = await fleetServer.tokenRequests()
    const aloneBefore = await aloneServer.tokenRequests()
    const steady = { op: 'steady', scope: SCOPE, durationMs: seconds * 1000, intervalMs: STEADY_INTERVAL_MS } as const
    const [aloneAnswer, ...fleetAnswers] = await Promise.all([alone.ask(steady), ...members.map((worker) => worker.ask(steady))])
    await sleep(SETTLE_MS)
    const fleetRequests = (await fleetServer.tokenRequests()) - fleetBefore
    const aloneRequests = (await aloneServer.tokenRequests()) - aloneBefore
    const counts = await Promise.all(members.map((worker) => worker.stats()))
    const redisStats = await statsSince(env.redis, redisBefore)
    await closeAll(env, [...members, alone])
    return {
      processes,
      seconds,
      tokenLifetime,
      intervalMs: STEADY_INTERVAL_MS,
      fleetRequests,
      aloneRequests,
      fleetCalls: fleetAnswers.reduce((sum, answer) => sum + answer.ms, 0),
      aloneCalls: aloneAnswer?.ms ?? 0,
      fleetErrors: fleetAnswers.reduce((sum, answer) => sum + answer.errors.length, 0),
      aloneErrors: aloneAnswer?.errors.length ?? 0,
      fleetTokens: new Set(fleetAnswers.flatMap((answer) => answer.tokens)).size,
      aloneTokens: aloneAnswer?.tokens.length ?? 0,
      ops: addCounts(counts),
      opsPerProcess: counts.map(operationsOf),
      redisStats,
    }
  } finally {
    await fleetServer.stop()
    await aloneServer.stop()
  }
}

// c, d, e: two processes, node-redis and ioredis, each with a shared-cache client and a plain one ------

interface Probes {
  readonly workers: readonly FleetWorker[]
  /** Scopes of the client with many (the memory section's), each asked for once: a miss everywhere. */
  nextScopes(count: number): string[]
}

/** The scope of the shared entry that parts c and e read. */
const PROBE_SCOPE = memoryScope(0)

async function probeWorkers(env: Fleet): Promise<Probes> {
  const workers = await fleetOf(env, DRIVERS.length, (index) =>
    workerConfig(env, env.server, index, { clientId: MEMORY_CLIENT_ID, sharedCache: SHARED_CACHE }),
  )
  let next = 1
  return { workers, nextScopes: (count) => Array.from({ length: count }, () => memoryScope(next++)) }
}

async function hits(env: Fleet, probes: Probes): Promise<FleetHitResult> {
  const [worker] = probes.workers
  if (worker === undefined) throw new Error('no probe worker')
  const result = await worker.probe({ probe: 'hits', scope: PROBE_SCOPE, rounds: env.settings.fleetHitRounds, roundMs: env.settings.cachedRoundMs })
  return { driver: worker.config.driver, ...result }
}

async function timesFromRedis(env: Fleet, probes: Probes): Promise<FleetFromRedisResult[]> {
  const results: FleetFromRedisResult[] = []
  for (const worker of probes.workers) {
    const cpuBefore = await redisCpuSeconds(env.redis)
    const statsBefore = await commandStats(env.redis)
    const { fleetSamples: samples, fleetWarmupSamples: warmup } = env.settings
    const probe = await worker.probe({ probe: 'fromRedisLongLived', scopes: probes.nextScopes(warmup + samples), warmup })
    const cpu = (await redisCpuSeconds(env.redis)) - cpuBefore
    const gets = (await statsSince(env.redis, statsBefore))['get']?.calls ?? 0
    const newClients = await worker.probe({ probe: 'fromRedis', scope: PROBE_SCOPE, samples, warmup, batch: FROM_REDIS_BATCH })
    results.push({
      driver: worker.config.driver,
      clientNs: quantiles(probe.clientNs),
      rawNs: quantiles(probe.rawNs),
      pairedRatio: quantiles(probe.clientNs.map((ns, index) => ns / (probe.rawNs[index] ?? Number.NaN))),
      constructNs: quantiles(newClients.constructNs),
      closeNs: quantiles(newClients.closeNs),
      sealedChars: probe.sealedChars,
      justMade: { clientNs: quantiles(newClients.clientNs), rawNs: quantiles(newClients.rawNs) },
      redisCpuMicrosPerGet: (cpu * 1e6) / Math.max(1, gets),
    })
  }
  return results
}

const split = (result: MissesResult, which: ProbeClient): number[] => result.ns.filter((_, index) => result.clients[index] === which)

async function redisDownCalls(env: Fleet, probes: Probes): Promise<FleetRedisDownResult[]> {
  const misses = env.settings.fleetMisses
  const alternate: ProbeClient[] = ['shared', 'plain']
  // Redis up: warm both clients' miss paths, then the misses recorded.
  const up = new Map<FleetWorker, MissesResult>()
  for (const worker of probes.workers) {
    await worker.probe({ probe: 'misses', scopes: probes.nextScopes(misses), clients: alternate })
    up.set(worker, await worker.probe({ probe: 'misses', scopes: probes.nextScopes(2 * misses), clients: alternate }))
  }
  await env.redis.kill()
  const reportsSince = (worker: FleetWorker, from: number) => worker.troubles.slice(from).map((trouble) => trouble.code)
  const phases = new Map<FleetWorker, { first: MissesResult; firstReports: string[]; open: MissesResult; openSpanMs: number; openedAt: number }>()
  for (const worker of probes.workers) {
    let mark = worker.troubles.length
    const first = await worker.probe({ probe: 'misses', scopes: probes.nextScopes(FIRST_CALLS), clients: ['shared'] })
    const firstReports = reportsSince(worker, mark)
    const openedAt = worker.troubles.find((trouble, index) => index >= mark && trouble.code === 'SHARED_CACHE_SKIPPED')?.at ?? Number.NaN
    mark = worker.troubles.length
    const open = await worker.probe({ probe: 'misses', scopes: probes.nextScopes(2 * misses), clients: alternate })
    phases.set(worker, { first, firstReports, open, openSpanMs: performance.now() - openedAt, openedAt })
  }
  // Past the cooldown of every breaker, Redis still down: the next call probes Redis.
  const lastOpened = Math.max(...[...phases.values()].map((phase) => (Number.isFinite(phase.openedAt) ? phase.openedAt : performance.now())))
  await sleep(Math.max(0, lastOpened + SHARED_CACHE.breaker.cooldownMs + 200 - performance.now()))
  const results: FleetRedisDownResult[] = []
  for (const worker of probes.workers) {
    const phase = phases.get(worker)
    const upResult = up.get(worker)
    if (phase === undefined || upResult === undefined) continue
    const mark = worker.troubles.length
    const probe = await worker.probe({ probe: 'misses', scopes: probes.nextScopes(PROBE_CALLS), clients: ['shared'] })
    const shared = split(phase.open, 'shared')
    const plain = split(phase.open, 'plain')
    results.push({
      driver: worker.config.driver,
      operationTimeoutMs: SHARED_CACHE.operationTimeoutMs,
      breakerFailures: SHARED_CACHE.breaker.failures,
      breakerCooldownMs: SHARED_CACHE.breaker.cooldownMs,
      upSharedNs: quantiles(split(upResult, 'shared')),
      upPlainNs: quantiles(split(upResult, 'plain')),
      firstCallsNs: phase.first.ns,
      firstReports: phase.firstReports,
      openSharedNs: quantiles(shared),
      openPlainNs: quantiles(plain),
      openAddedNs: quantiles(shared.map((ns, index) => ns - (plain[index] ?? Number.NaN))),
      openSpanMs: phase.openSpanMs,
      probeCallsNs: probe.ns,
      probeReports: reportsSince(worker, mark),
      failedCalls: upResult.errors.length + phase.first.errors.length + phase.open.errors.length + probe.errors.length,
    })
  }
  return results
}
