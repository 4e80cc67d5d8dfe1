import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { TokenCache, type CacheEntry, type EntryFetcher } from '../../src/cache/token-cache.js'
import { AbortError } from '../../src/errors/token-client-error.js'
import { recordUnhandledRejections } from '../helpers/process-warnings.js'
import { TestClock } from '../helpers/test-clock.js'
import { flushPromises } from '../helpers/wait-for.js'

// Random sequences of calls, answers, failures, aborts, clock moves, deletes and clears against
// TokenCache, checking after every step what must always hold: one request per key at a time, no
// token handed out from the cache past its usable time, no token of another key, no caller failed by
// another caller's abort, every caller answered in the end, and no rejection left unhandled.

const KEYS = ['a', 'b'] as const
type Key = (typeof KEYS)[number]

interface Token {
  readonly key: Key
  readonly usableUntil: number
}

type Step =
  | { readonly kind: 'get'; readonly key: Key; readonly forced: boolean; readonly withSignal: boolean }
  | { readonly kind: 'peek'; readonly key: Key }
  | { readonly kind: 'answer'; readonly refreshIn: number; readonly usableFor: number }
  | { readonly kind: 'fail' }
  | { readonly kind: 'abort' }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'delete'; readonly key: Key }
  | { readonly kind: 'clear' }

const key = fc.constantFrom(...KEYS)
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), key, forced: fc.boolean(), withSignal: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('peek' as const), key }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('answer' as const), refreshIn: fc.integer({ min: 0, max: 1_000 }), usableFor: fc.integer({ min: 0, max: 500 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'fail' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'abort' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 1_500 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
)

interface Request {
  readonly key: Key
  readonly signal: Parameters<EntryFetcher<Token, Key>>[1]
  readonly resolve: (entry: CacheEntry<Token>) => void
  readonly reject: (error: Error) => void
  /** A delete or clear of its key came after it started: a new request for the key may run beside it. */
  detached: boolean
  settled: boolean
}

interface Call {
  readonly key: Key
  settled: boolean
  readonly outcome: Promise<void>
}

async function run(steps: readonly Step[]): Promise<void> {
  const clock = new TestClock()
  const requests: Request[] = []
  const cache = new TokenCache<Token, Key>({
    maxEntries: 10,
    clock,
    fetch: (context, signal) =>
      new Promise((resolve, reject) => requests.push({ key: context, signal, resolve, reject, detached: false, settled: false })),
  })
  const calls: Call[] = []
  const controllers: AbortController[] = []
  const open = () => requests.filter((request) => !request.settled)
  let stepIndex = 0

  for (const current of steps) {
    stepIndex++
    switch (current.kind) {
      case 'get': {
        const controller = current.withSignal ? new AbortController() : undefined
        if (controller !== undefined) controllers.push(controller)
        const calledAt = clock.now()
        const calledIn = stepIndex
        const call: Call = {
          key: current.key,
          settled: false,
          outcome: cache.get(current.key, current.key, current.forced, controller?.signal).then(
            (token) => {
              call.settled = true
              assert.equal(token.key, current.key, 'a token of the key asked for')
              // Answered in the step of the call, where no request is answered: it came from the cache.
              if (stepIndex === calledIn) assert.ok(token.usableUntil > calledAt, 'no token from the cache past its usable time')
            },
            (error: unknown) => {
              call.settled = true
              // A caller fails with a failed request, or with its own abort: never with another caller's.
              if (error instanceof AbortError) assert.ok(controller?.signal.aborted === true, 'aborted only by its own signal')
              else assert.equal((error as Error).message, 'server failed')
            },
          ),
        }
        calls.push(call)
        break
      }
      case 'peek': {
        const now = clock.now()
        const token = await cache.peek(current.key)
        if (token !== undefined) assert.ok(token.usableUntil > now, 'peek() hands out no token past its usable time')
        break
      }
      case 'answer': {
        const request = open()[0]
        if (request === undefined) break
        request.settled = true
        const now = clock.now()
        const usableUntil = now + current.refreshIn + current.usableFor
        request.resolve({ value: { key: request.key, usableUntil }, refreshAt: now + current.refreshIn, usableUntil })
        break
      }
      case 'fail': {
        const request = open()[0]
        if (request === undefined) break
        request.settled = true
        request.reject(new Error('server failed'))
        break
      }
      case 'abort':
        controllers.shift()?.abort(new Error('caller gave up'))
        break
      case 'advance':
        clock.advance(current.ms)
        break
      case 'delete':
        for (const request of open()) if (request.key === current.key) request.detached = true
        cache.delete(current.key)
        break
      case 'clear':
        for (const request of open()) request.detached = true
        cache.clear()
        break
    }
    await flushPromises() // every promise job of the step has run: the checks see where it ended
    // An aborted request is over as far as the cache is concerned, even before its fetcher settles.
    for (const request of open()) if (request.signal.aborted) request.settled = true
    for (const name of KEYS) {
      const running = open().filter((request) => request.key === name && !request.detached)
      assert.ok(running.length <= 1, `one request at a time for key ${name}, saw ${running.length}`)
    }
  }

  // In the end every caller gets an answer once the server answers every request.
  for (let round = 0; round < 10 && calls.some((call) => !call.settled); round++) {
    for (const request of open()) {
      request.settled = true
      const now = clock.now()
      request.resolve({ value: { key: request.key, usableUntil: now + 1_000 }, refreshAt: now + 500, usableUntil: now + 1_000 })
    }
    await flushPromises() // every caller these answers reach has heard by now; a new request is answered next round
  }
  assert.deepEqual(calls.filter((call) => !call.settled).map((call) => call.key), [], 'every caller answered')
  await Promise.all(calls.map((call) => call.outcome))
}

test('property: TokenCache keeps one request per key, never serves a token past its usable time, fails no caller for another\'s abort, answers every caller', async () => {
  const unhandled = recordUnhandledRejections()
  await fc.assert(
    fc.asyncProperty(fc.array(step, { maxLength: 40 }), (steps) => run(steps)),
    { numRuns: 300 },
  )
  assert.deepEqual(await unhandled.stop(), [], 'no rejection left unhandled')
})
