/**
 * OAuth 2.0 client-credentials tokens for Node.js services: {@link TokenClient} gets, caches and
 * renews tokens; {@link createAuthFetch} and {@link tokenInterceptor} add them to requests;
 * every failure is a {@link TokenClientError} with a stable `code`.
 *
 * The reference token server for tests is a separate entry point, `oauth2-client-credentials/server`;
 * a shared cache on Redis, for a fleet of processes, is `oauth2-client-credentials/redis`.
 *
 * @example
 * import { TokenClient } from 'oauth2-client-credentials'
 *
 * const client = new TokenClient({
 *   tokenUrl: 'https://id.example.com/connect/token',
 *   clientId: 'orders-service',
 *   clientSecret: process.env.ORDERS_CLIENT_SECRET!,
 * })
 * const token = await client.getToken('orders:read')
 *
 * @module oauth2-client-credentials
 */
export { TokenClient } from './client/token-client.js'
export type {
  TokenClientDescription,
  CertificateAgentOptions,
  DpopDescription,
  DpopRequest,
  DpopRequestHeaders,
} from './client/token-client.js'
export type { TokenClientOptions, GetTokenOptions, CacheOptions, DpopOptions } from './client/token-client-options.js'
export type { DpopSigningAlgorithm } from './dpop/proof-key.js'
export type {
  AsymmetricSigningAlgorithm,
  HmacSigningAlgorithm,
  PrivateKeyInput,
  SigningAlgorithm,
} from './auth/signing-key.js'
export { AccessToken } from './response/access-token.js'
export { MANY_CLIENTS_WARNING } from './client/client-census.js'
export type { AccessTokenRecord } from './response/access-token.js'
export type { AuthMethod, BasicEncoding } from './auth/client-authentication.js'
export type { TlsClientOptions } from './auth/tls-identity.js'
export type { ScopeInput } from './request/scope.js'
export type { ExtraParamsOptions, TokenParams } from './request/token-params.js'
export type { RetryOptions, RetryEvent } from './retry/retry-policy.js'
export { DEFAULT_RETRY_POLICY, TRANSIENT_STATUSES, TRANSIENT_NETWORK_CODES, CERTIFICATE_CODES } from './retry/retry-policy.js'
export { DEFAULT_REFRESH_POLICY } from './cache/refresh-policy.js'
export type { RefreshPolicy } from './cache/refresh-policy.js'
export type { Clock } from './clock.js'
export { monotonicClock } from './clock.js'
export {
  TokenClientError,
  OAuthError,
  UnexpectedStatusError,
  InvalidResponseError,
  TransportError,
  TimeoutError,
  AbortError,
  ClientClosedError,
  DiscoveryError,
  isTokenClientError,
} from './errors/token-client-error.js'
export type {
  AnyTokenClientError,
  TokenClientErrorCode,
  OAuthErrorFields,
  UnexpectedStatusFields,
  InvalidResponseFields,
  DiscoveryErrorFields,
} from './errors/token-client-error.js'
export { createAuthFetch } from './fetch/auth-fetch.js'
export type { AuthFetchOptions, FetchLike, RetryOnUnauthorized } from './fetch/auth-fetch.js'
export type { OriginsOption, BearerSkippedMessage, BearerSkipReason } from './fetch/bearer-policy.js'
export { BEARER_SKIPPED_CHANNEL } from './fetch/bearer-policy.js'
export type { TokenSource, TokenSelection, SourcedToken } from './fetch/token-source.js'
export { tokenInterceptor } from './interceptor/token-interceptor.js'
export type { TokenInterceptorOptions } from './interceptor/token-interceptor.js'
export { SharedTokenCache, sharedTokenCache } from './shared-cache/shared-token-cache.js'
export type { SharedTokenCacheOptions } from './shared-cache/shared-token-cache.js'
export type { SharedTokenStore, StoredValue } from './shared-cache/shared-token-store.js'
export type { EncryptionKeyInput } from './shared-cache/entry-keys.js'
export { SharedCacheError, SHARED_CACHE_WARNING } from './shared-cache/shared-cache-error.js'
export type { SharedCacheErrorCode, SharedCacheOperation, RejectedEntryReason } from './shared-cache/shared-cache-error.js'
export {
  TOKEN_CHANNEL,
  CACHE_CHANNEL,
  ATTEMPT_CHANNEL,
  REFRESH_FAILED_CHANNEL,
  SHARED_CACHE_CHANNEL,
  DISCOVERY_CHANNEL,
} from './observability/channels.js'
export type {
  TokenClientInfo,
  TokenRequestTrigger,
  TokenRequestOutcome,
  CacheLookupResult,
  AttemptFollowUp,
  TokenAcquisitionMessage,
  CacheLookupMessage,
  TokenAttemptMessage,
  RefreshFailedMessage,
  SharedCacheEvent,
  SharedCacheMessage,
  DiscoveryMessage,
} from './observability/channels.js'
export { logTokenEvents } from './observability/log-events.js'
export type { TokenEventLogger, LogArgumentOrder, LogTokenEventsOptions, TokenLogFields } from './observability/log-events.js'
export type {
  TokenClientStatus,
  TokenStatus,
  TokenState,
  TokenClientCounts,
  SharedCacheStatus,
  DiscoveryStatus,
} from './observability/client-status.js'
