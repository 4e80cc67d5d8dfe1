import { LRUCache } from 'lru-cache'
import type { Clock } from '../clock.js'
import { AbortError } from '../errors/token-client-error.js'

/** A token in the cache, with the moments that govern it (clock milliseconds). */
export interface CacheEntry<T> {
  value: T
  /** The last moment the token may be handed out. */
  usableUntil: number
  /** From here a call returns the token and starts one background refresh. */
  refreshAt: number
}

/** Fetches a fresh entry; `signal` fires when every waiter has gone or the cache is closed. */
export type EntryFetcher<T, C> = (context: C, signal: AbortSignal) => Promise<CacheEntry<T>>

/** Options of {@link TokenCache}. */
export interface TokenCacheOptions<T, C> {
  maxEntries: number
  clock: Clock
  fetch: EntryFetcher<T, C>
  /** Called when the refresh of an entry that is still cached fails; the entry stays. */
  onRefreshError?: ((error: unknown, context: C) => void) | undefined
}

/** One request on the wire and how many callers wait on it. */
interface Flight {
  readonly controller: AbortController
  waiters: number
}

/**
 * Token cache on lru-cache: bounded, with lru-cache's `fetch()` giving one request per key for any
 * number of concurrent callers (single flight) and stale-while-revalidate for refresh-ahead.
 * An entry's lru-cache TTL is its refresh point; past it lru-cache hands out the stale entry while one
 * background fetch runs, and this class refuses a stale entry past `usableUntil`, waiting for the
 * fetch instead. A failed refresh leaves the stale entry (`noDeleteOnFetchRejection`); a failed cold
 * fetch leaves nothing. A caller's abort rejects that caller only; the request itself is aborted
 * when no caller waits on it any more.
 */
export class TokenCache<T extends object, C> {
  readonly #lru: LRUCache<string, CacheEntry<T>, unknown>
  readonly #flights = new Map<string, Flight>()
  readonly #clock: Clock
  readonly #fetch: EntryFetcher<T, C>
  readonly #onRefreshError: TokenCacheOptions<T, C>['onRefreshError']

  constructor(options: TokenCacheOptions<T, C>) {
    this.#clock = options.clock
    this.#fetch = options.fetch
    this.#onRefreshError = options.onRefreshError
    this.#lru = new LRUCache<string, CacheEntry<T>, unknown>({
      max: options.maxEntries,
      perf: { now: () => options.clock.now() },
      ttlResolution: 0,
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
   * The cached value for `key`, or the result of the one fetch in flight for it, or of a new one.
   * With `forceRefresh` the cached value is not used.
   */
  async get(key: string, context: C, forceRefresh: boolean, signal?: AbortSignal): Promise<T> {
    const status: LRUCache.Status<string, CacheEntry<T>> = {}
    const options = { context, allowStale: !forceRefresh, forceRefresh, status }
    const first = await this.#await(key, this.#lru.fetch(key, options), signal)
    if (first !== undefined && !(status.returnedStale === true && first.usableUntil <= this.#clock.now())) {
      return first.value
    }
    // The stale entry is in its last seconds: wait for the refresh that the first fetch joined or started.
    const fresh = await this.#await(key, this.#lru.fetch(key, { context, allowStale: false }), signal)
    if (fresh === undefined) throw new AbortError(signal?.reason)
    return fresh.value
  }

  /** Drops one entry; a fetch in flight for it still answers its waiters but is not cached. */
  delete(key: string): void {
    this.#lru.delete(key)
  }

  /** Drops every entry. */
  clear(): void {
    this.#lru.clear()
  }

  /** Aborts every fetch in flight with `reason` and drops every entry. */
  close(reason: Error): void {
    for (const flight of this.#flights.values()) flight.controller.abort(reason)
    this.#lru.clear()
  }

  async #fetchEntry(
    key: string,
    stale: CacheEntry<T> | undefined,
    setOptions: LRUCache.SetOptions<string, CacheEntry<T>, unknown>,
    context: C,
  ): Promise<CacheEntry<T>> {
    const flight: Flight = { controller: new AbortController(), waiters: 0 }
    this.#flights.set(key, flight)
    try {
      const entry = await this.#fetch(context, flight.controller.signal)
      setOptions.ttl = Math.max(1, Math.ceil(entry.refreshAt - this.#clock.now()))
      return entry
    } catch (error) {
      if (stale !== undefined) this.#onRefreshError?.(error, context)
      throw error
    } finally {
      if (this.#flights.get(key) === flight) this.#flights.delete(key)
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
    signal.throwIfAborted()
    flight.waiters++
    let onAbort: (() => void) | undefined
    try {
      return await Promise.race([
        pending,
        new Promise<never>((_, reject) => {
          onAbort = () => reject(new AbortError(signal.reason))
          signal.addEventListener('abort', onAbort, { once: true })
        }),
      ])
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort)
      flight.waiters--
      if (flight.waiters === 0 && signal.aborted) flight.controller.abort(new AbortError(signal.reason))
    }
  }
}
