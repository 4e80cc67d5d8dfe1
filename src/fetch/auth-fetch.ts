import { fetch as undiciFetch, type Dispatcher } from 'undici'
import { certificateDispatcherOf } from '../protocol/certificate-binding.js'
import { dpopNonceOf } from '../dpop/nonce-store.js'
import { invalidArgument } from '../errors/invalid-argument.js'
import { raceAbort } from '../abort/race-abort.js'
import { publishBearerSkipped, type OriginsOption } from './bearer-policy.js'
import { bearerSetup, type BearerOptions, type RetryOnUnauthorized } from './bearer-setup.js'
import { isReplayableBody } from './replayable-body.js'
import { carried, type CarriedToken } from './carried-token.js'
import type { TokenSelection, TokenSource } from './token-source.js'
import { isDpopNonceChallenge, isInvalidTokenChallenge } from './www-authenticate.js'

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
   * `['https://api.example.com']`, `https://*.example.com` for its subdomains (see {@link OriginsOption}),
   * or a predicate. Every other request goes out without it.
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
   * The fetch to send requests with. With undici's (the default) and a `TokenClient` that has a TLS
   * certificate (`tls` with `tls.key`), the requests that carry the token go through an agent of the
   * client's that presents the certificate, for certificate-bound tokens (RFC 8705 §3); with another
   * fetch, presenting it is that fetch's business.
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
 * Certificate-bound tokens (RFC 8705 §3) need no extra code: when `client` is a `TokenClient` with a
 * TLS certificate and key (its `tls` option), `fetch` is undici's (the default) and the request's
 * `init` has no `dispatcher`, the requests that carry the token go through an agent that presents the
 * client's certificate and trusts its `tls.ca`, made on first use and closed by `client.close()`.
 * Requests that do not carry the token (other origins, a redirect that left the origin) go as they
 * would without the wrapper, presenting nothing.
 *
 * @example
 * const authFetch = createAuthFetch(client, { scope: 'orders:read', origins: ['https://api.example.com'] })
 * const res = await authFetch('https://api.example.com/orders')
 */
export function createAuthFetch(client: TokenSource, options: AuthFetchOptions): FetchLike {
  const { mayCarry, retryOn, renewal } = bearerSetup(client, options, {
    name: 'createAuthFetch()',
    options: { fetch: true, maxRedirects: true } satisfies Record<Exclude<keyof AuthFetchOptions, keyof BearerOptions>, true>,
    aliases: { maxRedirections: 'maxRedirects', redirects: 'maxRedirects', client: 'createAuthFetch(client, options)' },
  })
  const send: FetchLike = options.fetch ?? (undiciFetch as unknown as FetchLike)
  if (typeof send !== 'function') throw invalidArgument('fetch', 'must be a function')
  // Only undici's fetch takes an undici dispatcher in its init; another fetch is left alone.
  const bindsCertificate = send === (undiciFetch as unknown as FetchLike)
  const maxRedirects = options.maxRedirects ?? 20
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0) throw invalidArgument('maxRedirects', 'must be a non-negative integer')

  return async function authFetch(input, init) {
    const request = await takeApart(input, init)
    let inject = mayCarry(request.url)
    if (inject && request.headers.has('authorization')) {
      inject = false
      publishBearerSkipped(request.url, 'has-authorization')
    }
    if (!inject) return (await follow(send, request, undefined, maxRedirects)).response

    let token = carried(client, await renewal.current(request.signal))
    // Got after the token: a closed client has rejected by now, and an agent is made only when used.
    const bound = bindsCertificate && (request.init as { dispatcher?: unknown }).dispatcher === undefined ? certificateDispatcherOf(client) : undefined
    let followed = await follow(send, request, token, maxRedirects, bound)
    // RFC 9449 §9: a resource that wants its nonce in the proof says so in a 401 and gives it; the
    // request goes again once with it (a nonce is no rejection of the token: retryOnUnauthorized does not apply).
    if (token.dpop !== undefined && isNonceRequest(followed) && isReplayableBody(request.body)) {
      await followed.response.body?.cancel().catch(() => {})
      followed = await follow(send, request, token, maxRedirects, bound)
    }
    const response = followed.response
    const rejected =
      response.status === 401 &&
      followed.answeredByOrigin &&
      retryOn !== 'never' &&
      (retryOn === 'any-401' || isInvalidTokenChallenge(response.headers.get('www-authenticate'), token.dpop === undefined ? 'bearer' : 'dpop'))
    if (!rejected || !isReplayableBody(request.body)) return response
    await response.body?.cancel().catch(() => {})
    token = carried(client, await renewal.replace(token.accessToken, request.signal))
    return (await follow(send, request, token, maxRedirects, bound)).response
  }
}

/** A 401 from the origin with `DPoP error="use_dpop_nonce"` and a usable `DPoP-Nonce` (kept by then). */
function isNonceRequest({ response, answeredByOrigin }: FollowedResponse): boolean {
  return (
    response.status === 401 &&
    answeredByOrigin &&
    isDpopNonceChallenge(response.headers.get('www-authenticate')) &&
    dpopNonceOf(response.headers.get('dpop-nonce')) !== undefined
  )
}

async function takeApart(input: string | URL | Request, init: RequestInit = {}): Promise<RequestParts> {
  const isRequest = typeof input === 'object' && !(input instanceof URL) && 'url' in input && 'headers' in input
  const from = isRequest ? (input as Request) : undefined
  const url = new URL(from ? from.url : String(input))
  const headers = new Headers(init.headers ?? from?.headers ?? undefined)
  const signal = init.signal ?? from?.signal ?? undefined
  return {
    url,
    method: (init.method ?? from?.method ?? 'GET').toUpperCase(),
    headers,
    body: init.body !== undefined ? init.body : from?.body ? await requestBody(from.body, signal) : undefined,
    signal,
    redirect: init.redirect ?? from?.redirect ?? 'follow',
    init,
  }
}

