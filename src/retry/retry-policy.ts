import type { TimeLimit } from '../abort/timed-abort.js'
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
 * The codes of connection failures that may be gone a moment later: the system's (refused, reset,
 * unreachable, DNS, timed out; an `AggregateError` of Node's Happy Eyeballs carries its first
 * attempt's code) and undici's (socket closed, connect, headers or body timeout, a body cut short).
 * `ENOTFOUND` is among them: at a service's start the name often resolves a moment later (DNS not up
 * yet, a new service name), and a misspelt host costs the retries within the deadline, no more.
 *
 * @example
 * TRANSIENT_NETWORK_CODES.has('ECONNREFUSED') // true
 */
export const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'EADDRNOTAVAIL',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
])

/**
 * The codes of a server certificate the client does not trust: OpenSSL's verification errors as Node
 * reports them, and Node's host name check (`ERR_TLS_CERT_ALTNAME_INVALID`). The same certificate
 * comes back on every attempt, so these are final.
 *
 * @example
 * CERTIFICATE_CODES.has('DEPTH_ZERO_SELF_SIGNED_CERT') // true
 */
export const CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/**
 * What a failure below HTTP (the dispatcher, the socket, TLS) is:
 * - `transient`: one of the {@link TRANSIENT_NETWORK_CODES}, or a proxy refusing the tunnel with one
 *   of the {@link TRANSIENT_STATUSES}: sent again, it may succeed;
 * - `certificate`: one of the {@link CERTIFICATE_CODES}: final;
 * - `final`: any other coded failure (a TLS handshake failure, a proxy refusing the tunnel with 403
 *   or 407, a dispatcher that was closed): the same again on every attempt;
 * - `programming`: no code at all, a `TypeError` or `RangeError`, or undici refusing the request's
 *   arguments (`UND_ERR_INVALID_ARG`): a bug, here or in a dispatcher, to surface as it is.
 */
export type TransportFailure = 'transient' | 'certificate' | 'final' | 'programming'

/** undici names a proxy's refusal of a CONNECT only in its message (code `UND_ERR_ABORTED`). */
const PROXY_REFUSAL = /^Proxy response \((\d{3})\) !== 200 when HTTP Tunneling$/

/**
 * Classifies a failure below HTTP; see {@link TransportFailure}.
 *
 * @example
 * transportFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })) // 'transient'
 * transportFailure(new TypeError('Cannot add property host, object is not extensible')) // 'programming'
 */
export function transportFailure(error: unknown): TransportFailure {
  const code = (error as { code?: unknown } | null | undefined)?.code
  if (typeof code !== 'string' || error instanceof TypeError || error instanceof RangeError || code === 'UND_ERR_INVALID_ARG') {
    return 'programming'
  }
  if (TRANSIENT_NETWORK_CODES.has(code)) return 'transient'
  if (CERTIFICATE_CODES.has(code)) return 'certificate'
  if (code === 'UND_ERR_ABORTED' && error instanceof Error) {
    const status = PROXY_REFUSAL.exec(error.message)?.[1]
    if (status !== undefined && TRANSIENT_STATUSES.has(Number(status))) return 'transient'
  }
  return 'final'
}

/**
 * Whether a failed attempt may succeed if sent again: transient network failures (see
 * {@link TransportError.transient}), attempt timeouts and the {@link TRANSIENT_STATUSES} are; OAuth
 * errors, invalid responses, redirects, untrusted certificates, aborts and the deadline are not,
 * nor a `DISCOVERY_ERROR`: discovery runs before the retried token request, and a failed one is
 * tried again by the next `getToken()`, not within the call.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof TransportError) return error.transient
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

/**
 * The time limit of the next attempt: its own timeout, or what is left of the deadline when that is
 * less (rounded up to a whole millisecond, at least 1); `undefined` when nothing is left, and the
 * attempt should fail with the deadline's `TIMEOUT` instead of starting.
 *
 * @example
 * attemptTimeout({ attemptTimeoutMs: 10_000, deadlineMs: 30_000 }, 4_200.5) // { timeoutMs: 4201, limit: 'deadline', limitMs: 30000 }
 */
export function attemptTimeout(
  policy: Pick<RetryPolicy, 'attemptTimeoutMs' | 'deadlineMs'>,
  remainingMs: number,
): TimeLimit | undefined {
  if (remainingMs <= 0) return undefined
  return remainingMs < policy.attemptTimeoutMs
    ? { timeoutMs: Math.max(1, Math.ceil(remainingMs)), limit: 'deadline', limitMs: policy.deadlineMs }
    : { timeoutMs: policy.attemptTimeoutMs, limit: 'attempt', limitMs: policy.attemptTimeoutMs }
}

/**
 * The `Retry-After` a failed attempt carries, in milliseconds: an OAuth error's or an unexpected
 * status's, when the server sent one.
 *
 * @example
 * retryAfterOf(new UnexpectedStatusError({ status: 503, retryAfterMs: 2_000 })) // 2000
 */
export function retryAfterOf(error: unknown): number | undefined {
  return error instanceof UnexpectedStatusError || error instanceof OAuthError ? error.retryAfterMs : undefined
}
