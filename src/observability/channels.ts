import { channel, tracingChannel } from 'node:diagnostics_channel'
import type { TokenClientErrorCode } from '../errors/token-client-error.js'
import type { RejectedEntryReason, SharedCacheErrorCode, SharedCacheOperation } from '../shared-cache/shared-cache-error.js'

/**
 * Which client a message is about: what the client was configured with, never a secret, a key, a
 * token, an assertion or a proof. The same frozen object for every message of one client (until
 * discovery fills in `tokenEndpoint` and `authMethod`), so it may be used as a key.
 *
 * @example
 * { clientId: 'orders-service', tokenEndpoint: 'https://id.example.com/connect/token', authMethod: 'client_secret_basic' }
 */
export interface TokenClientInfo {
  /** The client id. */
  readonly clientId: string
  /** The token endpoint, origin and path (never the query); with `issuer`, absent until discovered. */
  readonly tokenEndpoint?: string
  /** The `issuer` option, when the client discovers its token endpoint. */
  readonly issuer?: string
  /** The client-authentication method (`client_secret_basic`...); with `issuer`, absent until discovered. */
  readonly authMethod?: string
}

/**
 * Why a token request starts: nothing usable was cached (`cold`), the cached token passed its refresh
 * point and is being renewed in the background (`refresh`), or a caller asked for a new one (`force`).
 */
export type TokenRequestTrigger = 'cold' | 'refresh' | 'force'

/**
 * How a token request ended: a token (`success`), an error (`failure`), or given up because nobody
 * waited for it any more or the client was closed (`aborted`: `ABORTED`, `CLIENT_CLOSED`).
 */
export type TokenRequestOutcome = 'success' | 'failure' | 'aborted'

/**
 * What a cache lookup found: a fresh token (`hit`), a token past its refresh point, handed out while
 * a background refresh starts (`stale`), nothing usable (`miss`: the caller waits for a request); with
 * a shared cache, what the process's miss found there: a token (`shared-hit`, no token request) or
 * nothing usable (`shared-miss`, the token server is asked).
 */
export type CacheLookupResult = 'hit' | 'stale' | 'miss' | 'shared-hit' | 'shared-miss'

/**
 * The context object of {@link TOKEN_CHANNEL}, one per token request (every attempt and wait
 * included): `start` and `end` see the first three fields; `asyncStart` and `asyncEnd` (and `error`,
 * on failure) also see how it ended. The token itself is never in it: `result` stays `undefined`.
 *
 * @example
 * { client: { clientId: 'svc', tokenEndpoint: 'https://id.example.com/token', authMethod: 'client_secret_basic' },
 *   scope: 'orders:read', trigger: 'cold', outcome: 'success', attempts: 1, durationMs: 42.5 }
 */
export interface TokenAcquisitionMessage {
  /** The client. */
  readonly client: TokenClientInfo
  /** The scope asked for, space-delimited as the client normalised it; `''` for none. */
  readonly scope: string
  /** Why the request started. */
  readonly trigger: TokenRequestTrigger
  /** How it ended; set before `asyncStart`. */
  outcome?: TokenRequestOutcome
  /** HTTP requests sent (a DPoP nonce retry included); set before `asyncStart`. */
  attempts?: number
  /** From start to end, retries and waits included, in milliseconds; set before `asyncStart`. */
  durationMs?: number
  /** The error's `code`, when it failed with a `TokenClientError`. */
  errorCode?: TokenClientErrorCode
  /** The OAuth `error` the server sent (`invalid_client`...), when there is one. */
  oauthError?: string
  /** The error it failed with (set by the `TracingChannel`): a `TokenClientError`, whose message and properties never hold a secret or a token. */
  error?: unknown
  /** Always `undefined`: the token is never published. */
  result?: undefined
}

/**
 * What {@link CACHE_CHANNEL} publishes for each cache lookup.
 *
 * @example
 * { client: { clientId: 'svc', tokenEndpoint: 'https://id.example.com/token' }, scope: 'orders:read', result: 'hit' }
 */
export interface CacheLookupMessage {
  /** The client. */
  readonly client: TokenClientInfo
  /** The scope looked up, space-delimited; `''` for none. */
  readonly scope: string
  /** What the lookup found. */
  readonly result: CacheLookupResult
}

/**
 * Why another HTTP request follows an attempt: a transient failure, retried after a backoff
 * (`retry`), or a DPoP server asking for a nonce (`dpop-nonce`, RFC 9449 §8: sent again at once,
 * within the same attempt).
 */
