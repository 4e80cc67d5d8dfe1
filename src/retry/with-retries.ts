import { setTimeout as delay } from 'node:timers/promises'
import pRetry from 'p-retry'
import { abortFailure } from '../abort/abort-failure.js'
import type { LazyAbortSignal } from '../abort/lazy-abort-controller.js'
import { TimedAbort, type TimeLimit } from '../abort/timed-abort.js'
import type { Clock } from '../clock.js'
import { TimeoutError, TokenClientError } from '../errors/token-client-error.js'
import { callHook } from '../hooks/call-hook.js'
import { attemptTimeout, isTransient, retryAfterDecision, retryAfterOf, type RetryPolicy } from './retry-policy.js'

/**
 * One attempt: gets the attempt number (from 1), the signal to stop on, its time limit, and when the
 * whole operation started (`performance.now()`), for a request the attempt sends again on its own (a
 * DPoP nonce retry), whose time limit {@link timeLimitFrom} works out so that it too ends by the deadline.
 */
export type Attempt<T> = (attempt: number, signal: LazyAbortSignal, timeout: TimeLimit, startedAt: number) => Promise<T>

/**
 * Runs `attempt` until it succeeds, a failure is not transient, retries run out, the deadline
 * passes or `signal` fires. Retrying, counting and backoff are p-retry's; this adds the `Retry-After`
 * wait (on the clock's `sleep` when it has one) and the overall deadline. Errors carry `attempts`;
 * the deadline's `TIMEOUT` carries the last transient failure as its `cause`.
 *
 * The deadline is counted on one clock, `performance.now()` from the call, and holds in two places:
 * each attempt's timeout is cut to what is left of it (an attempt that would start after it fails at
 * once with `TIMEOUT`, limit `deadline`), and the waits between attempts stop on a {@link TimedAbort}
 * that fires at it, given to p-retry as its `signal`. Not p-retry's `maxRetryTime`: that would end a
 * backoff exactly at the deadline and then start one more attempt with nothing left, racing the timer.
 *
 * The first attempt runs outside p-retry, unlike p-retry's README, because most calls succeed at once:
 * p-retry from the first attempt (its loop, and the `AbortSignal` it must be given up front, which the
 * success path otherwise never makes) measured +10 to +17 µs of client time per fresh token on Node 20,
 * taking a fresh acquisition from 1.0x to 1.18-1.33x the wall time of a raw `undici.request` (1.31-1.43x
 * its CPU), past the 1.1x target. So p-retry takes over at the first failure, which it is handed as its
 * own first attempt: every decision it makes from there (retry or not, how long to back off) is the
 * one it would have made had it run from the start.
 */
export async function withRetries<T>(
  attempt: Attempt<T>,
  policy: Readonly<RetryPolicy>,
  signal: LazyAbortSignal,
  clock: Clock,
): Promise<T> {
  const startedAt = performance.now()
  /** HTTP requests sent: what every error's `attempts` says. */
  let attempts = 0
  /** The last failure that was worth another attempt: what the deadline's `TIMEOUT` keeps as its cause. */
  let lastFailure: unknown
  /** Fires with `signal` or at the deadline; made once an attempt has failed. */
  let deadline: TimedAbort | undefined
  try {
    signal.throwIfAborted()
    let firstFailure: unknown
    // No closure is made before an attempt has failed: two made up front measured +0.7 µs per call.
    try {
      const timeout = timeLimitFrom(policy, startedAt)
      attempts = 1
      const result = await attempt(1, signal, timeout, startedAt)
      signal.throwIfAborted()
      return result
    } catch (error) {
      firstFailure = error
    }
    deadline = new TimedAbort(signal, { timeoutMs: Math.max(1, Math.ceil(remainingMs(policy, startedAt))), limit: 'deadline', limitMs: policy.deadlineMs })
    const waits = deadline.toAbortSignal()
    return await pRetry(
      (attemptNumber) => {
        if (attemptNumber === 1) throw firstFailure
        const timeout = timeLimitFrom(policy, startedAt)
        attempts = attemptNumber
        return attempt(attemptNumber, signal, timeout, startedAt)
      },
      {
        retries: policy.retries,
        minTimeout: policy.minDelayMs,
        maxTimeout: policy.maxDelayMs,
        factor: policy.factor,
        randomize: true,
        signal: waits,
        shouldRetry: async ({ error, attemptNumber }) => {
          if (!isTransient(error)) return false
          lastFailure = error
          const retryAfterMs = retryAfterOf(error)
          const decision = retryAfterDecision(retryAfterMs, policy.maxRetryAfterMs, remainingMs(policy, startedAt))
          if (!decision.retry) return false
          // The hook reports the retry; what it throws changes neither the retry nor the result.
          callHook('retry.onRetry', policy.onRetry, { attempt: attemptNumber, error: error as TokenClientError, retryAfterMs })
          if (decision.waitMs > 0) await sleep(clock, decision.waitMs, waits)
          return true
        },
      },
    )
  } catch (error) {
    // Told apart by what fired, not by the error's shape (each wait reports being cut short its own way):
    // the caller's abort or close(), else the deadline, which is all that fires `deadline` besides them.
    const final = signal.aborted
      ? abortFailure(signal.reason)
      : withLastFailure(deadline?.aborted === true ? deadline.reason : error, lastFailure)
    if (final instanceof TokenClientError) final.attempts = attempts
    throw final
  } finally {
    deadline?.dispose()
  }
}

/** What is left of the deadline of an operation that started at `startedAt` (`performance.now()`). */
function remainingMs(policy: Readonly<RetryPolicy>, startedAt: number): number {
  return policy.deadlineMs - (performance.now() - startedAt)
}

/**
 * The time limit of a request that starts now, in an operation that started at `startedAt`: the
 * attempt timeout, cut to what is left of the deadline; throws the deadline's `TIMEOUT` when nothing
 * is left of it.
 */
export function timeLimitFrom(policy: Readonly<RetryPolicy>, startedAt: number): TimeLimit {
  const timeout = attemptTimeout(policy, remainingMs(policy, startedAt))
  if (timeout === undefined) throw new TimeoutError('deadline', policy.deadlineMs)
  return timeout
}

/**
 * The deadline's `TIMEOUT` with the last attempt's failure as its `cause`, so that a deadline spent
 * on a refused connection or a 503 still says so: whichever place noticed the deadline (a wait cut
 * short, an attempt that would start after it, an attempt it cut short), none of which knows that
 * failure. Any other error, or a `TIMEOUT` that has a cause already, comes back as it is.
 */
function withLastFailure(error: unknown, lastFailure: unknown): unknown {
  if (lastFailure === undefined || !(error instanceof TimeoutError) || error.limit !== 'deadline' || 'cause' in error) return error
  return new TimeoutError('deadline', error.ms, { cause: lastFailure })
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<unknown> {
  return clock.sleep ? clock.sleep(ms, signal) : delay(ms, undefined, { signal })
}
