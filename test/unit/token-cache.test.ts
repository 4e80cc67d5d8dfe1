import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AbortError } from '../../src/errors/token-client-error.js'
import { harness } from '../helpers/token-cache-harness.js'
import { flushPromises, waitFor } from '../helpers/wait-for.js'

test('concurrent gets for one key share one fetch; a hit makes none', async () => {
  const h = harness()
  const gets = Array.from({ length: 100 }, () => h.cache.get('k', 'ctx', false))
  assert.equal(h.fetches(), 1)
  h.answer(0, h.entry(1, 800, 1000))
  const values = await Promise.all(gets)
  assert.ok(values.every((value) => value.n === 1))
  assert.equal((await h.cache.get('k', 'ctx', false)).n, 1)
  assert.equal(h.fetches(), 1)
})

test('callers arriving during a cold fetch, forced refreshes among them, share it; after it, a hit', async () => {
  const h = harness()
  const first = h.cache.get('k', 'ctx', false)
  await h.requested(0) // the fetch is under way when the others arrive
  const joiners = Array.from({ length: 10 }, (_, index) => h.cache.get('k', 'ctx', index % 3 === 0))
  assert.equal(h.fetches(), 1)
  h.answer(0, h.entry(1, 800, 1000))
  assert.deepEqual((await Promise.all([first, ...joiners])).map((value) => value.n), Array(11).fill(1))
  assert.equal((await h.cache.get('k', 'ctx', false)).n, 1)
  assert.equal(h.fetches(), 1)
})

test('a delete during a cold fetch: the next caller starts a new request, and its value is the one cached', async () => {
  const h = harness()
  const first = h.cache.get('k', 'ctx', false)
  await h.requested(0)
  h.cache.delete('k')
  const second = h.cache.get('k', 'ctx', false)
  assert.equal(h.fetches(), 2)
  h.answer(0, h.entry(1, 800, 1000))
  h.answer(1, h.entry(2, 800, 1000))
  assert.equal((await first).n, 1)
  assert.equal((await second).n, 2)
  assert.equal((await h.cache.get('k', 'ctx', false)).n, 2)
  assert.equal(h.fetches(), 2)
})

test('close() aborts every fetch in flight, also one whose entry was dropped while it ran', async () => {
  const h = harness()
  const first = h.cache.get('k', 'ctx', false)
  await h.requested(0)
  h.cache.clear()
  const second = h.cache.get('k', 'ctx', false)
  const reasons: Error[] = []
  h.cache.close(() => {
    const reason = new Error('closed')
    reasons.push(reason)
    return reason
  })
  assert.equal(h.pending[0]?.signal.aborted, true, 'the fetch of the dropped entry')
  assert.equal(h.pending[1]?.signal.aborted, true)
  assert.equal(reasons.length, 2, 'one reason per fetch: each fetch writes its own details on it')
  for (const fetch of h.pending) fetch.reject(fetch.signal.reason as Error)
  await assert.rejects(first, (error: unknown) => error === reasons[0])
  await assert.rejects(second, (error: unknown) => error === reasons[1])
})

test('past the refresh point: the current value at once, one background fetch, then the new value', async () => {
  const h = harness()
  const first = h.cache.get('k', 'ctx', false)
  h.answer(0, h.entry(1, 800, 1000))
  await first
  h.clock.advance(801)
  const during = await Promise.all([h.cache.get('k', 'ctx', false), h.cache.get('k', 'ctx', false)])
  assert.deepEqual(during.map((v) => v.n), [1, 1])
  assert.equal(h.fetches(), 2, 'one background refresh for both callers')
  h.answer(1, h.entry(2, 800, 1000))
  await waitFor(() => h.cache.peek('k') !== undefined) // the refreshed token is cached
  assert.equal((await h.cache.get('k', 'ctx', false)).n, 2)
  assert.equal(h.fetches(), 2)
})

test('a failed background refresh keeps the still-usable value, is reported, and a call after the backoff tries again', async () => {
  const h = harness()
  const first = h.cache.get('k', 'ctx', false)
  h.answer(0, h.entry(1, 800, 1000))
  await first
  h.clock.advance(801)
  assert.equal((await h.cache.get('k', 'ctx', false)).n, 1)
  h.fail(1, new Error('refresh failed'))
  await waitFor(() => h.refreshErrors.length > 0)
  assert.equal(h.refreshErrors.length, 1)
  assert.equal((await h.cache.get('k', 'ctx', false)).n, 1, 'still served')
  assert.equal(h.fetches(), 2, 'not at once: the next refresh waits for the backoff')
  h.clock.advance(100) // the 1 s backoff is cut to the 199 ms of usable time left
  assert.equal((await h.cache.get('k', 'ctx', false)).n, 1)
  assert.equal(h.fetches(), 2)
  h.clock.advance(100)
  const next = h.cache.get('k', 'ctx', false)
  await h.requested(2)
  assert.equal(h.fetches(), 3, 'once the token is no longer usable, callers wait for a new request')
  h.answer(2, h.entry(3, 800, 1000))
  assert.equal((await next).n, 3)
  assert.equal((await h.cache.get('k', 'ctx', false)).n, 3)
})

