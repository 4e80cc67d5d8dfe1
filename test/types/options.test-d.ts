// Type-level tests: this file compiles only while the public types accept what they should and
// refuse what they should. Each `@ts-expect-error` line must be an error, or tsc fails with
// "Unused '@ts-expect-error' directive". Checked by `npm run typecheck` (strict, exactOptionalPropertyTypes)
// and by types.test.ts with test/types/tsconfig.json (strict only, as most projects have it).
import type { Dispatcher } from 'undici'
import {
  AccessToken,
  OAuthError,
  TokenClient,
  createAuthFetch,
  isTokenClientError,
  tokenInterceptor,
  type AuthFetchOptions,
  type FetchLike,
  type TokenClientErrorCode,
  type TokenClientOptions,
} from '../../src/index.js'
import { startReferenceServer, type ReferenceServerOptions } from '../../src/server/index.js'

declare function expectType<T>(value: T): void
const required = { tokenUrl: 'https://id.example.com/token', clientId: 'svc', clientSecret: 's' } as const

// Accepted: every option with a value of its type.
const full: TokenClientOptions = {
  ...required,
  tokenUrl: new URL('https://id.example.com/token'),
  authMethod: 'client_secret_post',
  basicEncoding: 'raw',
  scope: ['a', 'b'],
  audience: 'https://api.example.com',
  resource: ['https://api.example.com/orders'],
  params: { tenant: 'acme', extra: ['1', '2'] },
  allowInsecureHttp: false,
  userAgent: 'svc/1.0',
  maxResponseBytes: 1024,
  cache: { maxEntries: 10, expiryBufferMs: 1, refreshRatio: 0.5, refreshJitter: 0, defaultLifetimeMs: 1000 },
  retry: { retries: 0, minDelayMs: 1, maxDelayMs: 2, factor: 2, attemptTimeoutMs: 1, deadlineMs: 2, maxRetryAfterMs: 3, onRetry: (event) => expectType<number>(event.attempt) },
  onRefreshError: (error, scope) => expectType<[TokenClientErrorCode, string]>([error.code, scope]),
  clock: { now: () => 0 },
}
new TokenClient(full)
new TokenClient({ ...required, retry: false })

// Refused: missing required options.
// tokenUrl or issuer (one of them, never both) is required at run time (a TypeError), not by the
// type, which keeps both optional so that a `TokenClientOptions` value can carry either.
new TokenClient({ issuer: 'https://id.example.com', clientId: 'svc', clientSecret: 's' })
// @ts-expect-error clientId is required
new TokenClient({ tokenUrl: 'https://id.example.com/token', clientSecret: 's' })
// clientSecret is required at run time by the secret methods (a TypeError), not by the type, which
// also covers private_key_jwt (privateKey, no secret).
new TokenClient({ tokenUrl: 'https://id.example.com/token', clientId: 'svc', authMethod: 'private_key_jwt', privateKey: 'PEM' })
// @ts-expect-error options are required
new TokenClient()

// Refused: wrong option types.
// @ts-expect-error authMethod is a closed union
new TokenClient({ ...required, authMethod: 'mtls' })
// The mutual-TLS methods take the tls option: PEM strings or Buffers, ca one or a list.
new TokenClient({ tokenUrl: 'https://id.example.com/token', clientId: 'svc', authMethod: 'tls_client_auth', tls: { cert: 'PEM', key: Buffer.from('PEM'), ca: ['PEM', Buffer.from('PEM')] } })
new TokenClient({ tokenUrl: 'https://id.example.com/token', clientId: 'svc', authMethod: 'self_signed_tls_client_auth', tls: { cert: 'PEM', key: 'PEM' } })
// @ts-expect-error tls.cert is required
new TokenClient({ tokenUrl: 'https://id.example.com/token', clientId: 'svc', authMethod: 'tls_client_auth', tls: { key: 'PEM' } })
// @ts-expect-error signingAlgorithm is a closed union
new TokenClient({ ...required, authMethod: 'client_secret_jwt', signingAlgorithm: 'none' })
// @ts-expect-error basicEncoding is 'form' or 'raw'
new TokenClient({ ...required, basicEncoding: 'base64' })
// @ts-expect-error tokenUrl is a string or URL
new TokenClient({ ...required, tokenUrl: 443 })
// @ts-expect-error the secret is a string, not a Buffer
new TokenClient({ ...required, clientSecret: Buffer.from('s') })
// @ts-expect-error scope is a string or a list of strings
new TokenClient({ ...required, scope: 42 })
// @ts-expect-error resource is a string or a list of strings
new TokenClient({ ...required, resource: new URL('https://api.example.com') })
// @ts-expect-error params values are strings or lists of strings
new TokenClient({ ...required, params: { tenant: 1 } })
// @ts-expect-error allowInsecureHttp is a boolean
new TokenClient({ ...required, allowInsecureHttp: 'yes' })
// @ts-expect-error retry is options or false, not true
new TokenClient({ ...required, retry: true })
// @ts-expect-error retry.retries is a number
new TokenClient({ ...required, retry: { retries: '3' } })
// @ts-expect-error cache.maxEntries is a number
new TokenClient({ ...required, cache: { maxEntries: Infinity.toString() } })
// @ts-expect-error the clock needs now()
new TokenClient({ ...required, clock: { wallNow: () => 0 } })
// @ts-expect-error the dispatcher is an undici Dispatcher
new TokenClient({ ...required, dispatcher: { request: () => undefined } })
// @ts-expect-error unknown options are refused (a typo, say)
new TokenClient({ ...required, scopes: ['a'] })
// @ts-expect-error onRefreshError gets an error and a scope string, not a number
new TokenClient({ ...required, onRefreshError: (_error: unknown, _scope: number) => undefined })
declare const dispatcher: Dispatcher
new TokenClient({ ...required, dispatcher })

