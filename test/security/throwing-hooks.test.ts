import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startFixture, type Fixture } from '../helpers/fixtures.js'
import { recordUnhandledRejections, recordWarnings } from '../helpers/process-warnings.js'
import { TestClock } from '../helpers/test-clock.js'
import { waitFor } from '../helpers/wait-for.js'

// A hook reports on an outcome and must not change it: what `retry.onRetry` or `onRefreshError`
// throws neither replaces the result nor stops a retry or a refresh. Each throw is one process
// warning with a stable code, naming the hook and not quoting what it threw (a caller's message may
// hold a token): that is the warning's `cause`.

const CODE = 'OAUTH2CC_HOOK_FAILED'
/** Text a careless hook might put in its error; it must never reach the warning's message. */
const SECRET_TEXT = 'hook-error-with-secret-s3cr3t'

let f: Fixture
before(async () => {
  f = await startFixture({ throttle: false })
})
after(() => f.close())

function hookWarnings(warnings: Error[]): Array<Error & { code?: unknown }> {
  return warnings.filter((warning) => (warning as Error & { code?: unknown }).code === CODE)
}

function assertHookWarning(warning: Error | undefined, hook: string, thrown: unknown): void {
  assert.ok(warning, `a warning for ${hook}`)
  assert.equal(warning.name, 'Warning')
  assert.equal(warning.message, `${hook} threw; the client carried on`)
  assert.equal(warning.cause, thrown, 'what the hook threw is the cause')
  assert.ok(!warning.message.includes(SECRET_TEXT) && !String(warning).includes(SECRET_TEXT), 'not its message')
}

test('a throwing retry.onRetry: the retry still happens, the token arrives, one warning per throw', async () => {
  const scope = 'api:read'
  const base = f.requests()
  const thrown: Error[] = []
  const client = f.makeClient({
    retry: {
      minDelayMs: 1,
      maxDelayMs: 2,
      onRetry: () => {
        const error = new Error(SECRET_TEXT)
        thrown.push(error)
        throw error
      },
    },
  })
  f.server.faults.add({ type: 'status', status: 503 }, { scope, times: 2 })
  const recording = recordWarnings()
  const token = await client.getToken(scope)
  const warnings = hookWarnings(await recording.stop())
  assert.equal(token.scope, scope)
  assert.equal(f.requests() - base, 3, 'two 503s, then the token')
  assert.equal(thrown.length, 2, 'onRetry was called before each retry')
  assert.equal(warnings.length, 2, 'one warning per throw')
  warnings.forEach((warning, i) => assertHookWarning(warning, 'retry.onRetry', thrown[i]))
})

test('an async retry.onRetry that rejects: the retry still happens, one warning, no unhandled rejection', async () => {
  const scope = 'api:write'
  const base = f.requests()
  const rejection = new Error(SECRET_TEXT)
  const client = f.makeClient({
    retry: {
      minDelayMs: 1,
      maxDelayMs: 2,
      onRetry: async () => {
        throw rejection
      },
    },
  })
  f.server.faults.add({ type: 'status', status: 503 }, { scope })
  const unhandled = recordUnhandledRejections()
  const recording = recordWarnings()
  const token = await client.getToken(scope)
  const warnings = hookWarnings(await recording.stop())
  assert.deepEqual(await unhandled.stop(), [])
  assert.equal(token.scope, scope)
  assert.equal(f.requests() - base, 2)
  assert.equal(warnings.length, 1)
  assertHookWarning(warnings[0], 'retry.onRetry', rejection)
})

test('a throwing onRefreshError: the cached token stays, one warning, and the next refresh still happens', async () => {
  const scope = 'audit'
  const clock = new TestClock()
  const thrown: Error[] = []
  const client = f.makeClient({
    clock,
    retry: false,
    cache: { refreshJitter: 0 },
    onRefreshError: () => {
      const error = new Error(SECRET_TEXT)
      thrown.push(error)
      throw error
    },
  })
  const base = f.requests()
  const first = await client.getToken(scope)
  f.server.faults.add({ type: 'status', status: 503 }, { scope })
  const recording = recordWarnings()
  // usable until 3540 s, refresh at 0.8 of that: 2832 s. Past it, the token at once and one refresh, which fails.
  clock.advance(2_833_000)
  assert.equal(await client.getToken(scope), first)
  await waitFor(() => thrown.length > 0)
  const warnings = hookWarnings(await recording.stop())
  assert.equal(thrown.length, 1, 'onRefreshError was called')
  assert.equal(warnings.length, 1, 'one warning for the throw')
  assertHookWarning(warnings[0], 'onRefreshError', thrown[0])
  assert.equal(await client.getToken(scope), first, 'the cached token is still handed out')
  assert.equal(f.requests() - base, 2, 'the first request and the failed refresh')
  // The refresh backs off 1 s after a failure; then the next one runs, and succeeds.
  clock.advance(1_001)
  let next = first
  for (let i = 0; i < 500 && next === first; i++) {
    next = await client.getToken(scope)
    if (next === first) await new Promise((r) => setTimeout(r, 2))
  }
  assert.notEqual(next.accessToken, first.accessToken, 'the next refresh happened')
  assert.equal(f.requests() - base, 3)
})