test('a value in its last moments is never handed out: callers wait for the refresh', async () => {
  const h = harness()
  const first = h.cache.get('k', 'ctx', false)
  h.answer(0, h.entry(1, 800, 1000))
  await first
  h.clock.advance(1000)
  let settled = false
  const waiting = h.cache.get('k', 'ctx', false).then((value) => {
    settled = true
    return value
  })
  await h.requested(1)
  await flushPromises() // a token handed out would have settled the call by now
  assert.equal(settled, false)
  assert.equal(h.fetches(), 2)
  h.answer(1, h.entry(2, 800, 1000))
  assert.equal((await waiting).n, 2)
})

test('a failed cold fetch rejects every waiter with the same error and caches nothing', async () => {
  const h = harness()
  const gets = Array.from({ length: 5 }, () => h.cache.get('k', 'ctx', false))
  const failure = new Error('boom')
  h.fail(0, failure)
  const results = await Promise.allSettled(gets)
  assert.ok(results.every((r) => r.status === 'rejected' && r.reason === failure))
  assert.equal(h.cache.size, 0)
  assert.equal(h.refreshErrors.length, 0, 'a cold failure is not a background refresh failure')
  const again = h.cache.get('k', 'ctx', false)
  assert.equal(h.fetches(), 2)
  h.answer(1, h.entry(2, 800, 1000))
  assert.equal((await again).n, 2)
})

test('one caller aborting rejects only that caller; the fetch is aborted only when nobody waits', async () => {
  const h = harness()
  const a = new AbortController()
  const b = new AbortController()
  const first = h.cache.get('k', 'ctx', false, a.signal)
  const second = h.cache.get('k', 'ctx', false, b.signal)
  const third = h.cache.get('k', 'ctx', false)
  a.abort(new Error('a gave up'))
  await assert.rejects(first, (error: unknown) => error instanceof AbortError && (error.cause as Error).message === 'a gave up')
  assert.equal(h.pending[0]?.signal.aborted, false)
  h.answer(0, h.entry(1, 800, 1000))
  assert.equal((await second).n, 1)
  assert.equal((await third).n, 1)

  const lone = new AbortController()
  const forced = h.cache.get('k2', 'ctx', false, lone.signal)
  lone.abort()
  await assert.rejects(forced, AbortError)
  assert.equal(h.pending[1]?.signal.aborted, true, 'the last waiter leaving aborts the request')
})

test('forceRefresh fetches even when fresh; delete and clear drop entries', async () => {
  const h = harness()
  const first = h.cache.get('k', 'ctx', false)
  h.answer(0, h.entry(1, 800, 1000))
  await first
  const forced = h.cache.get('k', 'ctx', true)
  assert.equal(h.fetches(), 2)
  h.answer(1, h.entry(2, 800, 1000))
  assert.equal((await forced).n, 2)
  h.cache.delete('k')
  assert.equal(h.cache.size, 0)
  const again = h.cache.get('k', 'ctx', false)
  h.answer(2, h.entry(3, 800, 1000))
  assert.equal((await again).n, 3)
  h.cache.clear()
  assert.equal(h.cache.size, 0)
})

test('the cache is bounded: the least recently used entry goes first', async () => {
  const h = harness(2)
  for (const [i, key] of ['a', 'b', 'c'].entries()) {
    const get = h.cache.get(key, 'ctx', false)
    h.answer(i, h.entry(i, 800, 1000))
    await get
  }
  assert.equal(h.cache.size, 2)
  const a = h.cache.get('a', 'ctx', false)
  assert.equal(h.fetches(), 4, 'a was evicted')
  h.answer(3, h.entry(9, 800, 1000))
  assert.equal((await a).n, 9)
})

test('a value whose lifetime is already over when it arrives is still handed to its waiters', async () => {
  const h = harness()
  const get = h.cache.get('k', 'ctx', false)
  h.answer(0, h.entry(1, 0, 0))
  assert.equal((await get).n, 1)
  assert.equal(h.fetches(), 1)
})