export type AttemptFollowUp = 'retry' | 'dpop-nonce'

/**
 * What {@link ATTEMPT_CHANNEL} publishes for each HTTP request of a token request.
 *
 * @example
 * { client, scope: 'orders:read', attempt: 1, status: 503, durationMs: 12.1, outcome: 'failure',
 *   errorCode: 'UNEXPECTED_STATUS', reason: 'retry', retryDelayMs: 250 }
 */
export interface TokenAttemptMessage {
  /** The client. */
  readonly client: TokenClientInfo
  /** The scope asked for. */
  readonly scope: string
  /** The attempt number, from 1 (a DPoP nonce retry keeps its attempt's number). */
  readonly attempt: number
  /** The HTTP status, when a response came. */
  readonly status?: number
  /** How long the request took, in milliseconds. */
  readonly durationMs: number
  /** `success` when it gave a token. */
  readonly outcome: 'success' | 'failure'
  /** The error's `code`, when it failed with a `TokenClientError`. */
  readonly errorCode?: TokenClientErrorCode
  /** The OAuth `error` the server sent, when there is one. */
  readonly oauthError?: string
  /** When another request follows this one: why. */
  readonly reason?: AttemptFollowUp
  /** With `reason: 'retry'`: the wait before the next attempt, in milliseconds, when known. */
  readonly retryDelayMs?: number
  /** The error the attempt failed with, if it did: a `TokenClientError`, safe to log. */
  readonly error?: unknown
}

/**
 * What {@link REFRESH_FAILED_CHANNEL} publishes when a background refresh fails (callers keep the
 * still-valid token; the next refresh backs off).
 *
 * @example
 * { client, scope: 'orders:read', errorCode: 'TIMEOUT', error }
 */
export interface RefreshFailedMessage {
  /** The client. */
  readonly client: TokenClientInfo
  /** The scope whose token was being refreshed. */
  readonly scope: string
  /** The error's `code`, when it is a `TokenClientError`. */
  readonly errorCode?: TokenClientErrorCode
  /** The OAuth `error` the server sent, when there is one. */
  readonly oauthError?: string
  /** The HTTP status, when a response came. */
  readonly status?: number
  /** The error: a `TokenClientError`, safe to log. */
  readonly error: unknown
}

/**
 * What happened to the shared cache: a problem (`error`: a failed or timed-out operation, a
 * rejected entry, a lease wait given up), the breaker opening after repeated failures
 * (`breaker-open`: the store is skipped for a while) or closing again (`breaker-closed`).
 */
export type SharedCacheEvent = 'error' | 'breaker-open' | 'breaker-closed'

/**
 * What {@link SHARED_CACHE_CHANNEL} publishes. None of it fails a `getToken()`: a shared-cache
 * problem is a miss, and the token server is asked.
 *
 * @example
 * { client, event: 'error', code: 'SHARED_CACHE_TIMEOUT', operation: 'get', breaker: 'closed',
 *   message: 'redis (node-redis): get took longer than 250 ms' }
 */
export interface SharedCacheMessage {
  /** The client. */
  readonly client: TokenClientInfo
  /** What happened. */
  readonly event: SharedCacheEvent
  /** The `SharedCacheError` code; absent for `breaker-closed`. */
  readonly code?: SharedCacheErrorCode
  /** The store operation involved, if one was. */
  readonly operation?: SharedCacheOperation
  /** For `SHARED_CACHE_ENTRY_REJECTED`: why. */
  readonly reason?: RejectedEntryReason
  /** The breaker after this event: `open` while the store is skipped. */
  readonly breaker: 'open' | 'closed'
  /** The `SharedCacheError` message: names the store and the operation, never a token, key, entry or name. */
  readonly message?: string
}

/**
 * What {@link DISCOVERY_CHANNEL} publishes when a client with `issuer` has fetched (or failed to
 * fetch) the issuer's metadata.
 *
 * @example
 * { client, outcome: 'success', durationMs: 35.2, tokenEndpoint: 'https://id.example.com/token', authMethod: 'client_secret_basic' }
 */
