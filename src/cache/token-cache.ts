import { LRUCache } from 'lru-cache'
import { monotonicClock, type Clock } from '../clock.js'
import { AbortError } from '../errors/token-client-error.js'
import { raceAbort } from '../http/abort-race.js'
import { LazyAbortController, type LazyAbortSignal } from '../http/lazy-abort-controller.js'

/** A token in the cache, with the moments that govern it (clock milliseconds). */
export interface CacheEntry<T> {
  value: T
  /** The last moment the token may be handed out. */
  usableUntil: number
  /** From here a call returns the token and starts one background refresh. */
  refreshAt: number
  /** Background refreshes of this token that failed in a row. */
  failedRefreshes?: number
  /** The value as an already-resolved promise, made on the first cache hit and handed to every later one. */
  resolved?: Promise<T>
  /** It was past `usableUntil` when it arrived: handed to the callers that waited for it, never to others. */
  unusableOnArrival?: boolean
}

/**
 * Fetches a fresh entry; `signal` fires when every waiter has gone or the cache is closed. It is a
 * {@link LazyAbortSignal}, so that a fetch nobody aborts makes no `AbortSignal`.
 */
export type EntryFetcher<T, C> = (context: C, signal: LazyAbortSignal) => Promise<CacheEntry<T>>

/** Options of {@link TokenCache}. */
export interface TokenCacheOptions<T, C> {
  maxEntries: number
  clock: Clock
  fetch: EntryFetcher<T, C>
  /** Called when the refresh of an entry that is still usable fails; the entry stays. */
  onRefreshError?: ((error: unknown, context: C) => void) | undefined
}

/** One request on the wire and how many callers wait on it. */
interface Flight<T> {
  readonly controller: LazyAbortController
  /** A still-usable value exists: the request is a refresh that no waiter's abort may cancel. */
  readonly refreshing: boolean
  waiters: number
  /**
   * For a fetch on an empty entry: the promise lru-cache handed its first caller, the outcome it hands
   * every caller until the fetch settles. Later callers join it without asking lru-cache again.
   */
  cold: Promise<CacheEntry<T> | undefined> | undefined
  /**
   * The value of the {@link Flight.cold} fetch, one promise shared by every caller without a signal
   * that joins it: such a caller never leaves, so it costs no promise or count of its own.
   */
  joined: Promise<T> | undefined
  /** A caller without a signal waits: no other caller's abort may cancel the request. */
  patient: boolean
}

/** After a failed background refresh the next one waits 1 s, doubling up to a minute. */
export function refreshBackoffMs(failedRefreshes: number): number {
  return Math.min(60_000, 1_000 * 2 ** Math.max(0, failedRefreshes - 1))
}

const noop = () => {}
const toAbortError = (reason: unknown): AbortError => new AbortError(reason)
// Shared across calls: lru-cache writes its `status` into the options object on every call, so this is never frozen.
const PEEK_OPTIONS: { noDeleteOnStaleGet: true } = { noDeleteOnStaleGet: true }

/**
 * Token cache on lru-cache: bounded, with lru-cache's `fetch()` giving one request per key for any
 * number of concurrent callers (single flight) and stale-while-revalidate for refresh-ahead.
 * An entry's lru-cache TTL is its refresh point; past it lru-cache hands out the stale entry while one
 * background fetch runs, and this class refuses an entry past `usableUntil`, waiting for a fetch
 * instead. A failed refresh leaves the entry (`noDeleteOnFetchRejection`) and backs off before the
 * next; a failed cold fetch leaves nothing. A caller's abort rejects that caller only; the request is
 * aborted, and forgotten, when no caller waits on it any more.
 */
export class TokenCache<T extends object, C> {
  readonly #lru: LRUCache<string, CacheEntry<T>, unknown>
  /** The flight of each key: the one a caller joins. */
  readonly #flights = new Map<string, Flight<T>>()
  /** Every flight still running, also one whose key has a newer flight since (after a delete, say): what close() aborts. */
  readonly #liveFlights = new Set<Flight<T>>()
  readonly #clock: Clock
  readonly #fetch: EntryFetcher<T, C>
  readonly #onRefreshError: TokenCacheOptions<T, C>['onRefreshError']
  #closed = false

