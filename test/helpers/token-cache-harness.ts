import { TokenCache, type CacheEntry } from '../../src/cache/token-cache.js'
import type { LazyAbortSignal } from '../../src/http/lazy-abort-controller.js'
import { TestClock } from './test-clock.js'

/** A request the cache made, for the test to answer. */
export interface Deferred {
  resolve: (entry: CacheEntry<{ n: number }>) => void
  reject: (error: Error) => void
  signal: LazyAbortSignal
}

/** Lets a rejected refresh run through the bookkeeping and the backoff that follows it. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 1))

/**
 * A TokenCache on a {@link TestClock} whose requests wait in `pending` until the test answers them.
 * `onRefreshError` also gets the cache, to act on it as a listener may.
 */
export function harness(maxEntries = 10, onRefreshError?: (error: unknown, cache: TokenCache<{ n: number }, string>) => void) {
  const clock = new TestClock()
  const pending: Deferred[] = []
  const refreshErrors: unknown[] = []
  let fetches = 0
  const cache: TokenCache<{ n: number }, string> = new TokenCache<{ n: number }, string>({
    maxEntries,
    clock,
    fetch: (_context, signal) => {
      fetches++
      return new Promise((resolve, reject) => pending.push({ resolve, reject, signal }))
    },
    onRefreshError: (error) => {
      refreshErrors.push(error)
      onRefreshError?.(error, cache)
    },
  })
  const entry = (n: number, refreshIn: number, usableFor: number): CacheEntry<{ n: number }> => ({
    value: { n },
    refreshAt: clock.now() + refreshIn,
    usableUntil: clock.now() + usableFor,
  })
  return { clock, cache, pending, refreshErrors, entry, fetches: () => fetches }
}
