// A fleet of real processes sharing one token through Redis, for the tests, the benchmark and the
// demo: each is a fleet-worker.ts child with its own TokenClient, driven over IPC.
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { CacheOptions, SharedCacheErrorCode, SharedTokenCacheOptions } from '../../src/index.js'

/** Which Redis driver a worker uses: the package names of the devDependencies. */
export type FleetDriver = 'redis' | 'redis-v5' | 'ioredis' | 'ioredis-v5'

/** What a worker is started with (JSON: no functions). */
export interface FleetWorkerConfig {
  tokenUrl: string
  clientId: string
  clientSecret: string
  driver: FleetDriver
  redis: { nodes: { host: string; port: number }[]; cluster?: boolean }
  sharedCache?: Omit<SharedTokenCacheOptions, 'onError'>
  cache?: CacheOptions
  /**
   * Where the worker loads the package from: the sources through tsx, or `dist/` by the package's
   * name, as it ships (the benchmark, after `npm run build`). @default 'src'
   */
  build?: 'src' | 'dist'
  /** A process as today: no shared cache, no Redis connection (the baseline of the benchmark). @default false */
  plain?: boolean
  /** Count the shared cache's store operations (see {@link StoreCounts}), for `stats`. @default false */
  observe?: boolean
}

/**
 * The store operations of a worker's shared cache that reached the driver (not those the breaker
 * skipped), since the last `stats`: each `get` is one Redis `GET`, every other operation one `EVAL`.
 */
export interface StoreCounts {
  get: number
  /** `get`s that found an entry. */
  hits: number
  set: number
  takeLease: number
  /** `takeLease`s that got the lease; the others found it held by another process (each is followed by a poll). */
  leasesWon: number
  renewLease: number
  releaseLease: number
  deleteIfEquals: number
  /** Operations the driver rejected (timeouts are the shared cache's own, and are not seen here). */
  failed: number
}

/** Which of a worker's clients a `misses` probe call uses: its shared-cache client, or a plain one beside it. */
export type ProbeClient = 'shared' | 'plain'

/** Timing probes for the benchmark, run inside a worker (fleet-probes.ts). */
export type FleetProbe =
  /** In-process cache hits: rounds of `getToken(scope)` on the shared-cache client and on a plain one, alternating. */
  | { probe: 'hits'; scope: string; rounds: number; roundMs: number }
  /**
   * Time to token from Redis with an empty in-process cache (a new client each sample, made `batch` at
   * a time before their samples, at most 20) beside a raw GET + decrypt.
   */
  | { probe: 'fromRedis'; scope: string; samples: number; warmup: number; batch: number }
  /**
   * Time to token from Redis for a scope the process has not asked for yet, on one long-lived client:
   * the worker's own client first gets a token for each of `scopes` (written to Redis), then another
   * client of the worker asks for each, beside a raw GET + decrypt of that scope's entry.
   */
  | { probe: 'fromRedisLongLived'; scopes: string[]; warmup: number }
  /** One `getToken` per scope, each a miss in the process, on the client named at the same index (cycling). */
  | { probe: 'misses'; scopes: string[]; clients: ProbeClient[] }

export interface HitsResult {
  /** Nanoseconds per call, each round, of the shared-cache client and of the plain one (round i of each back to back). */
  withNs: number[]
  withoutNs: number[]
  callsPerRound: number
}

export interface FromRedisResult {
  /** Per sample, nanoseconds: `getToken` on a new client (construction excluded). */
  clientNs: number[]
  /** Per sample: a raw `GET` of the same entry on the same connection, plus its AES-256-GCM decrypt. */
  rawNs: number[]
  /** Per sample: constructing the new client (not in `clientNs`). */
  constructNs: number[]
  /** Per sample: closing it (neither). */
  closeNs: number[]
  /** Characters of the sealed entry. */
  sealedChars: number
}

export interface MissesResult {
  /** Nanoseconds of each call, in the order of the scopes. */
  ns: number[]
  clients: ProbeClient[]
  errors: string[]
}

/** A request to a worker. */
export type FleetRequest = { id: number } & FleetQuestion

/** A request without its id, as {@link FleetWorker.ask} takes it. */
export type FleetQuestion =
  | { op: 'get'; scope: string; concurrency: number }
  | { op: 'steady'; scope: string; durationMs: number; intervalMs: number }
  | { op: 'invalidate'; scope: string }
  | { op: 'close' }
  /** Closes the client and makes a new one on the same Redis connection: an empty in-process cache. */
  | { op: 'renew' }
  /** The store operations since the last `stats` (`data`: {@link StoreCounts}; needs `observe`). */
  | { op: 'stats' }
  /** A timing probe (`data`: its result). */
  | ({ op: 'probe' } & FleetProbe)

