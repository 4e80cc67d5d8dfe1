import type { Dispatcher } from 'undici'
import type { OriginsOption } from '../fetch/bearer-policy.js'
import { bearerSetup, type RetryOnUnauthorized } from '../fetch/bearer-setup.js'
import { isReplayableBody } from '../fetch/replayable-body.js'
import type { TokenSelection, TokenSource } from '../fetch/token-source.js'
import { BearerExchange } from './bearer-dispatch.js'
import { hasAuthorization } from './dispatch-headers.js'

/**
 * Options of {@link tokenInterceptor}: the client, and the same choices as {@link AuthFetchOptions}
 * except `fetch` and `maxRedirects` (redirects are the dispatcher's business).
 *
 * @example
 * tokenInterceptor({ client, scope: 'orders:read', origins: ['https://api.example.com'] })
 */
export interface TokenInterceptorOptions extends TokenSelection {
  /**
   * The token client, shared with the rest of the process.
   * @example new TokenClient({ tokenUrl, clientId, clientSecret })
   */
  client: TokenSource
  /**
   * The origins that receive the token (exact scheme, host and port), or a predicate.
   * @example ['https://api.example.com']
   */
  origins: OriginsOption
  /** Send the token over plain http to non-loopback hosts too. @default false */
  allowInsecureHttp?: boolean
  /**
   * When a 401 renews the token and repeats the request once (only for bodies that can be sent
   * again: none, a string or bytes).
   * @default 'invalid_token'
   */
  retryOnUnauthorized?: RetryOnUnauthorized
}

/**
 * An undici interceptor that adds `Authorization: Bearer <token>` to requests for the listed
 * origins, for `request`, `stream` and `fetch` on the composed dispatcher. Requests that already
 * have an `Authorization` header, or go elsewhere, pass through untouched.
 *
 * @example
 * const dispatcher = new Agent().compose(tokenInterceptor({ client, scope: 'orders:read', origins: ['https://api.example.com'] }))
 * const { body } = await request('https://api.example.com/orders', { dispatcher })
 */
export function tokenInterceptor(options: TokenInterceptorOptions): Dispatcher.DispatcherComposeInterceptor {
  const { mayCarry, retryOn, renewal } = bearerSetup(options.client, options)

  return (dispatch) =>
    function bearerDispatch(opts, handler) {
      const origin = typeof opts.origin === 'string' ? opts.origin : opts.origin?.toString()
      if (origin === undefined || hasAuthorization(opts.headers) || !mayCarry(new URL(opts.path, origin))) {
        return dispatch(opts, handler)
      }
      new BearerExchange({
        dispatch,
        options: opts,
        handler,
        renewal,
        retryOn,
        replayable: isReplayableBody(opts.body),
      }).start()
      return true
    }
}
