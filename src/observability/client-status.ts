import type { TokenClientErrorCode } from '../errors/token-client-error.js'
import type { SharedCacheErrorCode, SharedCacheOperation } from '../shared-cache/shared-cache-error.js'
import type { TokenClientInfo } from './channels.js'
import { errorFacts } from './error-facts.js'

/**
 * Where a cached token stands:
 * - `fresh`: before its refresh point;
 * - `stale`: past its refresh point, still usable; the next `getToken()` for it starts a background refresh;
 * - `refreshing`: a background (or forced) refresh is running, the token is still handed out;
 * - `failing`: the last background refresh failed (`lastErrorCode` says how); still usable, and the
 *   next refresh is backed off (1 s, doubling up to 60 s). An operator's alert: past `usableUntil`
 *   callers wait for the token server;
 * - `expired`: past `usableUntil`, no longer handed out (the next `getToken()` asks the server);
 * - `requesting`: no usable token yet, a request is running (a cold start).
 */
export type TokenState = 'fresh' | 'stale' | 'refreshing' | 'failing' | 'expired' | 'requesting'

/**
 * One cached token (one scope set and set of extra parameters) in {@link TokenClientStatus.tokens}.
 * Never the token itself, nor the values of extra parameters.
 *
 * @example
 * { scope: 'orders:read', state: 'failing', tokenType: 'Bearer', expiresAt: '2026-01-01T01:00:00.000Z',
 *   refreshAt: '2026-01-01T00:47:12.000Z', usableUntil: '2026-01-01T00:59:00.000Z', refreshing: false,
 *   failedRefreshes: 2, lastErrorCode: 'UNEXPECTED_STATUS', lastStatus: 503 }
 */
export interface TokenStatus {
  /** The scopes asked for, space-delimited as normalised; `''` for none (the server's default). */
  readonly scope: string
  /** The names of the extra form parameters of this entry (`audience`, `resource`, ...), never their values; absent when none. */
  readonly parameters?: readonly string[]
  /** Where it stands. */
  readonly state: TokenState
  /** A request for it is running now (a refresh, a forced or a cold one). */
  readonly refreshing: boolean
  /** `Bearer` or `DPoP`; absent in state `requesting`. */
  readonly tokenType?: string
  /** When the server considers the token expired (ISO 8601): `token.expiresAt`. */
  readonly expiresAt?: string
  /** When its background refresh is (or was) due (ISO 8601); after a failed one, the next waits a backoff from the failure. */
  readonly refreshAt?: string
  /** The last moment it is handed out (ISO 8601): `expiresAt` less `cache.expiryBufferMs`. */
  readonly usableUntil?: string
  /** Background refreshes of this token that failed in a row; absent when none did. */
  readonly failedRefreshes?: number
  /** What the last failed refresh failed with: the error's `code` (`_OTHER` for an error not of the package). */
  readonly lastErrorCode?: TokenClientErrorCode | '_OTHER'
  /** The OAuth `error` of the last failed refresh, when the server sent one. */
  readonly lastOAuthError?: string
  /** The HTTP status of the last failed refresh, when a response came. */
  readonly lastStatus?: number
}

/** Counts since the client was created, in {@link TokenClientStatus.counts}. */
export interface TokenClientCounts {
  /** Token requests started (each covers all its attempts, waits and a discovery). */
  readonly tokenRequests: number
  /** Token requests that failed (`oauth2.outcome` `failure`). */
  readonly tokenRequestFailures: number
  /** Token requests given up: nobody waited any more, or `close()` (`ABORTED`, `CLIENT_CLOSED`). */
  readonly tokenRequestsAborted: number
  /** HTTP requests sent to the token endpoint (retries and DPoP nonce retries included). */
  readonly httpRequests: number
  /** Attempts that failed transiently and were retried. */
  readonly retries: number
  /** Requests sent again with the DPoP nonce the server asked for. */
  readonly dpopNonceRetries: number
  /** `getToken()` calls answered with a fresh cached token. */
  readonly cacheHits: number
  /** `getToken()` calls answered with a token past its refresh point (a refresh started or running). */
  readonly cacheStaleHits: number
  /** `getToken()` calls that found nothing usable and waited for a token request (forced refreshes not counted). */
  readonly cacheMisses: number
  /** Process misses the shared cache answered. */
  readonly sharedCacheHits: number
  /** Process misses the shared cache did not answer: the token server was asked. */
  readonly sharedCacheMisses: number
  /** Background refreshes that failed (callers kept the valid token). */
  readonly refreshFailures: number
  /** Shared-cache problems (each a miss, none a failed call). */
  readonly sharedCacheErrors: number
}

/** The shared cache's health, in {@link TokenClientStatus.sharedCache}. */
export interface SharedCacheStatus {
  /** The store's description, such as `redis (node-redis)`. */
  readonly store: string
  /** `open` while the store is skipped after repeated failures (tokens come from the token server). */
  readonly breaker: 'open' | 'closed'
  /** Problems since the client was created. */
  readonly errors: number
  /** The code of the last problem. */
  readonly lastErrorCode?: SharedCacheErrorCode
  /** The store operation of the last problem, if one was involved. */
  readonly lastErrorOperation?: SharedCacheOperation
  /** When the last problem happened (ISO 8601, wall clock). */
  readonly lastErrorAt?: string
}

