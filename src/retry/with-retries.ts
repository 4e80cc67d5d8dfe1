import { setTimeout as delay } from 'node:timers/promises'
import pRetry from 'p-retry'
import type { Clock } from '../clock.js'
import { AbortError, OAuthError, TimeoutError, TokenClientError, UnexpectedStatusError } from '../errors/token-client-error.js'
import { isTransient, retryAfterDecision, type RetryPolicy } from './retry-policy.js'

/** How long one attempt may take, and which limit that is: its own timeout or what is left of the deadline. */
export interface AttemptBudget {
  timeoutMs: number
  limit: 'attempt' | 'deadline'
}

/** One attempt: gets the attempt number (from 1), the signal to stop on, and its time budget. */
export type Attempt<T> = (attempt: number, signal: AbortSignal, budget: AttemptBudget) => Promise<T>

/**
 * Runs `attempt` until it succeeds, a failure is not transient, retries run out, the deadline
 * passes or `signal` fires. Backoff and counting are p-retry's; this adds the `Retry-After` wait (on
 * the clock's `sleep` when it has one) and the overall deadline. The deadline needs no timer of its
 * own: each attempt's timeout is cut to what is left of it, p-retry's waits are capped by it
 * (`maxRetryTime`), and an attempt that would start after it fails at once with `TIMEOUT` (limit
 * `deadline`). Errors carry `attempts`.
 */
export async function withRetries<T>(
  attempt: Attempt<T>,
  policy: Readonly<RetryPolicy>,
  signal: AbortSignal,
  clock: Clock,
): Promise<T> {
  const startedAt = performance.now()
  const remaining = () => policy.deadlineMs - (performance.now() - startedAt)
  let attempts = 0
  try {
    return await pRetry(
      (attemptNumber) => {
        const left = remaining()
        if (left <= 0) throw new TimeoutError('deadline', policy.deadlineMs)
        attempts = attemptNumber
        const budget: AttemptBudget =
          left < policy.attemptTimeoutMs
            ? { timeoutMs: Math.max(1, Math.ceil(left)), limit: 'deadline' }
            : { timeoutMs: policy.attemptTimeoutMs, limit: 'attempt' }
        return attempt(attemptNumber, signal, budget)
      },
      {
        retries: policy.retries,
        minTimeout: policy.minDelayMs,
        maxTimeout: policy.maxDelayMs,
        factor: policy.factor,
        randomize: true,
        maxRetryTime: policy.deadlineMs,
        signal,
        shouldRetry: async ({ error }) => {
          if (!isTransient(error)) return false
          const retryAfterMs =
            error instanceof UnexpectedStatusError || error instanceof OAuthError ? error.retryAfterMs : undefined
          const decision = retryAfterDecision(retryAfterMs, policy.maxRetryAfterMs, remaining())
          if (!decision.retry) return false
          policy.onRetry?.({ attempt: attempts, error: error as TokenClientError, retryAfterMs })
          if (decision.waitMs > 0) await sleep(clock, decision.waitMs, signal)
          return true
        },
      },
    )
  } catch (error) {
    const final = signal.aborted ? abortReason(signal.reason) : error
    if (final instanceof TokenClientError) final.attempts = attempts
    throw final
  }
}

function abortReason(reason: unknown): unknown {
  return reason instanceof TokenClientError ? reason : new AbortError(reason)
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<unknown> {
  return clock.sleep ? clock.sleep(ms, signal) : delay(ms, undefined, { signal })
}
