import { channel } from 'node:diagnostics_channel'
import { LRUCache } from 'lru-cache'
import { monotonicClock, type Clock } from '../clock.js'
import { AbortError } from '../errors/token-client-error.js'
import { callHook } from '../hooks/call-hook.js'
import { LazyAbortController, type LazyAbortSignal } from '../abort/lazy-abort-controller.js'
import { raceAbort } from '../abort/race-abort.js'

/** A token in the cache, with the moments that govern it (clock milliseconds). */
export interface CacheEntry<T> {
  value: T
  /** The last moment the token may be handed out. */
  usableUntil: number
  /** From here a call returns the token and starts one background refresh. */
  refreshAt: number
  /** When the request that got the token was sent: its lifetime counts from here. */
  sentAt?: number
  /** Background refreshes of this token that failed in a row. */
  failedRefreshes?: number
  /** The value as an already-resolved promise, made on the first cache hit and handed to every later one. */
  resolved?: Promise<T>
  /** It was past `usableUntil` when it arrived: handed to the callers that waited for it, never to others. */
  unusableOnArrival?: boolean
  /** What the last of {@link CacheEntry.failedRefreshes} failed with: for the status snapshot. */
  lastRefreshError?: unknown
}

/**
 * What a lookup found: a fresh entry (`hit`), one past its refresh point handed out while a refresh
 * starts (`stale`), or nothing usable (`miss`: the caller waits for a request).
 */
export type LookupResult = 'hit' | 'stale' | 'miss'

/** One key of the cache as {@link TokenCache.entries} describes it: for a status snapshot, never on a hot path. */
export interface CacheEntryState<T, C> {
  readonly key: string
  /** The entry cached, if any (a key with only a cold request in flight has none). */
  readonly entry: CacheEntry<T> | undefined
  /** What the request that made (or is making) the entry was asked with, when known. */
  readonly context: C | undefined
  /** A request for the key is in flight: a background refresh when `entry` is usable, else a cold or forced one. */
  readonly requesting: boolean
}

/**
 * Why a request starts: nothing usable is cached (`cold`), the cached entry is past its refresh point
 * (`refresh`), or a caller asked for a new token (`force`).
 */
export type FetchKind = 'cold' | 'refresh' | 'force'

/**
 * Fetches a fresh entry; `signal` fires when every waiter has gone or the cache is closed. It is a
 * {@link LazyAbortSignal}, so that a fetch nobody aborts makes no `AbortSignal`.
 */
export type EntryFetcher<T, C> = (context: C, signal: LazyAbortSignal, kind: FetchKind) => Promise<CacheEntry<T>>

/** Options of {@link TokenCache}. */
export interface TokenCacheOptions<T, C> {
  maxEntries: number
  clock: Clock
  fetch: EntryFetcher<T, C>
  /**
   * Called when the refresh of an entry that is still usable fails; the entry stays. What it throws is
   * reported as an `onRefreshError` warning (see `callHook`) and changes nothing else.
   */
  onRefreshError?: ((error: unknown, context: C) => void) | undefined
  /**
   * Told what each lookup of {@link TokenCache.get} found (a forced refresh looks up nothing). Not
   * called by {@link TokenCache.peek}, whose caller knows it found a token. Must not throw.
   */
  onLookup?: ((result: LookupResult, context: C) => void) | undefined
}

/** One request on the wire and how many callers wait on it. */
interface Flight<T, C> {
  readonly controller: LazyAbortController
  /** What the request was asked with: kept with the entry it makes, for {@link TokenCache.entries}. */
  readonly context: C
  /** A still-usable value exists: the request is a refresh that no waiter's abort may cancel. */
  readonly refreshing: boolean
  /** The fetched entry; rejects when the request fails or is aborted. Never left unhandled. */
  readonly entry: Promise<CacheEntry<T>>
  /** Callers with a signal waiting: they may leave. */
  waiters: number
  /**
   * A caller without a signal waits, uncounted in `waiters` since it never leaves: no other caller's
   * abort may cancel the request, and a failed refresh is that caller's failure.
   */
  patient: boolean
  /** The value of {@link Flight.entry}, one promise shared by every caller without a signal. */
  value: Promise<T> | undefined
}