/** What a worker sends back: an answer to a request, or an event. */
export type FleetReply =
  | { id: number; tokens: string[]; errors: string[]; ms: number; data?: unknown }
  | { event: 'ready' }
  | { event: 'sharedCacheError'; code: SharedCacheErrorCode; reason: string | undefined; message: string }

/**
 * An answer to a request: the tokens got, the error codes, and the time taken (or, for `steady`, the
 * calls made); `data` for `stats` and `probe`.
 */
export interface FleetAnswer {
  tokens: string[]
  errors: string[]
  ms: number
  data?: unknown
}

type Question = FleetQuestion

const WORKER = fileURLToPath(new URL('./fleet-worker.ts', import.meta.url))

/** One worker process. */
export class FleetWorker {
  readonly child: ChildProcess
  readonly config: FleetWorkerConfig
  /** Every shared-cache problem the worker's client reported, with when it arrived (`performance.now()` of this process). */
  readonly troubles: { code: SharedCacheErrorCode; reason: string | undefined; message: string; at: number }[] = []
  readonly #pending = new Map<number, { resolve: (answer: FleetAnswer) => void; reject: (error: Error) => void }>()
  #nextId = 1
  readonly ready: Promise<void>

  constructor(config: FleetWorkerConfig) {
    this.config = config
    this.child = fork(WORKER, [JSON.stringify(config)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.child.once('exit', (code, signal) => {
      for (const { reject } of this.#pending.values()) reject(new Error(`fleet worker exited (${signal ?? `code ${code}`}) before it answered`))
      this.#pending.clear()
    })
    this.ready = new Promise((resolve, reject) => {
      this.child.once('exit', (code) => reject(new Error(`fleet worker exited with ${code} before it was ready`)))
      this.child.on('message', (message: FleetReply) => {
        if ('event' in message) {
          if (message.event === 'ready') resolve()
          else this.troubles.push({ code: message.code, reason: message.reason, message: message.message, at: performance.now() })
          return
        }
        this.#pending.get(message.id)?.resolve(message)
        this.#pending.delete(message.id)
      })
    })
  }

  /** Sends one request and waits for its answer; rejects if the worker exits first. */
  ask(question: Question): Promise<FleetAnswer> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.child.send({ ...question, id } as FleetRequest, (error) => {
        if (error === null || error === undefined) return
        this.#pending.delete(id)
        reject(error)
      })
    })
  }

  /** `concurrency` concurrent `getToken(scope)` calls. */
  get(scope: string, concurrency = 1): Promise<FleetAnswer> {
    return this.ask({ op: 'get', scope, concurrency })
  }

  /** The store operations since the last call (the worker needs `observe: true`). */
  async stats(): Promise<StoreCounts> {
    return dataOf<StoreCounts>(await this.ask({ op: 'stats' }))
  }

  /** Runs a timing probe in the worker and resolves with its result. */
  async probe(probe: Extract<FleetProbe, { probe: 'hits' }>): Promise<HitsResult>
  async probe(probe: Extract<FleetProbe, { probe: 'fromRedis' }>): Promise<FromRedisResult>
  async probe(probe: Extract<FleetProbe, { probe: 'fromRedisLongLived' }>): Promise<FromRedisResult>
  async probe(probe: Extract<FleetProbe, { probe: 'misses' }>): Promise<MissesResult>
  async probe(probe: FleetProbe): Promise<unknown> {
    return dataOf(await this.ask({ op: 'probe', ...probe }))
  }

  /** Closes the client and the Redis connection, and waits for the process to end (killing it after 5 s). */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000)
    this.ask({ op: 'close' }).catch(() => {})
    await exited
    clearTimeout(timer)
  }

  /** Kills the process at once, if it still runs. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
  }
}

function dataOf<T>(answer: FleetAnswer): T {
  if (answer.errors.length > 0) throw new Error(`fleet worker: ${answer.errors.join('; ')}`)
  return answer.data as T
}

/** Starts `count` workers with `config` (a function of the index for mixed fleets) and waits until all are ready. */
export async function startFleet(
  count: number,
  config: FleetWorkerConfig | ((index: number) => FleetWorkerConfig),
): Promise<FleetWorker[]> {
  const workers = Array.from({ length: count }, (_, index) => new FleetWorker(typeof config === 'function' ? config(index) : config))
  try {
    await Promise.all(workers.map((worker) => worker.ready))
  } catch (error) {
    await Promise.all(workers.map((worker) => worker.close()))
    throw error
  }
  return workers
}
