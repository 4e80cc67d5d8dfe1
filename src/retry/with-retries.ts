import { setTimeout as delay } from 'node:timers/promises'
import pRetry from 'p-retry'
import type { Clock } from '../clock.js'
import { AbortError, OAuthError, TimeoutError, TokenClientError, UnexpectedStatusError } from '../errors/token-client-error.js'
import { callHook } from '../hooks/call-hook.js'
import type { LazyAbortSignal } from '../http/lazy-abort-controller.js'
import { DeadlineWaits, withLastFailure } from './deadline-waits.js'
import { isTransient, retryAfterDecision, type RetryPolicy } from './retry-policy.js'

/** How long one attempt may take, and which limit that is: its own timeout or what is left of the deadline. */
export interface AttemptBudget {
  readonly timeoutMs: number
  readonly limit: 'attempt' | 'deadline'
  /** The limit a `TIMEOUT` error names: the attempt timeout, or the whole deadline when that is the limit. */
  readonly limitMs: number
}

/** One attempt: gets the attempt number (from 1), the signal to stop on, and its time budget. */
export type Attempt<T> = (attempt: number, signal: LazyAbortSignal, budget: AttemptBudget) => Promise<T>

/**
 * Runs `attempt` until it succeeds, a failure is not transient, retries run out, the deadline
 * passes or `signal` fires. Backoff and counting are p-retry's; this adds the `Retry-After` wait (on
 * the clock's `sleep` when it has one) and the overall deadline. The deadline needs no timer of its
 * own: each attempt's timeout is cut to what is left of it, p-retry's waits are capped by it
 * (`maxRetryTime`), and an attempt that would start after it fails at once with `TIMEOUT` (limit
 * `deadline`). Errors carry `attempts`; the deadline's `TIMEOUT` carries the last transient failure
 * as its `cause`.
 *
 * Most calls succeed at the first attempt, so that one runs without p-retry, whose setup (options,
 * promise chain, abort checks, a real `AbortSignal`) is then only paid once an attempt has failed.
 * p-retry takes over from that failure: it is handed the failure as its own first attempt, so every
 * decision (retry or not, how long to back off) is the one it would have made had it run from the start.
 */
export async function withRetries<T>(
  attempt: Attempt<T>,
  policy: Readonly<RetryPolicy>,
  signal: LazyAbortSignal,
  clock: Clock,
): Promise<T> {
  const startedAt = performance.now()
  let attempts = 0
  let waits: DeadlineWaits | undefined
  /** The last failure that was worth another attempt: what the deadline's `TIMEOUT` keeps as its cause. */
  let lastFailure: unknown
  try {
    signal.throwIfAborted()
    let firstFailure: unknown
    try {
      const budget = attemptBudget(policy, remainingMs(policy, startedAt))
      attempts = 1
      const result = await attempt(1, signal, budget)
      signal.throwIfAborted()
      return result
    } catch (error) {
      firstFailure = error
    }
    // Only now is a real AbortSignal needed: p-retry and the Retry-After wait take one. It also fires
    // at the deadline, so that no wait (a Retry-After, then p-retry's backoff) runs past it.
    waits = new DeadlineWaits(signal.toAbortSignal(), remainingMs(policy, startedAt), policy.deadlineMs)
    const waitSignal = waits.signal
    return await pRetry((attemptNumber) => {
      if (attemptNumber === 1) throw firstFailure
      const budget = attemptBudget(policy, remainingMs(policy, startedAt))
      attempts = attemptNumber
      return attempt(attemptNumber, signal, budget)
    }, {
      retries: policy.retries,
      minTimeout: policy.minDelayMs,
      maxTimeout: policy.maxDelayMs,
      factor: policy.factor,
      randomize: true,
      // p-retry counts from now, not from the first attempt: give it what is left of the deadline.
      maxRetryTime: Math.max(0, remainingMs(policy, startedAt)),
      signal: waitSignal,
      shouldRetry: async ({ error }) => {
        if (!isTransient(error)) return false
        lastFailure = error
        const retryAfterMs =
          error instanceof UnexpectedStatusError || error instanceof OAuthError ? error.retryAfterMs : undefined
        const decision = retryAfterDecision(retryAfterMs, policy.maxRetryAfterMs, remainingMs(policy, startedAt))
        if (!decision.retry) return false
        // The hook reports the retry; what it throws changes neither the retry nor the result.
        callHook('retry.onRetry', policy.onRetry, { attempt: attempts, error: error as TokenClientError, retryAfterMs })
        if (decision.waitMs > 0) await sleep(clock, decision.waitMs, waitSignal)
        return true
      },
    })
  } catch (error) {
    const final = signal.aborted ? abortReason(signal.reason) : withLastFailure(waits?.stoppedByDeadline(error) ?? error, lastFailure)
    if (final instanceof TokenClientError) final.attempts = attempts
    throw final
  } finally {
    waits?.dispose()
  }
}

/** What is left of the deadline of an operation that started at `startedAt` (`performance.now()`). */
function remainingMs(policy: Readonly<RetryPolicy>, startedAt: number): number {
  return policy.deadlineMs - (performance.now() - startedAt)
}

/**
 * The time an attempt may take: its own timeout, or what is left of the deadline when that is less.
 * Throws the deadline's `TIMEOUT` when nothing is left.
 */
function attemptBudget(policy: Readonly<RetryPolicy>, leftMs: number): AttemptBudget {
  if (leftMs <= 0) throw new TimeoutError('deadline', policy.deadlineMs)
  return leftMs < policy.attemptTimeoutMs
    ? { timeoutMs: Math.max(1, Math.ceil(leftMs)), limit: 'deadline', limitMs: policy.deadlineMs }
    : { timeoutMs: policy.attemptTimeoutMs, limit: 'attempt', limitMs: policy.attemptTimeoutMs }
}

function abortReason(reason: unknown): unknown {
  return reason instanceof TokenClientError ? reason : new AbortError(reason)
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<unknown> {
  return clock.sleep ? clock.sleep(ms, signal) : delay(ms, undefined, { signal })
}
