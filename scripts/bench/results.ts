// What a run records: the machine, the settings, and each section's outcome per client or server.
// `--json FILE` writes it and `--from-json FILE` reads it back; the report computes every figure
// from it.
import type { FleetDriver, StoreCounts } from '../fleet/fleet.js'
import type { Settings } from './config.js'
import type { Outcome } from './lib/child.js'
import type { Machine } from './lib/machine.js'
import type { DiscoveryFreshOutcomes, DiscoveryPhaseId } from './sections/discovery.js'
import type { DpopRequestOutcomes } from './sections/dpop.js'
import type { JwtSubjectId } from './sections/jwt.js'
import type { ObservabilityResults } from './sections/observability.js'
import type { ClientId } from './subjects/clients.js'
import type { ServerKind } from './subjects/servers.js'

/** Sections 1 and 3, cached calls and fresh acquisitions: nanoseconds per call in each round. */
export interface CallResult {
  readonly nsPerCall: readonly number[]
  /** CPU time of the client process per call, each round (the client's own cost, wherever the time went). */
  readonly cpuNsPerCall: readonly number[]
  readonly callsPerRound: number
  /** Token requests the server saw per measured call. */
  readonly requestsPerCall: number
}

/** Section 3c, part 1: one phase of the client's lifetime, as the server counted it. */
export interface DiscoveryPhase {
  readonly phase: DiscoveryPhaseId
  /** getToken calls in the phase. */
  readonly calls: number
  readonly tokenRequests: number
  /** GETs of either metadata location. */
  readonly metadataRequests: number
}

/** Section 3c, part 1: one client with `issuer`, from construction to `close()`. */
export interface DiscoveryLifetimeResult {
  /** `expires_in` of the server, seconds. */
  readonly tokenLifetime: number
  readonly phases: readonly DiscoveryPhase[]
  /** Over the whole lifetime, by location: RFC 8414's, then OpenID Discovery's (asked only if the first does not answer 200). */
  readonly rfc8414Requests: number
  readonly openidRequests: number
  readonly ms: number
}

/** Section 3c, part 3: the first getToken of new clients, the two kinds alternating (ABBA) in one process. */
export interface DiscoveryFirstResult {
  /** Recorded clients of each kind; `issuerNs[i]` and `tokenUrlNs[i]` were made next to each other. */
  readonly clients: number
  readonly issuerNs: readonly number[]
  readonly tokenUrlNs: readonly number[]
  /** What the server saw during the recorded clients (both kinds). */
  readonly metadataRequests: number
  readonly tokenRequests: number
}

/** Section 3c, discovery: each part's outcome, so that one failing leaves the others. */
export interface DiscoveryResults {
  readonly lifetime?: Outcome<DiscoveryLifetimeResult>
  /** Part 2, fresh acquisition: by subject, as section 3b. */
  readonly fresh?: DiscoveryFreshOutcomes
  /** Part 2: metadata GETs the server saw over all its batches, and the processes with `issuer` (one client each). */
  readonly freshMetadata?: { readonly requests: number; readonly issuerClients: number }
  readonly first?: Outcome<DiscoveryFirstResult>
}

/**
 * Section 3d, part 2: cached getToken on a client with `dpop: true` and on one without, alternating
 * rounds (ABBA) in one process; processes one after another, the rounds of all in process order.
 */
export interface DpopHitResult {
  /** Wall nanoseconds per call, round by round; `dpopNs[i]` and `bearerNs[i]` ran next to each other. */
  readonly dpopNs: readonly number[]
  readonly bearerNs: readonly number[]
  /** CPU nanoseconds of the process per call, the same rounds. */
  readonly dpopCpuNs: readonly number[]
  readonly bearerCpuNs: readonly number[]
  /** Calls per round, one figure per process (each calibrates its own). */
  readonly callsPerRound: readonly number[]
  /** Of the processes, those that made the DPoP client first (the others made the Bearer one first). */
  readonly dpopFirstProcesses: number
  /** `tokenType` of each client's token: `DPoP` and `Bearer`. */
  readonly dpopTokenType: string
  readonly bearerTokenType: string
  /** Token requests the server saw during the recorded rounds (0: every call a hit). */
  readonly tokenRequests: number
}

/** Section 3d, DPoP: each part's outcome, so that one failing leaves the other. */
export interface DpopResults {
  /** Part 1, a request to a resource with a DPoP-bound token: by subject, interleaved as section 3b. */
  readonly request?: DpopRequestOutcomes
  readonly hit?: Outcome<DpopHitResult>
}

