import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TokenCache, type CacheEntry } from '../../src/cache/token-cache.js'
import { recordUnhandledRejections } from '../helpers/process-warnings.js'
import { TestClock } from '../helpers/test-clock.js'
import { harness, type TokenCacheHarness } from '../helpers/token-cache-harness.js'
import { flushPromises } from '../helpers/wait-for.js'

// Edge cases of the requests TokenCache runs beside lru-cache: an onRefreshError listener that acts
// on the cache, an entry evicted while its refresh runs, a token's last millisecond, and fetchers
// that break their contract (throwing at once, resolving a malformed entry).

/** Caches token 1 (refresh at 800 ms, usable for 1000 ms), then moves past its refresh point and starts the background refresh. */
async function pastRefreshPoint(h: TokenCacheHarness, key = 'k'): Promise<void> {
  const first = h.cache.get(key, 'ctx', false)
  h.answer(h.fetches() - 1, h.entry(1, 800, 1000))
  await first
  h.clock.advance(801)
  assert.equal((await h.cache.get(key, 'ctx', false)).n, 1)
}

test('an onRefreshError listener that invalidates the key: the failed refresh does not put the token back', async () => {
  const h = harness(10, (_error, cache) => cache.delete('k'))
  await pastRefreshPoint(h)
  h.fail(1, new Error('invalid_client'))
  await flushPromises()
  assert.equal(h.refreshErrors.length, 1)
  assert.equal(h.cache.size, 0, 'the listener dropped the entry')
  assert.equal(h.cache.peek('k'), undefined)
  const next = h.cache.get('k', 'ctx', false)
  assert.equal(h.fetches(), 3, 'the next caller asks for a new token instead of getting the invalidated one')
  h.answer(2, h.entry(2, 800, 1000))
  assert.equal((await next).n, 2)
})

test('an onRefreshError listener that closes the cache: nothing is cached after close()', async () => {
  const h = harness(10, (_error, cache) => cache.close(() => new Error('closed')))
  await pastRefreshPoint(h)
  h.fail(1, new Error('invalid_client'))
  await flushPromises()
  assert.equal(h.cache.size, 0)
  assert.equal(h.cache.peek('k'), undefined)
})

test('an onRefreshError listener that asks for the token again starts no second request: the backoff holds', async () => {
  const during: Array<Promise<{ n: number }>> = []
  const h = harness(10, (_error, cache) => during.push(cache.get('k', 'ctx', false)))
  await pastRefreshPoint(h)
  h.fail(1, new Error('down'))
  await flushPromises()
  assert.equal(h.refreshErrors.length, 1)
  assert.deepEqual((await Promise.all(during)).map((value) => value.n), [1], 'the listener got the still-usable token')
  assert.equal(h.fetches(), 2, 'no refresh right after a failed one: the next waits for the 1 s backoff')
  for (const fetch of h.pending.slice(2)) fetch.reject(new Error('cleanup'))
  await flushPromises()
})

test('a background refresh that fails after usableUntil leaves nothing that peek() hands out', async () => {
  const h = harness()
  await pastRefreshPoint(h)
  h.clock.advance(199) // now exactly at usableUntil: the token is in its last moments
  h.fail(1, new Error('down'))
  await flushPromises()
  assert.equal(h.cache.peek('k'), undefined, 'a token past usableUntil is never handed out')
})

test('a token arriving with less than 1 ms of usable time is not handed out past usableUntil by peek()', async () => {
  const h = harness()
  const first = h.cache.get('k', 'ctx', false)
  h.answer(0, h.entry(1, -5, 0.5)) // due for refresh already, usable for half a millisecond more
  assert.equal((await first).n, 1, 'its own waiters get it')
  h.clock.advance(0.7)
  assert.equal(h.cache.peek('k'), undefined, 'past usableUntil: lru-cache\'s 1 ms minimum TTL must not outlive it')
})

test('a failed refresh of an entry that was evicted while it ran does not bring the entry back', async () => {
  const h = harness(1)
  await pastRefreshPoint(h, 'a') // pending[1] is the background refresh of a
  const b = h.cache.get('b', 'ctx', false)
  h.answer(2, h.entry(2, 800, 1000))
  assert.equal((await b).n, 2) // b evicts a
  h.fail(1, new Error('down'))
  await flushPromises()
  const again = h.cache.get('b', 'ctx', false)
  const fetches = h.fetches()
  for (const fetch of h.pending.slice(3)) fetch.resolve(h.entry(9, 800, 1000)) // no test left hanging
  assert.equal(fetches, 3, 'b, the most recently used, stays cached: no new request for it')
  assert.equal((await again).n, 2)
})

test('a fetcher that throws at once: a cold get() rejects instead of throwing, a stale hit still returns the token', async () => {
  const clock = new TestClock()
  const refreshErrors: unknown[] = []
  let throwNow = false
  const cache = new TokenCache<{ n: number }, string>({
    maxEntries: 10,
    clock,
    fetch: () => {
      if (throwNow) throw new Error('sync failure')
      return Promise.resolve({ value: { n: 1 }, refreshAt: clock.now() + 800, usableUntil: clock.now() + 1000 })
    },
    onRefreshError: (error) => refreshErrors.push(error),
  })
  assert.equal((await cache.get('k', 'ctx', false)).n, 1)
  throwNow = true
  clock.advance(801)
  let stale: Promise<{ n: number }> | undefined
  assert.doesNotThrow(() => {
    stale = cache.get('k', 'ctx', false)
  }, 'a stale hit returns the token; its background refresh failing is not the caller\'s failure')
  assert.equal((await stale)?.n, 1)
  await flushPromises()
  assert.equal(refreshErrors.length, 1, 'the failed background refresh is reported')
  let cold: Promise<{ n: number }> | undefined
  assert.doesNotThrow(() => {
    cold = cache.get('other', 'ctx', false)
  }, 'get() returns a promise')
  await assert.rejects(cold ?? Promise.resolve(), /sync failure/)
})

test('a fetcher resolving a malformed entry: its callers reject, and no rejection is left unhandled', async () => {
  const unhandled = recordUnhandledRejections()
  const cache = new TokenCache<{ n: number }, string>({
    maxEntries: 10,
    clock: new TestClock(),
    fetch: () => Promise.resolve(undefined as unknown as CacheEntry<{ n: number }>),
  })
  const controller = new AbortController()
  const results = await Promise.allSettled([cache.get('k', 'ctx', false), cache.get('k', 'ctx', false, controller.signal)])
  assert.ok(results.every((result) => result.status === 'rejected'), 'no caller gets undefined as a token')
  assert.deepEqual(await unhandled.stop(), [], 'an unhandled rejection would crash the process')
  await flushPromises()
})
