// What a run records: the machine, the settings, and each section's outcome per client or server.
// `--json FILE` writes it and `--from-json FILE` reads it back; the report computes every figure
// from it.
import type { Settings } from './config.js'
import type { Outcome } from './lib/child.js'
import type { Machine } from './lib/machine.js'
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

export interface Results {
  readonly machine: Machine
  readonly settings: Settings
  readonly cached: Partial<Record<ClientId, Outcome<CallResult>>>
  readonly fresh: Partial<Record<ClientId, Outcome<CallResult>>>
  readonly stampede: Partial<Record<ClientId, Outcome<StampedeResult>>>
  readonly memory: Partial<Record<ClientId, Outcome<readonly MemoryRound[]>>>
  readonly servers: Partial<Record<ServerKind, Outcome<readonly LoadRound[]>>>
  durationMs: number
}

/** The sections, as `--only` names them and {@link Results} keys their outcomes, in the order they run and are reported. */
export const SECTION_IDS = ['cached', 'stampede', 'fresh', 'memory', 'servers'] as const
export type SectionId = (typeof SECTION_IDS)[number]
