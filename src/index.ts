export { TokenClient } from './client/token-client.js'
export type { TokenClientOptions, GetTokenOptions, CacheOptions } from './client/token-client-options.js'
export { AccessToken } from './client/access-token.js'
export type { AuthMethod, BasicEncoding } from './auth/client-authentication.js'
export type { ScopeInput } from './request/scope.js'
export type { ExtraParamsOptions, TokenParams } from './request/token-params.js'
export type { RetryOptions, RetryEvent } from './retry/retry-policy.js'
export { DEFAULT_RETRY_POLICY, TRANSIENT_STATUSES } from './retry/retry-policy.js'
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
  isTokenClientError,
} from './errors/token-client-error.js'
export type {
  TokenClientErrorCode,
  OAuthErrorFields,
  UnexpectedStatusFields,
  InvalidResponseFields,
} from './errors/token-client-error.js'
export { createAuthFetch } from './fetch/auth-fetch.js'
export type { AuthFetchOptions, FetchLike, RetryOnUnauthorized } from './fetch/auth-fetch.js'
export type { OriginsOption } from './fetch/bearer-policy.js'
export type { TokenSource, TokenSelection } from './fetch/token-source.js'
export { tokenInterceptor } from './interceptor/token-interceptor.js'
export type { TokenInterceptorOptions } from './interceptor/token-interceptor.js'