/** After a failed background refresh the next one waits 1 s, doubling up to a minute. */
export function refreshBackoffMs(failedRefreshes: number): number {
  return Math.min(60_000, 1_000 * 2 ** Math.max(0, failedRefreshes - 1))
}

const noop = (): void => {}
const toAbortError = (reason: unknown): AbortError => new AbortError(reason)
const valueOf = <T>(entry: CacheEntry<T>): T => entry.value
/** The entry's value as one already-resolved promise, made on the first hit and shared by every later one. */
const resolvedValue = <T>(entry: CacheEntry<T>): Promise<T> => (entry.resolved ??= Promise.resolve(entry.value))
// Options shared across calls, so that a lookup allocates nothing. lru-cache's get() writes a `status`
// object into the options it is given while its `lru-cache:metrics` channel has subscribers (and
// then keeps writing into it: the value found, the cache), so a shared object would hold the last
// token handed out, of any client in the process: while anyone subscribes, get() gets a fresh copy.
const PEEK_OPTIONS: { noDeleteOnStaleGet: true } = { noDeleteOnStaleGet: true }
const PEEK_STALE_OPTIONS: { allowStale: true } = { allowStale: true }
const STALE_OPTIONS: { allowStale: true; noDeleteOnStaleGet: true } = { allowStale: true, noDeleteOnStaleGet: true }
const lruMetrics = channel('lru-cache:metrics')
/** Shared `get()` options, or a copy of them while lru-cache would write into them (see above). */
const getOptions = <O extends object>(shared: O): O => (lruMetrics.hasSubscribers ? { ...shared } : shared)

/**
 * Token cache: lru-cache keeps the tokens (bounded, least recently used first out, each with a TTL
 * that ends at its refresh point), and this class runs the requests: one per key for any number of
 * concurrent callers (single flight), and refresh-ahead. Past its refresh point an entry is stale to
 * lru-cache; a call then gets it at once while one background request runs, and this class refuses
 * an entry past `usableUntil`, waiting for a request instead. A failed refresh leaves the entry and
 * backs off before the next; a failed cold request leaves nothing. A caller's abort rejects that
 * caller only; the request is aborted, and forgotten, when no caller waits on it any more.
 *
 * The requests are not lru-cache's `fetch()`: on Node 20 it cost about 13 µs of client CPU per
 * request (an `AbortController` with a listener, and a decorated promise, per fetch), most of what a
 * token request then cost this package beyond the HTTP request itself.
 */
export class TokenCache<T extends object, C> {
  readonly #lru: LRUCache<string, CacheEntry<T>>
  /** The flight of each key: the one a caller joins. */
  readonly #flights = new Map<string, Flight<T, C>>()
  /** Every flight still running, also one whose key has a newer flight since (after a delete, say): what close() aborts. */
  readonly #liveFlights = new Set<Flight<T, C>>()
  readonly #clock: Clock
  readonly #fetch: EntryFetcher<T, C>
  readonly #onRefreshError: TokenCacheOptions<T, C>['onRefreshError']
  readonly #onLookup: TokenCacheOptions<T, C>['onLookup']
  /** What each cached entry was requested with, for {@link TokenCache.entries}: weak, so an evicted entry takes it along. */
  readonly #contexts = new WeakMap<CacheEntry<T>, C>()
  #closed = false

