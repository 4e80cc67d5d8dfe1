import type { Dispatcher } from 'undici'
import { invalidArgument } from '../errors/invalid-argument.js'
import { bearerSkippedObserved, publishBearerSkipped, type BearerPolicy, type OriginsOption } from '../fetch/bearer-policy.js'
import { bearerSetup, type BearerOptions, type RetryOnUnauthorized } from '../fetch/bearer-setup.js'
import { isReplayableBody } from '../fetch/replayable-body.js'
import type { TokenSelection, TokenSource } from '../fetch/token-source.js'
import { BearerExchange, failDispatch } from './bearer-dispatch.js'
import { hasAuthorization, headerValues } from './dispatch-headers.js'

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
   * The origins that receive the token (exact scheme, host and port, or `https://*.example.com` for
   * its subdomains: see {@link OriginsOption}), or a predicate.
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
 * Where a request goes is decided on the dispatch's `origin`, the origin an `Agent` connects to,
 * never on its path: so compose it on an `Agent`, or on a `Pool`/`Client` only when every request
 * passes that pool's own origin (a `Pool` connects to its own origin whatever `origin` says). A path
 * in absolute form (`https://api.example.com/x`) gets the token only when its origin is `origin`;
 * a `Host` header or `servername` naming another host gets none. A dispatch without `origin` (a
 * `Pool` or `Client` called with a path alone) fails with a `TypeError` whose `code` is
 * `ERR_INVALID_ARG_VALUE`, unless it has its own `Authorization`.
 *
 * A 401 renews the token only when it answers the request that carried it. Composed before undici's
 * redirect interceptor, `agent.compose(tokenInterceptor(...), interceptors.redirect(...))`, each hop
 * comes through here on its own and is decided on its own origin. Composed after it, redirects are
 * followed below this interceptor (undici drops the token on a hop to another origin), and a 401 at
 * the end of a followed redirect reaches the caller as it is: no renewal, no second request.
 *
 * Certificate-bound tokens (RFC 8705 §3, a client with the `tls` option): an interceptor cannot
 * change the connection a request goes over, so the dispatcher it is composed on must present the
 * same certificate as the client, or the API refuses the token. `client.createAgent()` gives one:
 * `client.createAgent().compose(tokenInterceptor({ client, scope, origins }))` (or an `Agent` of your
 * own with `connect: { cert, key, ca }`, the client's `tls`).
 *
 * @example
 * // Certificate-bound tokens: the agent presents the client's certificate.
 * const dispatcher = client.createAgent().compose(tokenInterceptor({ client, scope: 'orders:read', origins: ['https://api.example.com'] }))
 *
 * @example
 * const dispatcher = new Agent().compose(
 *   tokenInterceptor({ client, scope: 'orders:read', origins: ['https://api.example.com'] }),
 *   interceptors.redirect({ maxRedirections: 3 }),
 * )
 * const { body } = await request('https://api.example.com/orders', { dispatcher })
 *
 * @example
 * // A Pool works when each request names the pool's origin:
 * const pool = new Pool('https://api.example.com').compose(tokenInterceptor({ client, origins: ['https://api.example.com'] }))
 * await pool.request({ origin: 'https://api.example.com', path: '/orders', method: 'GET' })
 * await pool.request({ path: '/orders', method: 'GET' }) // rejects: TypeError, code ERR_INVALID_ARG_VALUE
 */
export function tokenInterceptor(options: TokenInterceptorOptions): Dispatcher.DispatcherComposeInterceptor {
  // `options?.`: bearerSetup refuses options that are not an object, before it looks at the client.
  const { mayCarry, retryOn, renewal } = bearerSetup(options?.client, options, {
    name: 'tokenInterceptor()',
    options: { client: true } satisfies Record<Exclude<keyof TokenInterceptorOptions, keyof BearerOptions>, true>,
    aliases: {
      tokenClient: 'client',
      maxRedirects: 'interceptors.redirect({ maxRedirections }), after tokenInterceptor() in compose()',
      maxRedirections: 'interceptors.redirect({ maxRedirections }), after tokenInterceptor() in compose()',
    },
  })

  return (dispatch) =>
    function bearerDispatch(opts, handler) {
      if (hasAuthorization(opts.headers)) {
        if (bearerSkippedObserved()) reportOwnAuthorization(opts, mayCarry)
        return dispatch(opts, handler)
      }
      const origin = dispatchOrigin(opts.origin)
      if (origin === undefined) {
        return failDispatch(
          handler,
          invalidArgument('opts.origin', 'is missing or not an http(s) URL: tokenInterceptor needs `origin` in the dispatch options to decide where the token may go'),
        )
      }
      const url = destination(origin, opts)
      if (url === undefined || !mayCarry(url)) return dispatch(opts, handler)
      new BearerExchange({
        dispatch,
        options: opts,
        handler,
        renewal,
        retryOn,
        replayable: isReplayableBody(opts.body),
        client: options.client,
        url,
      }).start()
      return true
    }
}

/**
 * For the skipped-bearer channel: a request with its own `Authorization` that would otherwise have
 * carried the token is published as `has-authorization` (the policy publishes the other reasons).
 */
function reportOwnAuthorization(opts: Dispatcher.DispatchOptions, mayCarry: BearerPolicy): void {
  const origin = dispatchOrigin(opts.origin)
  const url = origin === undefined ? undefined : destination(origin, opts)
  if (url !== undefined && mayCarry(url)) publishBearerSkipped(url, 'has-authorization')
}

/** The dispatch's `origin` as a URL, or undefined when it has none that undici could connect to. */
function dispatchOrigin(origin: Dispatcher.DispatchOptions['origin']): URL | undefined {
  const text = typeof origin === 'string' ? origin : origin instanceof URL ? origin.href : undefined
  if (text === undefined || !URL.canParse(text)) return undefined
  const url = new URL(text)
  return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined
}

/**
 * The URL the token would reach, for the policy to judge: the request's path on `origin`, which is
 * where undici connects. Undefined when the request itself names somewhere else: a path in absolute
 * form for another origin, or a `Host` header or `servername` (which also picks the TLS name) for
 * another host, so that a server sharing the address (a CDN, a reverse proxy) would route it elsewhere.
 */
function destination(origin: URL, opts: Dispatcher.DispatchOptions): URL | undefined {
  const { path } = opts
  if (typeof path !== 'string') return undefined
  // Appended, not resolved: new URL('//other.example/x', origin) names a host undici never connects to.
  const text = path.startsWith('/') ? origin.origin + path : path
  if (!URL.canParse(text)) return undefined
  const url = new URL(text)
  if (url.origin !== origin.origin) return undefined
  const hosts = headerValues(opts.headers, 'host')
  if (!hosts.every((value) => typeof value === 'string' && authority(value, origin)?.host === origin.host)) return undefined
  // undici's own option (not in its types): the TLS server name, else taken from the Host header.
  const { servername } = opts as { servername?: unknown }
  if (servername !== undefined && servername !== null) {
    if (typeof servername !== 'string' || authority(servername, origin)?.hostname !== origin.hostname) return undefined
  }
  return url
}

/**
 * A `Host` header value or server name read as the URL parser reads a host (lowercase, punycode,
 * default port dropped), or undefined when it is anything more than a host and port.
 */
function authority(value: string, origin: URL): URL | undefined {
  const text = `${origin.protocol}//${value.trim()}/`
  if (!URL.canParse(text)) return undefined
  const url = new URL(text)
  const bare = url.username === '' && url.password === '' && url.pathname === '/' && url.search === '' && url.hash === ''
  return bare ? url : undefined
}