export interface DiscoveryMessage {
  /** The client (its `issuer`). */
  readonly client: TokenClientInfo
  /** Whether the metadata gave a usable token endpoint and method. */
  readonly outcome: 'success' | 'failure'
  /** How long it took, in milliseconds. */
  readonly durationMs: number
  /** The token endpoint found, origin and path. */
  readonly tokenEndpoint?: string
  /** The method chosen. */
  readonly authMethod?: string
  /** The error's `code` (`DISCOVERY_ERROR`, `TIMEOUT`...), on failure. */
  readonly errorCode?: TokenClientErrorCode
  /** The error, on failure: a `TokenClientError`, safe to log. */
  readonly error?: unknown
}

/**
 * The `node:diagnostics_channel` `TracingChannel` of token requests: its channels are
 * `tracing:oauth2-client-credentials:token:start`, `:end`, `:asyncStart`, `:asyncEnd` and `:error`,
 * each given the request's {@link TokenAcquisitionMessage}. A store bound to `start`
 * (`channel.start.bindStore(als, ...)`) is active for the whole request, its HTTP requests included.
 *
 * @example
 * import { tracingChannel } from 'node:diagnostics_channel'
 * tracingChannel('oauth2-client-credentials:token').subscribe({
 *   start() {}, end() {}, asyncStart() {}, error() {},
 *   asyncEnd: (message) => console.log('token request', message.scope, message.outcome, message.durationMs),
 * })
 */
export const TOKEN_CHANNEL = 'oauth2-client-credentials:token'

/**
 * The channel of cache lookups: a {@link CacheLookupMessage} for each `getToken()` (and for each
 * shared-cache lookup). This one runs on the cache-hit path: a subscriber costs every call a little.
 *
 * @example
 * import { subscribe } from 'node:diagnostics_channel'
 * subscribe('oauth2-client-credentials:cache', (message) => hits.inc({ result: message.result }))
 */
export const CACHE_CHANNEL = 'oauth2-client-credentials:cache'

/**
 * The channel of HTTP requests to the token endpoint: a {@link TokenAttemptMessage} for each.
 *
 * @example
 * import { subscribe } from 'node:diagnostics_channel'
 * subscribe('oauth2-client-credentials:attempt', (message) => { if (message.reason === 'retry') console.warn('retrying', message.errorCode) })
 */
export const ATTEMPT_CHANNEL = 'oauth2-client-credentials:attempt'

/**
 * The channel of failed background refreshes: a {@link RefreshFailedMessage} for each.
 *
 * @example
 * import { subscribe } from 'node:diagnostics_channel'
 * subscribe('oauth2-client-credentials:refresh-failed', (message) => console.warn('refresh failed', message.scope, message.errorCode))
 */
export const REFRESH_FAILED_CHANNEL = 'oauth2-client-credentials:refresh-failed'

/**
 * The channel of shared-cache problems and breaker changes: a {@link SharedCacheMessage} for each.
 *
 * @example
 * import { subscribe } from 'node:diagnostics_channel'
 * subscribe('oauth2-client-credentials:shared-cache', (message) => console.warn(message.event, message.code, message.message))
 */
export const SHARED_CACHE_CHANNEL = 'oauth2-client-credentials:shared-cache'

/**
 * The channel of metadata discovery (clients with `issuer`): a {@link DiscoveryMessage} for each.
 *
 * @example
 * import { subscribe } from 'node:diagnostics_channel'
 * subscribe('oauth2-client-credentials:discovery', (message) => console.info('discovered', message.tokenEndpoint))
 */
export const DISCOVERY_CHANNEL = 'oauth2-client-credentials:discovery'

// One object per channel for the process's life: `hasSubscribers` is a property read on it, and
// every publisher checks it before it builds a message, so that nobody listening costs nothing.
/** @internal The {@link TOKEN_CHANNEL} `TracingChannel`. */
export const tokenChannel = tracingChannel<unknown, TokenAcquisitionMessage>(TOKEN_CHANNEL)
/** @internal */
export const cacheChannel = channel(CACHE_CHANNEL)
/** @internal */
export const attemptChannel = channel(ATTEMPT_CHANNEL)
/** @internal */
export const refreshFailedChannel = channel(REFRESH_FAILED_CHANNEL)
/** @internal */
export const sharedCacheChannel = channel(SHARED_CACHE_CHANNEL)
/** @internal */
export const discoveryChannel = channel(DISCOVERY_CHANNEL)

/** @internal Publishes a cache lookup when anyone listens; builds nothing otherwise. On the cache-hit path. */
export function publishCacheLookup(client: TokenClientInfo, scope: string, result: CacheLookupResult): void {
  if (cacheChannel.hasSubscribers) cacheChannel.publish({ client, scope, result } satisfies CacheLookupMessage)
}