  constructor(options: TokenCacheOptions<T, C>) {
    this.#clock = options.clock
    this.#fetch = options.fetch
    this.#onRefreshError = options.onRefreshError
    this.#onLookup = options.onLookup
    // With the default clock lru-cache reads performance.now() at most once a millisecond (its
    // ttlResolution), which keeps clock reads off the cache-hit path; an injected clock is read on
    // every check so that tests can move it and see the effect at once.
    const injected = options.clock !== monotonicClock
    this.#lru = new LRUCache<string, CacheEntry<T>>({
      max: options.maxEntries,
      ...(injected && { perf: { now: () => options.clock.now() } }),
      ttlResolution: injected ? 0 : 1,
    })
  }

  /** The number of cached entries. */
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
    const entry = this.#lru.get(key, getOptions(PEEK_OPTIONS))
    if (entry === undefined || entry.unusableOnArrival === true) return undefined
    return resolvedValue(entry)
  }

  /**
   * The cached value for `key`, or the result of the one request in flight for it, or of a new one.
   * With `forceRefresh` the cached value is not used.
   */
  get(key: string, context: C, forceRefresh: boolean, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason))
    let flight = this.#flights.get(key)
    if (forceRefresh) {
      flight ??= this.#start(key, context, this.#usable(this.#lru.get(key, getOptions(STALE_OPTIONS))), 'force')
    } else if (flight === undefined || flight.refreshing) {
      // A usable token may be cached (with its refresh running beside it): that, at once.
      const status: LRUCache.Status<string, CacheEntry<T>> = {}
      const cached = this.#usable(this.#lru.get(key, { allowStale: true, noDeleteOnStaleGet: true, status }))
      if (cached !== undefined) {
        // Past the refresh point: the token now, and one request in the background.
        const stale = status.get === 'stale'
        this.#onLookup?.(stale ? 'stale' : 'hit', context)
        if (stale && flight === undefined) this.#start(key, context, cached, 'refresh')
        return resolvedValue(cached)
      }
      this.#onLookup?.('miss', context)
      flight ??= this.#start(key, context, undefined, 'cold')
    } else {
      // A cold request is running: no usable token is cached, and this caller waits for it.
      this.#onLookup?.('miss', context)
    }
    // Otherwise the request running refreshes no usable token, so none is cached: every caller of a
    // cold stampede joins it here without looking in the cache.
    if (signal === undefined) {
      flight.patient = true
      return (flight.value ??= flight.entry.then(valueOf))
    }
    return this.#await(key, flight, signal)
  }

  /**
   * Every key cached or being requested, with what it was requested with: the cached entries (stale
   * and unusable ones too) in the order lru-cache keeps them, most recently used first, without
   * touching that order; then keys with only a request in flight. For a status snapshot: it walks
   * the whole cache.
   */
  entries(): Array<CacheEntryState<T, C>> {
    const states: Array<CacheEntryState<T, C>> = []
    const seen = new Set<string>()
    // dump() includes stale entries and leaves recency as it is (entries() skips stale ones).
    for (const [key, { value: entry }] of this.#lru.dump().reverse()) {
      seen.add(key)
      const flight = this.#flights.get(key)
      states.push({ key, entry, context: flight?.context ?? this.#contexts.get(entry), requesting: flight !== undefined })
    }
    for (const [key, flight] of this.#flights) {
      if (!seen.has(key)) states.push({ key, entry: undefined, context: flight.context, requesting: true })
    }
    return states
  }

  /** Drops one entry; a request in flight for it still answers its waiters but is not cached. */
  delete(key: string): void {
    this.#lru.delete(key)
    // A caller after this asks for a new request: the one in flight is no longer the entry's.
    this.#flights.delete(key)
  }

  /** Drops every entry. */
  clear(): void {
    this.#lru.clear()
    this.#flights.clear()
  }

  /**
   * Aborts every request in flight (those for dropped entries too) and drops every entry. Each request
   * is aborted with its own error from `reasonFor`, since what a request rejects with gets that
   * request's own details written on it (such as `attempts`): one shared error would show another's.
   */
  close(reasonFor: () => Error): void {
    this.#closed = true
    for (const flight of this.#liveFlights) flight.controller.abort(reasonFor())
    this.#lru.clear()
    this.#flights.clear()
  }

  /** `entry` if it may be handed out now. */
  #usable(entry: CacheEntry<T> | undefined): CacheEntry<T> | undefined {
    return entry !== undefined && entry.unusableOnArrival !== true && entry.usableUntil > this.#clock.now() ? entry : undefined
  }

  /** Starts the request for `key`; `usable` is the entry it refreshes, if that may still be handed out. */
  #start(key: string, context: C, usable: CacheEntry<T> | undefined, kind: FetchKind): Flight<T, C> {
    const controller = new LazyAbortController()
    let fetched: Promise<CacheEntry<T>>
    try {
      fetched = this.#fetch(context, controller.signal, kind)
    } catch (error) {
      fetched = Promise.reject(error)
    }
    const flight: Flight<T, C> = {
      controller,
      context,
      refreshing: usable !== undefined,
      // The bookkeeping runs before any waiter resumes, and what it throws is the waiters' failure.
      entry: fetched.then(
        (entry) => {
          this.#arrived(key, flight, entry)
          return entry
        },
        (error: unknown) => {
          this.#failed(key, flight, context, usable, error)
          throw error
        },
      ),
      waiters: 0,
      patient: false,
      value: undefined,
    }
    flight.entry.catch(noop) // a background request has no waiter
    this.#flights.set(key, flight)
    this.#liveFlights.add(flight)
    return flight
  }

  /** The request is over: forgotten. Whether it was still the key's request (no delete, clear, abandon or close since). */
  #land(key: string, flight: Flight<T, C>): boolean {
    this.#liveFlights.delete(flight)
    if (this.#flights.get(key) !== flight) return false
    this.#flights.delete(key)
    return true
  }

  #arrived(key: string, flight: Flight<T, C>, entry: CacheEntry<T>): void {
    const current = this.#land(key, flight)
    const now = this.#clock.now()
    if (entry.usableUntil - now < 1) entry.unusableOnArrival = true
    if (current) {
      this.#contexts.set(entry, flight.context)
      this.#lru.set(key, entry, { ttl: Math.max(1, Math.floor(entry.refreshAt - now)) })
    }
  }

  #failed(key: string, flight: Flight<T, C>, context: C, usable: CacheEntry<T> | undefined, error: unknown): void {
    // Reported while the request is still the key's and the entry still stored, so that what the
    // listener does (get, delete, clear, close) sees them and is not undone below.
    if (usable !== undefined && !this.#closed) this.#report(error, context)
    const current = this.#land(key, flight)
    // A failed cold request leaves nothing, and after close() nothing is a refresh failure.
    if (usable === undefined || this.#closed) return
    // Callers asked for a new token (forceRefresh) and waited: the failure is theirs, and the entry
    // stays as it was. Nobody waited: keep the still-usable token, and hold off the next refresh;
    // unless the entry was dropped or evicted meanwhile, or is in its last moments (it stays stale).
    if (!current || flight.waiters > 0 || flight.patient || this.#lru.peek(key, PEEK_STALE_OPTIONS) !== usable) return
    const failedRefreshes = (usable.failedRefreshes ?? 0) + 1
    const untilUnusable = usable.usableUntil - this.#clock.now()
    if (untilUnusable < 1) return
    const kept: CacheEntry<T> = { value: usable.value, usableUntil: usable.usableUntil, refreshAt: usable.refreshAt, failedRefreshes, lastRefreshError: error }
    this.#contexts.set(kept, context)
    this.#lru.set(key, kept, { ttl: Math.max(1, Math.floor(Math.min(refreshBackoffMs(failedRefreshes), untilUnusable))) })
  }

  #report(error: unknown, context: C): void {
    // A throwing listener must not turn a handled refresh failure into a failed call, nor go unseen.
    callHook('onRefreshError', this.#onRefreshError, error, context)
  }

  /** Waits for the request as a caller with a signal, who may leave; the last to leave aborts it. */
  async #await(key: string, flight: Flight<T, C>, signal: AbortSignal): Promise<T> {
    flight.waiters++
    try {
      // One listener per signal, however many calls share it (no MaxListenersExceededWarning).
      return (await raceAbort(flight.entry, signal, toAbortError)).value
    } finally {
      flight.waiters--
      if (flight.waiters === 0 && signal.aborted && !flight.refreshing && !flight.patient) this.#abandon(key, flight, signal.reason)
    }
  }

  /** Nobody waits for this request any more: abort it, and forget it so that a later caller starts anew. */
  #abandon(key: string, flight: Flight<T, C>, reason: unknown): void {
    flight.controller.abort(new AbortError(reason))
    if (this.#flights.get(key) === flight) this.#flights.delete(key)
  }
}