test('an entry whose usable time is over is not served even before lru-cache calls it stale', async () => {
  const h = harness()
  const first = h.cache.get('k', 'ctx', false)
  h.answer(0, h.entry(1, -5, 0)) // arrived already past its refresh point and usable time
  assert.equal((await first).n, 1, 'its own waiters get it')
  assert.equal(h.cache.peek('k'), undefined)
  const next = h.cache.get('k', 'ctx', false)
  await h.requested(1)
  assert.equal(h.fetches(), 2, 'the next caller waits for a new one')
  h.answer(1, h.entry(2, 800, 1000))
  assert.equal((await next).n, 2)
})

test('an abort while waiting for the refresh of an unusable entry is a typed abort, and a failing refresh crashes nothing', async () => {
  const h = harness()
  const first = h.cache.get('k', 'ctx', false)
  h.answer(0, h.entry(1, 800, 1000))
  await first
  h.clock.advance(1000)
  const controller = new AbortController()
  const waiting = h.cache.get('k', 'ctx', false, controller.signal)
  controller.abort(new Error('gave up'))
  await assert.rejects(waiting, (error: unknown) => error instanceof AbortError)
  h.fail(1, new Error('refresh failed'))
  await flushPromises() // a rejection left unhandled would crash the process by now
})

test('callers without a signal share one promise of a cold fetch\'s value, the first caller included', async () => {
  const h = harness()
  const first = h.cache.get('k', 'ctx', false)
  const joiners = Array.from({ length: 1_000 }, () => h.cache.get('k', 'ctx', false))
  assert.ok(joiners.every((joiner) => joiner === joiners[0]), 'one promise for every joiner')
  assert.equal(joiners[0], first)
  h.answer(0, h.entry(1, 800, 1000))
  assert.equal((await first).n, 1)
  assert.equal((await joiners[0])?.n, 1)
  assert.equal(h.fetches(), 1)
})

test('the only caller with a signal aborting leaves the cold fetch running for the callers without one', async () => {
  const h = harness()
  const quitter = new AbortController()
  const first = h.cache.get('k', 'ctx', false, quitter.signal)
  const patient = h.cache.get('k', 'ctx', false)
  quitter.abort(new Error('gave up'))
  await assert.rejects(first, AbortError)
  assert.equal(h.pending[0]?.signal.aborted, false, 'someone still waits: the request goes on')
  h.answer(0, h.entry(1, 800, 1000))
  assert.equal((await patient).n, 1)
  assert.equal(h.fetches(), 1)
})

test('a caller arriving after the last waiter aborted starts a new request instead of joining the aborted one', async () => {
  const h = harness()
  const quitter = new AbortController()
  const aborted = h.cache.get('k', 'ctx', false, quitter.signal)
  quitter.abort(new Error('A gave up'))
  await assert.rejects(aborted, AbortError)
  assert.equal(h.pending[0]?.signal.aborted, true)
  const later = h.cache.get('k', 'ctx', false)
  h.fail(0, h.request(0).signal.reason as Error)
  assert.equal(h.fetches(), 2, 'a fresh request')
  h.answer(1, h.entry(2, 800, 1000))
  assert.equal((await later).n, 2)
})

test('close() does not report the aborted background refresh as a refresh failure', async () => {
  const h = harness()
  const first = h.cache.get('k', 'ctx', false)
  h.answer(0, h.entry(1, 800, 1000))
  await first
  h.clock.advance(801)
  await h.cache.get('k', 'ctx', false)
  h.cache.close(() => new Error('closed'))
  h.fail(1, new Error('closed'))
  await flushPromises()
  assert.equal(h.refreshErrors.length, 0)
})

test('failed background refreshes back off: 1 s, then doubling, never past the usable time', async () => {
  const { refreshBackoffMs } = await import('../../src/cache/token-cache.js')
  assert.deepEqual([1, 2, 3, 4, 7, 8, 20].map(refreshBackoffMs), [1000, 2000, 4000, 8000, 60_000, 60_000, 60_000])
  const h = harness()
  const first = h.cache.get('k', 'ctx', false)
  h.answer(0, h.entry(1, 10_000, 100_000))
  await first
  h.clock.advance(10_001)
  await h.cache.get('k', 'ctx', false)
  h.fail(1, new Error('down'))
  await flushPromises()
  for (let i = 0; i < 5; i++) assert.equal((await h.cache.get('k', 'ctx', false)).n, 1)
  assert.equal(h.fetches(), 2, 'no new request during the 1 s backoff')
  h.clock.advance(1_001)
  await h.cache.get('k', 'ctx', false)
  assert.equal(h.fetches(), 3)
  h.fail(2, new Error('still down'))
  await flushPromises()
  h.clock.advance(1_001)
  await h.cache.get('k', 'ctx', false)
  assert.equal(h.fetches(), 3, 'the second backoff is 2 s')
  h.clock.advance(1_000)
  await h.cache.get('k', 'ctx', false)
  assert.equal(h.fetches(), 4)
})