/** The last response of a chain of redirects, and whether it came from the origin the request was for. */
interface FollowedResponse {
  response: Response
  /**
   * True when every hop stayed on the request's origin and no redirect turned the request into a
   * GET: only then does a 401 speak of the token the request carried, and only then may the
   * request be sent again.
   */
  answeredByOrigin: boolean
}

/**
 * Sends the request and follows redirects as fetch would (RFC 9110 §15.4, Fetch's method rewriting),
 * except that the token goes only to the first request's origin, and a redirect that leaves that
 * origin (another scheme, host or port) drops what fetch drops there: `Authorization`,
 * `Proxy-Authorization`, `Cookie` and `Host`, the caller's own included. Each hop that carries the
 * token goes through `bound`, when given (the dispatcher presenting the client certificate); the
 * others through what the caller's `init` says.
 */
async function follow(
  send: FetchLike,
  request: RequestParts,
  token: CarriedToken | undefined,
  maxRedirects: number,
  bound?: Dispatcher,
): Promise<FollowedResponse> {
  const origin = request.url.origin
  let { url, method, body } = request
  let answeredByOrigin = true
  const headers = new Headers(request.headers)
  if (token !== undefined) headers.set('authorization', `${token.scheme} ${token.accessToken}`)
  for (let redirects = 0; ; redirects++) {
    // A DPoP token goes with a proof made for this hop alone: its method, its URL, the origin's nonce.
    const carries = token !== undefined && url.origin === origin
    if (carries && token.dpop !== undefined) headers.set('dpop', await token.dpop.proof(token.accessToken, method, url))
    const init: RequestInit & { duplex?: 'half' } = { ...request.init, method, headers, redirect: 'manual' }
    if (request.signal) init.signal = request.signal
    if (bound !== undefined && carries) (init as { dispatcher?: unknown }).dispatcher = bound
    if (body !== undefined && body !== null) {
      init.body = body as NonNullable<RequestInit['body']>
      if (!isReplayableBody(body)) init.duplex = 'half'
    } else {
      delete init.body
    }
    const response = await send(url.href, init)
    // Every answer may carry the resource's next nonce (RFC 9449 §9), kept for the origin that gave it.
    if (token?.dpop !== undefined) token.dpop.takeNonce(url, response.headers.get('dpop-nonce'))
    const location = response.headers.get('location')
    if (!REDIRECT_STATUSES.has(response.status) || location === null || request.redirect === 'manual') {
      return { response, answeredByOrigin }
    }
    await response.body?.cancel().catch(() => {})
    if (request.redirect === 'error') {
      throw new TypeError(`fetch failed: redirect (${response.status}) with redirect mode "error"`)
    }
    if (redirects >= maxRedirects) throw new TypeError(`fetch failed: more than ${maxRedirects} redirects`)
    if (!URL.canParse(location, url.href)) throw new TypeError(`fetch failed: a ${response.status} redirect to a Location that is not a URL`)
    const next = new URL(location, url)
    if (next.protocol !== 'https:' && next.protocol !== 'http:') {
      throw new TypeError(`fetch failed: a ${response.status} redirect to a ${next.protocol} URL, which fetch never follows`)
    }
    if ((response.status === 303 && method !== 'HEAD') || ((response.status === 301 || response.status === 302) && method === 'POST')) {
      method = 'GET'
      body = undefined
      answeredByOrigin = false
      for (const name of BODY_HEADERS) headers.delete(name)
    } else if (!isReplayableBody(body)) {
      throw new TypeError(`fetch failed: cannot follow a ${response.status} redirect with a one-shot (stream) body`)
    }
    if (next.origin !== origin) {
      answeredByOrigin = false
      for (const name of CREDENTIAL_HEADERS) headers.delete(name)
    } else if (token !== undefined) {
      headers.set('authorization', `${token.scheme} ${token.accessToken}`)
    }
    url = next
  }
}

/**
 * The headers a redirect to another origin drops: those fetch drops, and a DPoP proof (RFC 9449),
 * which belongs with the token and was made for the hop before.
 */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'host', 'dpop'] as const

/** The headers a redirect that turns the request into a GET drops with its body. */
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'] as const

/** How much of a `Request`'s body is held in memory so that it can be sent again. */
const MAX_BUFFERED_REQUEST_BODY = 1_048_576

/**
 * The body of a `Request`, as bytes when it ends within {@link MAX_BUFFERED_REQUEST_BODY} (so that
 * it can follow a 307/308 and be sent again after a 401, as a string or bytes given in `init` can),
 * else as a one-shot stream of what was read followed by the rest. The request's signal stops the
 * reading: a body that trickles in, or never ends, cannot hold the call past it.
 */
async function requestBody(
  stream: ReadableStream<Uint8Array>,
  signal: AbortSignal | undefined | null,
): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await (signal ? raceAbort(reader.read(), signal, (reason) => {
      void reader.cancel(reason).catch(() => {})
      return reason
    }) : reader.read())
    if (done) return Buffer.concat(chunks, size)
    chunks.push(value)
    size += value.byteLength
    if (size > MAX_BUFFERED_REQUEST_BODY) break
  }
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      const chunk = chunks.shift()
      if (chunk !== undefined) return controller.enqueue(chunk)
      const { done, value } = await reader.read()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    cancel: (reason) => reader.cancel(reason),
  })
}