/** Section 2: one stampede of concurrent calls on a new client. */
export interface StampedeRound {
  readonly ms: number
  readonly requests: number
  readonly failed: number
}

export interface StampedeResult {
  /** By concurrency. */
  readonly sizes: Readonly<Record<number, readonly StampedeRound[]>>
  /** The first failure seen, if any call failed. */
  readonly firstError?: string
}

/** Section 4: one new client filled with distinct scopes. */
export interface MemoryRound {
  /** Scopes cached: 10,000, unless filling ran out of time. */
  readonly filled: number
  /** Heap used by the client and its cached tokens: with them, less before the client existed. */
  readonly heapBytes: number
  /** Each token after the first: (heap with all - heap with one) / (filled - 1). */
  readonly bytesPerToken: number
  /** Token requests while filling (10,000 when every scope was asked for once). */
  readonly fillRequests: number
  /** Token requests while asking again for 100 of the scopes: 0 when they all came from the cache. */
  readonly repeatRequests: number
  readonly fillMs: number
}

/** Section 5: one timed round of load on one server. */
export interface LoadRound {
  /** 2xx answers per second over the round. */
  readonly tokensPerSecond: number
  /** Latency percentiles of the 2xx answers, ms (autocannon's resolution is 1 ms). */
  readonly p50Ms: number
  readonly p99Ms: number
  readonly non2xx: number
  readonly errors: number
  /** CPU time the server process used, as a share of the round's wall time (1 = one core busy). */
  readonly serverCpu: number
  /** Server CPU time per 2xx answer, in microseconds: what a token costs the server, load or no load. */
  readonly serverCpuMicrosPerToken: number
  /** The server process's heap used at the end of the round (not collected first). */
  readonly serverHeapBytes: number
}

/** A distribution, summarised: nanoseconds (or whatever was measured) at these quantiles, over `count` samples. */
export interface Quantiles {
  readonly count: number
  readonly median: number
  readonly p90: number
  readonly p99: number
  readonly max: number
}

/** Section 6a: one cold stampede of the whole fleet (every process with an empty cache, Redis flushed). */
export interface FleetColdRound {
  /** Token requests the server saw. */
  readonly requests: number
  /** Distinct tokens the fleet's callers got (1: all the same). */
  readonly tokens: number
  readonly calls: number
  readonly failed: number
  /** From the parent's first request to the last process's answer. */
  readonly ms: number
  /** Processes that took the lease and asked the token server. */
  readonly fetched: number
  /** Processes that found the lease held and polled until the token was in Redis. */
  readonly waited: number
  /** Processes whose first read found the token in Redis. */
  readonly direct: number
  /** Polls (lease found held, then a pause and a read) of each process that waited. */
  readonly pollsPerWaiter: readonly number[]
  /** Store operations of the whole fleet, as the workers counted them on their way to Redis. */
  readonly ops: StoreCounts
  /** What Redis counted (INFO commandstats): calls of GET (scripts' own GETs included) and EVAL. */
  readonly redisCalls: Readonly<Record<string, number>>
}

export interface FleetColdResult {
  readonly processes: number
  readonly callsPerProcess: number
  /** How long the token endpoint waited before answering (0: loopback, as fast as it goes). */
  readonly tokenDelayMs: number
  readonly drivers: readonly FleetDriver[]
  readonly rounds: readonly FleetColdRound[]
}

/** Section 6b: the fleet and one process alone, side by side, calling continuously for the same time. */
export interface FleetSteadyResult {
  readonly processes: number
  readonly seconds: number
  readonly tokenLifetime: number
  readonly intervalMs: number
  readonly fleetRequests: number
  readonly aloneRequests: number
  readonly fleetCalls: number
  readonly aloneCalls: number
  readonly fleetErrors: number
  readonly aloneErrors: number
  /** Distinct tokens the fleet's callers got, and the lone process's. */
  readonly fleetTokens: number
  readonly aloneTokens: number
  /** Store operations of the whole fleet (workers' counts), and of each process (GET + EVAL). */
  readonly ops: StoreCounts
  readonly opsPerProcess: readonly number[]
  /** INFO commandstats over the run: calls and microseconds of execution, by command. */
  readonly redisStats: Readonly<Record<string, { readonly calls: number; readonly usec: number }>>
}

