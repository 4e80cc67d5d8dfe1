import { TokenCache, type CacheEntry, type EntryFetcher } from '../../src/cache/token-cache.js'
import { TestClock } from './test-clock.js'
import { waitFor } from './wait-for.js'

/** What the harness's cache holds: `n` tells one token from another. */
export interface Token {
  n: number
}

/** The signal the cache hands its fetcher: it fires when nobody waits for the request any more. */
export type FetchSignal = Parameters<EntryFetcher<Token, string>>[1]

/** A request the cache made, for the test to answer. */
export interface PendingRequest {
  /** Answers the request; throws if it was answered already. */
  resolve(entry: CacheEntry<Token>): void
  /** Fails the request; throws if it was answered already. */
  reject(error: Error): void
  readonly signal: FetchSignal
  /** It was answered (resolved or rejected) by the test. */
  readonly answered: boolean
}

/** A {@link TokenCache} on a {@link TestClock} whose requests wait until the test answers them. */
export interface TokenCacheHarness {
  readonly clock: TestClock
  readonly cache: TokenCache<Token, string>
  /** Every request the cache made, in order, answered or not. */
  readonly pending: readonly PendingRequest[]
  /** What `onRefreshError` was called with, in order. */
  readonly refreshErrors: readonly unknown[]
  /** How many requests the cache made. */
  fetches(): number
  /** An entry of token `n`, due for refresh `refreshIn` ms from now and usable for `usableFor` ms. */
  entry(n: number, refreshIn: number, usableFor: number): CacheEntry<Token>
  /** Request `index` (0 is the first); throws when the cache made no such request. */
  request(index: number): PendingRequest
  /** Answers request `index` with `entry`; throws when the cache made no such request or it was answered. */
  answer(index: number, entry: CacheEntry<Token>): void
  /** Fails request `index` with `error`; throws when the cache made no such request or it was answered. */
  fail(index: number, error: Error): void
  /** Request `index` once the cache has made it; rejects, saying how many it made, after `timeoutMs`. */
  requested(index: number, timeoutMs?: number): Promise<PendingRequest>
}

/**
 * A harness around a fresh cache of `maxEntries`. `onRefreshError` also gets the cache, to act on it
 * as a listener may.
 */
export function harness(maxEntries = 10, onRefreshError?: (error: unknown, cache: TokenCache<Token, string>) => void): TokenCacheHarness {
  const clock = new TestClock()
  const pending: PendingRequest[] = []
  const refreshErrors: unknown[] = []
  const cache: TokenCache<Token, string> = new TokenCache<Token, string>({
    maxEntries,
    clock,
    fetch: (_context, signal) =>
      new Promise((resolve, reject) => {
        const index = pending.length
        let answered = false
        const answer = (): void => {
          if (answered) throw new Error(`request [${index}] was answered already`)
          answered = true
        }
        pending.push({
          resolve: (entry) => {
            answer()
            resolve(entry)
          },
          reject: (error) => {
            answer()
            reject(error)
          },
          signal,
          get answered() {
            return answered
          },
        })
      }),
    onRefreshError: (error) => {
      refreshErrors.push(error)
      onRefreshError?.(error, cache)
    },
  })
  const request = (index: number): PendingRequest => {
    const found = pending[index]
    if (found === undefined) throw new Error(`no request [${index}] to answer: the cache made ${pending.length}`)
    return found
  }
  return {
    clock,
    cache,
    pending,
    refreshErrors,
    fetches: () => pending.length,
    entry: (n, refreshIn, usableFor) => ({ value: { n }, refreshAt: clock.now() + refreshIn, usableUntil: clock.now() + usableFor }),
    request,
    answer: (index, entry) => request(index).resolve(entry),
    fail: (index, error) => request(index).reject(error),
    requested: async (index, timeoutMs = 2_000) => {
      await waitFor(() => pending.length > index, timeoutMs).catch(() => {
        throw new Error(`no request [${index}] within ${timeoutMs} ms: the cache made ${pending.length}`)
      })
      return request(index)
    },
  }
}
