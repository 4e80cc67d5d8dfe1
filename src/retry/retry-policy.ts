import {
  OAuthError,
  TimeoutError,
  TransportError,
  UnexpectedStatusError,
  type TokenClientError,
} from '../errors/token-client-error.js'

/**
 * What one failed attempt looked like, reported to `onRetry` before the client waits and tries again.
 *
 * @example
 * retry: { onRetry: ({ attempt, error, retryAfterMs }) => log.warn({ attempt, code: error.code, retryAfterMs }) }
 */
export interface RetryEvent {
  /** The attempt that failed, from 1. */
  attempt: number
  /** Why it failed. */
  error: TokenClientError
  /** The server's `Retry-After` wait that will be honoured, in milliseconds (the usual backoff follows it). */
  retryAfterMs: number | undefined
}

/**
 * How transient failures are retried. Durations are in milliseconds. Backoff is p-retry's: exponential
 * with `factor`, starting at `minDelayMs`, capped at `maxDelayMs`, and randomised ×1 to ×2.
 *
 * @example
 * new TokenClient({ ...credentials, retry: { retries: 5, deadlineMs: 60_000 } })
 */
export interface RetryOptions {
  /** Retries after the first attempt; 0 switches retrying off. @default 3 */
  retries?: number
  /** The first backoff delay; at most 2^31-1 (Node's longest timer). @default 250 */
  minDelayMs?: number
  /** The longest backoff delay; at most 2^31-1 (Node's longest timer). @default 5_000 */
  maxDelayMs?: number
  /** Exponential growth of the backoff. @default 2 */
  factor?: number
  /**
   * One attempt (connect, headers and body) may take this long before it counts as a transient failure.
   * At most 2^31-1 (about 24.8 days, Node's longest timer).
   * @default 10_000
   */
  attemptTimeoutMs?: number
  /**
   * The whole operation, retries included, may take this long; then it fails with a `TIMEOUT` error.
   * At most 2^31-1 (about 24.8 days, Node's longest timer).
   * @default 30_000
   */
  deadlineMs?: number
  /**
   * The longest `Retry-After` that is honoured. A server asking for a longer wait gets none: the call
   * fails at once with the server's answer (the error's `retryAfterMs` says how long it asked for).
   * It may be larger than the deadline, but never lets a wait run past it: a `Retry-After` that does
   * not end before the deadline is not waited for either.
   * @default 30_000
   */
  maxRetryAfterMs?: number
  /**
   * Called before each retry; for logging and metrics. If it throws (or, async, rejects), the retry
   * goes ahead and the result is what it would have been: the process emits one warning with code
   * `OAUTH2CC_HOOK_FAILED` (message `retry.onRetry threw; the client carried on`, what it threw as
   * `cause`; never its message, which may hold a secret).
   * @default none
   * @example ({ attempt, error, retryAfterMs }) => log.warn({ attempt, code: error.code, retryAfterMs }, 'retrying token request')
   */
  onRetry?: ((event: RetryEvent) => void) | undefined
}

/**
 * {@link RetryOptions} with every default filled in.
 * @inline
 */
export type RetryPolicy = Required<Omit<RetryOptions, 'onRetry'>> & Pick<RetryOptions, 'onRetry'>

/**
 * The defaults of {@link RetryOptions}.
 *
 * @example
 * retry: { ...DEFAULT_RETRY_POLICY, deadlineMs: 2 * DEFAULT_RETRY_POLICY.deadlineMs }
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  retries: 3,
  minDelayMs: 250,
  maxDelayMs: 5_000,
  factor: 2,
  attemptTimeoutMs: 10_000,
  deadlineMs: 30_000,
  maxRetryAfterMs: 30_000,
  onRetry: undefined,
})

/**
 * HTTP statuses that are transient whatever their body says: 408, 429, 500, 502, 503, 504.
 *
 * @example
 * TRANSIENT_STATUSES.has(503) // true
 */
export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

/**
 * Whether a failed attempt may succeed if sent again: network failures, attempt timeouts and the
 * {@link TRANSIENT_STATUSES} are; OAuth errors, invalid responses, redirects, aborts and the deadline are not.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof TransportError) return true
  if (error instanceof TimeoutError) return error.limit === 'attempt'
  if (error instanceof OAuthError || error instanceof UnexpectedStatusError) return TRANSIENT_STATUSES.has(error.status)
  return false
}

/** What to do about a transient failure's `Retry-After`. */
export type RetryAfterDecision = { retry: true; waitMs: number } | { retry: false }

/**
 * Decides whether a `Retry-After` can be honoured: only when it is within `maxRetryAfterMs` and the
 * wait still leaves time before the deadline.
 *
 * @example
 * retryAfterDecision(2_000, 30_000, 10_000) // { retry: true, waitMs: 2000 }
 */
export function retryAfterDecision(
  retryAfterMs: number | undefined,
  maxRetryAfterMs: number,
  remainingMs: number,
): RetryAfterDecision {
  if (retryAfterMs === undefined) return { retry: true, waitMs: 0 }
  if (retryAfterMs > maxRetryAfterMs || retryAfterMs >= remainingMs) return { retry: false }
  return { retry: true, waitMs: retryAfterMs }
}