// getToken: what it accepts and returns.
declare const client: TokenClient
expectType<Promise<AccessToken>>(client.getToken())
expectType<Promise<AccessToken>>(client.getToken('a b', { forceRefresh: true, signal: AbortSignal.timeout(1), audience: 'x' }))
// @ts-expect-error scope is a string or a list of strings
void client.getToken({ scope: 'a' })
// @ts-expect-error signal is an AbortSignal
void client.getToken('a', { signal: 1000 })
// @ts-expect-error forceRefresh is a boolean
void client.getToken('a', { forceRefresh: 1 })
declare const token: AccessToken
expectType<string>(token.accessToken)
expectType<'Bearer' | 'DPoP'>(token.tokenType)
expectType<Date>(token.expiresAt)
// @ts-expect-error the token is read-only
token.scope = 'other'

// Errors: the code is a closed union, and subclasses carry their fields.
declare const error: unknown
if (isTokenClientError(error)) {
  expectType<TokenClientErrorCode>(error.code)
  // @ts-expect-error not a code of this package
  if (error.code === 'ECONNRESET') void 0
}
if (error instanceof OAuthError) {
  expectType<'OAUTH_ERROR'>(error.code)
  expectType<string>(error.error)
  expectType<number>(error.status)
}

// The fetch wrapper and the interceptor.
const fetchOptions: AuthFetchOptions = { origins: ['https://api.example.com', new URL('https://b.example.com')], scope: 'a' }
expectType<FetchLike>(createAuthFetch(client, fetchOptions))
createAuthFetch(client, { origins: (url) => url.hostname.endsWith('.example.com') })
// @ts-expect-error origins is required
createAuthFetch(client, { scope: 'a' })
// @ts-expect-error origins is a list or a predicate, not one string
createAuthFetch(client, { origins: 'https://api.example.com' })
// @ts-expect-error retryOnUnauthorized is a closed union
createAuthFetch(client, { origins: ['https://api.example.com'], retryOnUnauthorized: 'always' })
// @ts-expect-error the first argument is a token client
createAuthFetch({ getToken: async () => 'token' }, { origins: ['https://api.example.com'] })
tokenInterceptor({ client, origins: ['https://api.example.com'] })
// @ts-expect-error the interceptor needs the client among its options
tokenInterceptor({ origins: ['https://api.example.com'] })

// The reference server's options.
const serverOptions: ReferenceServerOptions = { clients: [{ clientId: 'svc', clientSecret: 's', scopes: ['a'] }], tokenFormat: 'jwt' }
void startReferenceServer(serverOptions)
// @ts-expect-error tokenFormat is 'opaque' or 'jwt'
void startReferenceServer({ tokenFormat: 'jwe' })
// @ts-expect-error a client needs its scopes
void startReferenceServer({ clients: [{ clientId: 'svc', clientSecret: 's' }] })
// @ts-expect-error signingAlgorithm is a closed union
void startReferenceServer({ signingAlgorithm: 'HS256' })

// isTokenClientError narrows to the concrete classes, and switching on code narrows to one of them.
declare const caught: unknown
if (isTokenClientError(caught)) {
  switch (caught.code) {
    case 'OAUTH_ERROR': {
      const error: string = caught.error
      const status: number = caught.status
      void [error, status]
      break
    }
    case 'TIMEOUT': {
      const limit: 'attempt' | 'deadline' = caught.limit
      void limit
      // @ts-expect-error a timeout has no OAuth error code
      void caught.error
      break
    }
    default:
      break
  }
}