/** Section 6c: time to token of a process whose token is in Redis and not in its own cache, and the floor of that. */
export interface FleetFromRedisResult {
  readonly driver: FleetDriver
  /** `getToken` on a long-lived client, for a scope whose token another client of the process wrote to Redis. */
  readonly clientNs: Quantiles
  /** A raw GET of the same entry on the same connection, and its AES-256-GCM decrypt (node:crypto). */
  readonly rawNs: Quantiles
  /** Per sample: the client's time over the raw read's, the two timed back to back. */
  readonly pairedRatio: Quantiles
  /** Constructing a new client, and closing it (for {@link FleetFromRedisResult.justMade}; in neither figure). */
  readonly constructNs: Quantiles
  readonly closeNs: Quantiles
  readonly sealedChars: number
  /**
   * The same with a new client per sample (as in a process just started), made ahead 20 at a time:
   * the garbage of making and closing clients is collected during the calls.
   */
  readonly justMade?: { readonly clientNs: Quantiles; readonly rawNs: Quantiles }
  /** Redis CPU time (INFO cpu, I/O included) per GET it served during the samples, in microseconds. */
  readonly redisCpuMicrosPerGet: number
}

/** Section 6d: getToken calls that miss in the process, with Redis killed. */
export interface FleetRedisDownResult {
  readonly driver: FleetDriver
  readonly operationTimeoutMs: number
  readonly breakerFailures: number
  readonly breakerCooldownMs: number
  /** With Redis up: a miss with the shared cache, and one without (the plain client beside it). */
  readonly upSharedNs: Quantiles
  readonly upPlainNs: Quantiles
  /** Right after Redis was killed: each of the first calls with the shared cache. */
  readonly firstCallsNs: readonly number[]
  /** The shared cache's reports during those calls, in order (`SHARED_CACHE_TIMEOUT`, `SHARED_CACHE_SKIPPED`, ...). */
  readonly firstReports: readonly string[]
  /** Breaker open: calls with the shared cache and without, alternating, and their difference pair by pair. */
  readonly openSharedNs: Quantiles
  readonly openPlainNs: Quantiles
  readonly openAddedNs: Quantiles
  /** How long after the breaker opened the last of those calls ended (they are all within its cooldown if below it). */
  readonly openSpanMs: number
  /** After the cooldown, Redis still down: each call (the first is let through to Redis as the breaker's probe). */
  readonly probeCallsNs: readonly number[]
  readonly probeReports: readonly string[]
  readonly failedCalls: number
}

/** Section 6e: the in-process cache hit, with a shared cache configured and without, alternating rounds in one process. */
export interface FleetHitResult {
  readonly driver: FleetDriver
  readonly withNs: readonly number[]
  readonly withoutNs: readonly number[]
  readonly callsPerRound: number
}

/** Section 6, the fleet on Redis: each part's outcome, so that one failing leaves the others. */
export interface FleetResult {
  readonly redisVersion: string
  readonly cold: Outcome<readonly FleetColdResult[]>
  readonly steady: Outcome<FleetSteadyResult>
  readonly hit: Outcome<FleetHitResult>
  readonly fromRedis: Outcome<readonly FleetFromRedisResult[]>
  readonly redisDown: Outcome<readonly FleetRedisDownResult[]>
  readonly seconds: number
}

export interface Results {
  readonly machine: Machine
  readonly settings: Settings
  readonly cached: Partial<Record<ClientId, Outcome<CallResult>>>
  readonly fresh: Partial<Record<ClientId, Outcome<CallResult>>>
  /** Section 3b, fresh acquisition with private_key_jwt: by subject. Missing in results saved before it existed. */
  readonly jwt: Partial<Record<JwtSubjectId, Outcome<CallResult>>>
  /** Section 3c, discovery with `issuer`: by part. Missing in results saved before it existed. */
  readonly discovery: DiscoveryResults
  /** Section 3d, DPoP: by part. Missing in results saved before it existed. */
  readonly dpop: DpopResults
  readonly stampede: Partial<Record<ClientId, Outcome<StampedeResult>>>
  readonly memory: Partial<Record<ClientId, Outcome<readonly MemoryRound[]>>>
  readonly servers: Partial<Record<ServerKind, Outcome<readonly LoadRound[]>>>
  /** Only this package has a shared cache: one outcome, under its client id. Missing in results saved before section 6 existed. */
  readonly fleet: Partial<Record<'token-client', Outcome<FleetResult>>>
  /** Section 7, the cached getToken with and without telemetry: by subject. Missing in results saved before it existed. */
  readonly observability: ObservabilityResults
  durationMs: number
}

/** The sections, as `--only` names them and {@link Results} keys their outcomes, in the order they run and are reported. */
export const SECTION_IDS = ['cached', 'stampede', 'fresh', 'jwt', 'discovery', 'dpop', 'memory', 'servers', 'fleet', 'observability'] as const
export type SectionId = (typeof SECTION_IDS)[number]