/** Discovery with `issuer`, in {@link TokenClientStatus.discovery}. */
export interface DiscoveryStatus {
  /** `pending` before the first `getToken()` (or while it runs), `discovered` once it succeeded, `failed` after a failure (the next call tries again). */
  readonly state: 'pending' | 'discovered' | 'failed'
  /** The code of the last failure (`DISCOVERY_ERROR`, `TIMEOUT`, ...), in state `failed`. */
  readonly lastErrorCode?: TokenClientErrorCode | '_OTHER'
}

/**
 * What {@link TokenClient.status} returns: what an operator asks of a client, as plain data that
 * `JSON.stringify()` writes as it is (times are ISO 8601 strings), for a health or debug endpoint.
 * Never a token, a secret, a key, an assertion or a proof; scopes are shown, the values of extra
 * parameters are not.
 *
 * @example
 * {
 *   client: { clientId: 'orders-service', tokenEndpoint: 'https://id.example.com/connect/token', authMethod: 'client_secret_basic' },
 *   at: '2026-01-01T00:50:00.000Z', since: '2026-01-01T00:00:00.000Z', closed: false,
 *   tokens: [{ scope: 'orders:read', state: 'fresh', refreshing: false, tokenType: 'Bearer', expiresAt: '...', refreshAt: '...', usableUntil: '...' }],
 *   counts: { tokenRequests: 1, tokenRequestFailures: 0, cacheHits: 1520, cacheMisses: 1, ... },
 *   sharedCache: { store: 'redis (node-redis)', breaker: 'closed', errors: 0 }
 * }
 */
export interface TokenClientStatus {
  /** The client, as the telemetry names it: id, token endpoint (origin and path) or issuer, method. */
  readonly client: TokenClientInfo
  /** When the snapshot was taken (ISO 8601, the client's clock). */
  readonly at: string
  /** When the client was created: the counts are since then (ISO 8601, the client's clock). */
  readonly since: string
  /** `close()` was called. */
  readonly closed: boolean
  /** The cached tokens and the requests running, most recently used first. */
  readonly tokens: readonly TokenStatus[]
  /** Counts since the client was created. */
  readonly counts: TokenClientCounts
  /** With `sharedCache`: its health. */
  readonly sharedCache?: SharedCacheStatus
  /** With `issuer`: how discovery went. */
  readonly discovery?: DiscoveryStatus
}

/** What the status of one cache key is worked out from (clock milliseconds). */
export interface TokenFacts {
  readonly scope: string
  readonly parameters: readonly string[]
  /** A request for the key is running. */
  readonly requesting: boolean
  /** The cached entry, if any. */
  readonly entry?:
    | {
        readonly tokenType: string
        readonly expiresAt: Date
        readonly refreshAt: number
        readonly usableUntil: number
        readonly unusableOnArrival?: boolean | undefined
        readonly failedRefreshes?: number | undefined
        readonly lastRefreshError?: unknown
      }
    | undefined
}

/** The {@link TokenState} of a key at `now`: a pure decision, tested with a table. */
export function tokenState(facts: Pick<TokenFacts, 'requesting' | 'entry'>, now: number): TokenState {
  const { entry, requesting } = facts
  if (entry === undefined || entry.unusableOnArrival === true || entry.usableUntil <= now) return requesting ? 'requesting' : 'expired'
  if ((entry.failedRefreshes ?? 0) > 0) return 'failing'
  if (requesting) return 'refreshing'
  return now >= entry.refreshAt ? 'stale' : 'fresh'
}

const iso = (ms: number): string => new Date(ms).toISOString()

/** The {@link TokenStatus} of one key: what it says, and only that (no token, no parameter value). */
export function tokenStatusOf(facts: TokenFacts, now: number): TokenStatus {
  const { entry } = facts
  const state = tokenState(facts, now)
  const base = {
    scope: facts.scope,
    ...(facts.parameters.length > 0 && { parameters: [...facts.parameters] }),
    state,
    refreshing: facts.requesting,
  }
  if (entry === undefined) return base
  const failed = entry.failedRefreshes ?? 0
  const error = failed > 0 && entry.lastRefreshError !== undefined ? errorFacts(entry.lastRefreshError) : undefined
  return {
    ...base,
    tokenType: entry.tokenType,
    expiresAt: entry.expiresAt.toISOString(),
    refreshAt: iso(entry.refreshAt),
    usableUntil: iso(entry.usableUntil),
    ...(failed > 0 && { failedRefreshes: failed }),
    ...(error !== undefined && { lastErrorCode: error.code ?? '_OTHER' }),
    ...(error?.oauthError !== undefined && { lastOAuthError: error.oauthError }),
    ...(error?.status !== undefined && { lastStatus: error.status }),
  }
}
