import { setTimeout as delay } from 'node:timers/promises'
import pRetry from 'p-retry'
import type { Clock } from '../clock.js'
import { linkedAbort } from '../http/linked-abort.js'
import { AbortError, OAuthError, TimeoutError, TokenClientError, UnexpectedStatusError } from '../errors/token-client-error.js'
import { isTransient, retryAfterDecision, type RetryPolicy } from './retry-policy.js'

/** One attempt: gets the attempt number (from 1) and a signal that fires on abort or at the deadline. */
export type Attempt<T> = (attempt: number, signal: AbortSignal) => Promise<T>

/**
 * Runs `attempt` until it succeeds, a failure is not transient, retries run out, or the deadline or
 * `signal` fires. Backoff and counting are p-retry's; this adds the `Retry-After` wait (on the
 * clock's `sleep` when it has one), the overall deadline, and typed errors carrying `attempts`.
 */
export async function withRetries<T>(
  attempt: Attempt<T>,
  policy: Readonly<RetryPolicy>,
  signal: AbortSignal,
  clock: Clock,
): Promise<T> {
  const startedAt = clock.now()
  const operation = linkedAbort(signal)
  const combined = operation.signal
  const deadlineTimer = setTimeout(
    () => operation.controller.abort(new TimeoutError('deadline', policy.deadlineMs)),
    policy.deadlineMs,
  )
  let attempts = 0
  try {
    return await pRetry(
      (attemptNumber) => {
        attempts = attemptNumber
        return attempt(attemptNumber, combined)
      },
      {
        retries: policy.retries,
        minTimeout: policy.minDelayMs,
        maxTimeout: policy.maxDelayMs,
        factor: policy.factor,
        randomize: true,
        maxRetryTime: policy.deadlineMs,
        signal: combined,
        shouldRetry: async ({ error }) => {
          if (!isTransient(error)) return false
          const retryAfterMs =
            error instanceof UnexpectedStatusError || error instanceof OAuthError ? error.retryAfterMs : undefined
          const remainingMs = policy.deadlineMs - (clock.now() - startedAt)
          const decision = retryAfterDecision(retryAfterMs, policy.maxRetryAfterMs, remainingMs)
          if (!decision.retry) return false
          policy.onRetry?.({ attempt: attempts, error: error as TokenClientError, retryAfterMs })
          if (decision.waitMs > 0) await sleep(clock, decision.waitMs, combined)
          return true
        },
      },
    )
  } catch (error) {
    const final = combined.aborted ? abortReason(combined.reason) : error
    if (final instanceof TokenClientError) final.attempts = attempts
    throw final
  } finally {
    clearTimeout(deadlineTimer)
    operation.unlink()
  }
}

function abortReason(reason: unknown): unknown {
  return reason instanceof TokenClientError ? reason : new AbortError(reason)
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<unknown> {
  return clock.sleep ? clock.sleep(ms, signal) : delay(ms, undefined, { signal })
}
