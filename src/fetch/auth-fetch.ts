import { fetch as undiciFetch } from 'undici'
import { invalidArgument } from '../errors/invalid-argument.js'
import type { OriginsOption } from './bearer-policy.js'
import { bearerSetup, type RetryOnUnauthorized } from './bearer-setup.js'
import { isReplayableBody } from './replayable-body.js'
import type { TokenSelection, TokenSource } from './token-source.js'
import { isInvalidTokenChallenge } from './www-authenticate.js'

/**
 * A function with the `fetch` signature, such as `globalThis.fetch` or undici's `fetch`.
 *
 * @example
 * const authFetch: FetchLike = createAuthFetch(client, { origins: ['https://api.example.com'] })
 */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

export type { RetryOnUnauthorized }

/**
 * Options of {@link createAuthFetch}. Only `origins` is required.
 *
 * @example
 * createAuthFetch(client, { scope: 'orders:read', origins: ['https://api.example.com'], fetch: globalThis.fetch })
 */
export interface AuthFetchOptions extends TokenSelection {
  /**
   * The origins that receive the token: exact scheme, host and port, such as
   * `['https://api.example.com']`, or a predicate. Every other request goes out without it.
   * @example ['https://api.example.com', 'https://files.example.com']
   */
  origins: OriginsOption
  /**
   * Send the token over plain http to non-loopback hosts too. Loopback hosts never need this.
   * @default false
   */
  allowInsecureHttp?: boolean
  /**
   * When a 401 makes the wrapper drop the token, get a new one and repeat the request once:
   * `'invalid_token'` when `WWW-Authenticate` says `Bearer error="invalid_token"`, `'any-401'` for
   * any 401, `'never'` to return the 401. Only when the body can be sent again.
   * @default 'invalid_token'
   */
  retryOnUnauthorized?: RetryOnUnauthorized
  /**
   * The fetch to send requests with.
   * @default undici's `fetch`
   */
  fetch?: FetchLike
  /**
   * Redirects followed at most (the wrapper follows them itself, so that the token never follows a
   * redirect to another origin, whatever fetch is underneath).
   * @default 20
   */
  maxRedirects?: number
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

/** One request, taken apart so it can be sent again or to another URL. */
interface RequestParts {
  url: URL
  method: string
  headers: Headers
  body: unknown
  signal: AbortSignal | undefined
  redirect: NonNullable<RequestInit['redirect']>
  init: RequestInit
}

/**
 * Wraps `fetch` so that requests to the listed origins carry `Authorization: Bearer <token>` from
 * `client.getToken(scope)`. A request that already has an `Authorization` header is left alone.
 * Redirects to another origin never carry the token, and a 401 `invalid_token` answer renews the
 * token and repeats the request once when its body can be sent again. Token failures reject with
 * the client's typed errors; the request's `signal` aborts the token fetch as well.
 *
 * @example
 * const authFetch = createAuthFetch(client, { scope: 'orders:read', origins: ['https://api.example.com'] })
 * const res = await authFetch('https://api.example.com/orders')
 */
export function createAuthFetch(client: TokenSource, options: AuthFetchOptions): FetchLike {
  const { mayCarry, retryOn, renewal } = bearerSetup(client, options)
  const send: FetchLike = options.fetch ?? (undiciFetch as unknown as FetchLike)
  if (typeof send !== 'function') throw invalidArgument('fetch', 'must be a function')
  const maxRedirects = options.maxRedirects ?? 20
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0) throw invalidArgument('maxRedirects', 'must be a non-negative integer')

  return async function authFetch(input, init) {
    const request = takeApart(input, init)
    const inject = mayCarry(request.url) && !request.headers.has('authorization')
    if (!inject) return follow(send, request, undefined, maxRedirects)

    let token = (await renewal.current(request.signal)).accessToken
    const response = await follow(send, request, token, maxRedirects)
    const rejected =
      response.status === 401 &&
      retryOn !== 'never' &&
      (retryOn === 'any-401' || isInvalidTokenChallenge(response.headers.get('www-authenticate')))
    if (!rejected || !isReplayableBody(request.body)) return response
    await response.body?.cancel().catch(() => {})
    token = (await renewal.replace(token, request.signal)).accessToken
    return follow(send, request, token, maxRedirects)
  }
}

function takeApart(input: string | URL | Request, init: RequestInit = {}): RequestParts {
  const isRequest = typeof input === 'object' && !(input instanceof URL) && 'url' in input && 'headers' in input
  const from = isRequest ? (input as Request) : undefined
  const url = new URL(from ? from.url : String(input))
  const headers = new Headers(init.headers ?? from?.headers ?? undefined)
  return {
    url,
    method: (init.method ?? from?.method ?? 'GET').toUpperCase(),
    headers,
    body: init.body !== undefined ? init.body : from?.body ?? undefined,
    signal: init.signal ?? from?.signal ?? undefined,
    redirect: init.redirect ?? from?.redirect ?? 'follow',
    init,
  }
}

/**
 * Sends the request and follows redirects as fetch would (RFC 9110 §15.4, Fetch's method rewriting),
 * except that the token goes only to the first request's origin, and any `Authorization` header
 * is dropped when a redirect leaves that origin.
 */
async function follow(send: FetchLike, request: RequestParts, token: string | undefined, maxRedirects: number): Promise<Response> {
  const origin = request.url.origin
  let { url, method, body } = request
  const headers = new Headers(request.headers)
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`)
  for (let redirects = 0; ; redirects++) {
    const init: RequestInit & { duplex?: 'half' } = { ...request.init, method, headers, redirect: 'manual' }
    if (request.signal) init.signal = request.signal
    if (body !== undefined && body !== null) {
      init.body = body as NonNullable<RequestInit['body']>
      if (!isReplayableBody(body)) init.duplex = 'half'
    } else {
      delete init.body
    }
    const response = await send(url.href, init)
    const location = response.headers.get('location')
    if (!REDIRECT_STATUSES.has(response.status) || location === null || request.redirect === 'manual') return response
    if (request.redirect === 'error') {
      await response.body?.cancel().catch(() => {})
      throw new TypeError(`fetch failed: redirect (${response.status}) with redirect mode "error"`)
    }
    if (redirects >= maxRedirects) {
      await response.body?.cancel().catch(() => {})
      throw new TypeError(`fetch failed: more than ${maxRedirects} redirects`)
    }
    await response.body?.cancel().catch(() => {})
    const next = new URL(location, url)
    if ((response.status === 303 && method !== 'HEAD') || ((response.status === 301 || response.status === 302) && method === 'POST')) {
      method = 'GET'
      body = undefined
      for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) headers.delete(name)
    } else if (!isReplayableBody(body)) {
      throw new TypeError(`fetch failed: cannot follow a ${response.status} redirect with a one-shot (stream) body`)
    }
    if (next.origin !== origin) headers.delete('authorization')
    else if (token !== undefined) headers.set('authorization', `Bearer ${token}`)
    url = next
  }
}