  constructor(options: TokenCacheOptions<T, C>) {
    this.#clock = options.clock
    this.#fetch = options.fetch
    this.#onRefreshError = options.onRefreshError
    // With the default clock lru-cache reads performance.now() at most once a millisecond (its
    // ttlResolution), which keeps clock reads off the cache-hit path; an injected clock is read on
    // every check so that tests can move it and see the effect at once.
    const injected = options.clock !== monotonicClock
    this.#lru = new LRUCache<string, CacheEntry<T>, unknown>({
      max: options.maxEntries,
      ...(injected && { perf: { now: () => options.clock.now() } }),
      ttlResolution: injected ? 0 : 1,
      noDeleteOnFetchRejection: true,
      ignoreFetchAbort: true,
      fetchMethod: (key, stale, { options: setOptions, context }) =>
        this.#fetchEntry(key, stale, setOptions, context as C),
    })
  }

  /** The number of entries, fetches in flight included. */
  get size(): number {
    return this.#lru.size
  }

  /**
   * The cached value, as one already-resolved promise shared by every hit, when it is fresh and
   * usable: the fast path of a cache hit, allocating nothing. `undefined` when the entry is missing,
   * past its refresh point, or in its last moments.
   */
  peek(key: string): Promise<T> | undefined {
    // Fresh to lru-cache means before the refresh point (the TTL is rounded down), which is never
    // after usableUntil: no clock read is needed here beyond lru-cache's own.
    const entry = this.#lru.get(key, PEEK_OPTIONS)
    if (entry === undefined || entry.unusableOnArrival === true) return undefined
    return (entry.resolved ??= Promise.resolve(entry.value))
  }

  /**
   * The cached value for `key`, or the result of the one fetch in flight for it, or of a new one.
   * With `forceRefresh` the cached value is not used.
   */
  get(key: string, context: C, forceRefresh: boolean, signal?: AbortSignal): Promise<T> {
    // While an empty entry is being fetched, lru-cache would hand every caller that fetch's outcome.
    // Callers without a signal share one promise of it: a cold stampede of any size costs one.
    const flight = forceRefresh || signal !== undefined ? undefined : this.#flights.get(key)
    if (flight?.cold !== undefined) {
      flight.patient = true
      return (flight.joined ??= this.#valueOf(key, context, flight.cold))
    }
    return this.#get(key, context, forceRefresh, signal)
  }

  async #valueOf(key: string, context: C, cold: Promise<CacheEntry<T> | undefined>): Promise<T> {
    const joined = await cold
    return joined !== undefined ? joined.value : this.#fetchAgain(key, context, false, undefined)
  }

  async #get(key: string, context: C, forceRefresh: boolean, signal: AbortSignal | undefined): Promise<T> {
    if (signal?.aborted) throw new AbortError(signal.reason)
    // Callers with a signal join a cold fetch each on their own, to leave it when their signal fires.
    const cold = forceRefresh ? undefined : this.#flights.get(key)?.cold
    if (cold !== undefined) {
      const joined = await this.#await(key, cold, signal)
      return joined !== undefined ? joined.value : this.#fetchAgain(key, context, false, signal)
    }
    // A forced refresh never gets the cached entry back, so it needs no status report from lru-cache.
    const status: LRUCache.Status<string, CacheEntry<T>> | undefined = forceRefresh ? undefined : {}
    const pending =
      status === undefined
        ? this.#lru.fetch(key, { context, allowStale: false, forceRefresh: true })
        : this.#lru.fetch(key, { context, allowStale: true, forceRefresh: false, status })
    if (status?.fetch === 'miss') {
      const flight = this.#flights.get(key)
      if (flight !== undefined) flight.cold = pending
    }
    const first = await this.#await(key, pending, signal)
    const fromCache = status !== undefined && (status.returnedStale === true || status.fetch === 'hit')
    if (first !== undefined && !(fromCache && first.usableUntil <= this.#clock.now())) return first.value
    // The cached entry is in its last moments: wait for the refresh the first fetch joined or started
    // (or, for an entry not yet stale to lru-cache, force one).
    return this.#fetchAgain(key, context, status?.fetch === 'hit', signal)
  }

  /**
   * The value of the fetch in flight for `key`, or of a new one: for a caller whose first answer was
   * an aborted fetch or an entry in its last moments. `forceRefresh` passes over an entry that
   * lru-cache still calls fresh.
   */
  async #fetchAgain(key: string, context: C, forceRefresh: boolean, signal: AbortSignal | undefined): Promise<T> {
    const fresh = await this.#await(key, this.#lru.fetch(key, { context, allowStale: false, forceRefresh }), signal)
    if (fresh === undefined) throw new AbortError(signal?.reason)
    return fresh.value
  }

  /** Drops one entry; a fetch in flight for it still answers its waiters but is not cached. */
  delete(key: string): void {
    this.#lru.delete(key)
    // A caller after this asks for a new request: the one in flight is no longer the entry's.
    const flight = this.#flights.get(key)
    if (flight !== undefined) flight.cold = undefined
  }

  /** Drops every entry. */
  clear(): void {
    this.#lru.clear()
    for (const flight of this.#flights.values()) flight.cold = undefined
  }

  /**
   * Aborts every fetch in flight (those for dropped entries too) and drops every entry. Each fetch is
   * aborted with its own error from `reasonFor`, since what a fetch rejects with gets that fetch's
   * own details written on it (such as `attempts`): one shared error would show another fetch's.
   */
  close(reasonFor: () => Error): void {
    this.#closed = true
    for (const flight of this.#liveFlights) flight.controller.abort(reasonFor())
    this.#lru.clear()
  }

  async #fetchEntry(
    key: string,
    stale: CacheEntry<T> | undefined,
    setOptions: LRUCache.SetOptions<string, CacheEntry<T>, unknown>,
    context: C,
  ): Promise<CacheEntry<T>> {
    const refreshing = stale !== undefined && stale.usableUntil > this.#clock.now()
    const flight: Flight<T> = {
      controller: new LazyAbortController(),
      refreshing,
      waiters: 0,
      cold: undefined,
      joined: undefined,
      patient: false,
    }
    this.#flights.set(key, flight)
    this.#liveFlights.add(flight)
    try {
      const entry = await this.#fetch(context, flight.controller.signal)
      const now = this.#clock.now()
      setOptions.ttl = Math.max(1, Math.floor(entry.refreshAt - now))
      if (entry.usableUntil <= now) entry.unusableOnArrival = true
      return entry
    } catch (error) {
      if (!refreshing || this.#closed) throw error
      this.#report(error, context)
      // Callers asked for a new token (forceRefresh) and wait: they get the failure.
      if (flight.waiters > 0) throw error
      // Nobody waits: keep the still-usable token, and hold off the next refresh for a while.
      const failedRefreshes = (stale.failedRefreshes ?? 0) + 1
      const untilUnusable = stale.usableUntil - this.#clock.now()
      setOptions.ttl = Math.max(1, Math.floor(Math.min(refreshBackoffMs(failedRefreshes), untilUnusable)))
      return { value: stale.value, usableUntil: stale.usableUntil, refreshAt: stale.refreshAt, failedRefreshes }
    } finally {
      this.#liveFlights.delete(flight)
      if (this.#flights.get(key) === flight) this.#flights.delete(key)
    }
  }

  #report(error: unknown, context: C): void {
    try {
      this.#onRefreshError?.(error, context)
    } catch {
      // A throwing listener must not turn a handled refresh failure into a failed call.
    }
  }

  async #await(
    key: string,
    pending: Promise<CacheEntry<T> | undefined>,
    signal: AbortSignal | undefined,
  ): Promise<CacheEntry<T> | undefined> {
    const flight = this.#flights.get(key)
    if (flight === undefined) return pending
    if (signal === undefined) {
      flight.waiters++
      try {
        return await pending
      } finally {
        flight.waiters--
      }
    }
    if (signal.aborted) {
      pending.catch(noop)
      throw new AbortError(signal.reason)
    }
    flight.waiters++
    try {
      // One listener per signal, however many calls share it (no MaxListenersExceededWarning).
      return await raceAbort(pending, signal, toAbortError)
    } finally {
      flight.waiters--
      if (flight.waiters === 0 && signal.aborted && !flight.refreshing && !flight.patient) this.#abandon(key, flight, signal.reason)
    }
  }

  /** Nobody waits for this request any more: abort it, and forget it so that a later caller starts anew. */
  #abandon(key: string, flight: Flight<T>, reason: unknown): void {
    flight.controller.abort(new AbortError(reason))
    if (this.#flights.get(key) === flight) {
      this.#flights.delete(key)
      this.#lru.delete(key)
    }
  }
}
